using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Reads the data-annotation attributes of an HTTP parameter: <c>[Required]</c>, lengths, <c>[Range]</c>, <c>[RegularExpression]</c>.</summary>
internal static partial class HttpParser
{
    private static EquatableArray<ValidationInfo> ParseValidations(IParameterSymbol parameter, CancellationToken cancellationToken)
    {
        var validations = new List<ValidationInfo>();
        foreach (var attribute in parameter.GetAttributes())
        {
            var attributeClass = attribute.AttributeClass;
            if (attributeClass is null)
            {
                continue;
            }
            var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            var args = attribute.ConstructorArguments;
            if (WellKnownTypes.RequiredAttribute.Matches(attributeClass))
            {
                validations.Add(new ValidationInfo(ValidationKind.Required, "", "", "", false, false, false, "", location));
            }
            else if (WellKnownTypes.MinLengthAttribute.Matches(attributeClass))
            {
                var length = args.Length == 1 && args[0].Value is int n ? n : -1;
                validations.Add(new ValidationInfo(ValidationKind.MinLength, Int(length), "", "", false, false, false,
                    length < 0 ? "has a negative length" : "", location));
            }
            else if (WellKnownTypes.MaxLengthAttribute.Matches(attributeClass))
            {
                // [MaxLength] without a length means "as long as the storage allows": no check.
                var length = args.Length == 1 && args[0].Value is int n ? n : -1;
                var problem = args.Length == 1 && length <= 0 && length != -1 ? "has a length that is not positive" : "";
                validations.Add(new ValidationInfo(ValidationKind.MaxLength, "", length < 0 ? "" : Int(length), "", false, false, false, problem, location));
            }
            else if (WellKnownTypes.StringLengthAttribute.Matches(attributeClass))
            {
                var max = args.Length == 1 && args[0].Value is int n ? n : -1;
                var min = 0;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "MinimumLength" && named.Value.Value is int m)
                    {
                        min = m;
                    }
                }
                var problem = max < 0 ? "has a negative maximum length"
                    : min > max ? "has a MinimumLength greater than its maximum length"
                    : "";
                validations.Add(new ValidationInfo(ValidationKind.StringLength, min > 0 ? Int(min) : "", Int(max), "", false, false, false, problem, location));
            }
            else if (WellKnownTypes.RangeAttribute.Matches(attributeClass))
            {
                validations.Add(ParseRange(attribute, location));
            }
            else if (WellKnownTypes.RegularExpressionAttribute.Matches(attributeClass))
            {
                var pattern = args.Length == 1 ? args[0].Value as string ?? "" : "";
                var problem = "";
                try
                {
                    _ = new Regex(pattern);
                }
                catch (ArgumentException ex)
                {
                    problem = "has an invalid pattern (" + ex.Message + ")";
                }
                validations.Add(new ValidationInfo(ValidationKind.RegularExpression, "", "", pattern, false, false, false, problem, location));
            }
        }
        return validations.ToEquatableArray();
    }

    private static ValidationInfo ParseRange(AttributeData attribute, LocationInfo? location)
    {
        var args = attribute.ConstructorArguments;
        string min = "", max = "", problem = "";
        var isDecimal = false;
        if (args.Length == 2)
        {
            min = Number(args[0].Value);
            max = Number(args[1].Value);
        }
        else if (args.Length == 3 && args[0].Value is ITypeSymbol rangeType)
        {
            var special = rangeType.SpecialType;
            if (special is SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_Int16 or SpecialType.System_UInt16
                or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
                or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal)
            {
                isDecimal = special == SpecialType.System_Decimal;
                min = ParseNumberText(args[1].Value as string, isDecimal);
                max = ParseNumberText(args[2].Value as string, isDecimal);
                if (min.Length == 0 && args[1].Value is string { Length: > 0 } || max.Length == 0 && args[2].Value is string { Length: > 0 })
                {
                    problem = "has a bound that is not an invariant-culture number";
                }
            }
            else
            {
                problem = "compares values of type '" + rangeType.ToDisplayString() + "'; only numeric ranges are supported";
            }
        }
        bool minExclusive = false, maxExclusive = false;
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == "MinimumIsExclusive" && named.Value.Value is bool a)
            {
                minExclusive = a;
            }
            else if (named.Key == "MaximumIsExclusive" && named.Value.Value is bool b)
            {
                maxExclusive = b;
            }
        }
        if (problem.Length == 0 && min.Length > 0 && max.Length > 0
            && double.Parse(min, NumberStyles.Float, CultureInfo.InvariantCulture) > double.Parse(max, NumberStyles.Float, CultureInfo.InvariantCulture))
        {
            problem = "has a minimum greater than its maximum";
        }
        return new ValidationInfo(ValidationKind.Range, min, max, "", minExclusive, maxExclusive, isDecimal, problem, location);
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A finite number as invariant text ("" for infinities and NaN: no bound).</summary>
    private static string Number(object? value) => value switch
    {
        int i => Int(i),
        double d when !double.IsNaN(d) && !double.IsInfinity(d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => "",
    };

    private static string ParseNumberText(string? text, bool isDecimal)
    {
        if (text is null)
        {
            return "";
        }
        if (isDecimal)
        {
            return decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var m) ? m.ToString(CultureInfo.InvariantCulture) : "";
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? Number(d) : "";
    }
}
