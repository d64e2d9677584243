using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes the checks of an HTTP parameter's validation attributes, each failure a pydantic-style error.</summary>
internal static partial class HttpEmitter
{
    private static void EmitValidations(SourceWriter w, HttpArgumentModel argument, string source, string name, string input)
    {
        var parameter = argument.Parameter;
        foreach (var validation in argument.Validations)
        {
            var info = validation.Info;
            void Check(string condition, string message, string type, bool messageIsExpression = false, string? errorInput = null)
            {
                w.Open("if (" + condition + ")");
                w.Line(SharedHelpers.Alias + ".HttpError(ref __errors, " + source + ", " + name + ", " + (messageIsExpression ? message : CSharp.Literal(message)) + ", "
                    + CSharp.Literal(type) + ", " + (errorInput ?? (validation.OnString ? "__value" : input)) + ");");
                w.Close();
            }
            void Length(string bound, bool isMinimum)
            {
                if (bound.Length == 0)
                {
                    return;
                }
                var count = "__value." + parameter.CountMember;
                var op = isMinimum ? " < " : " > ";
                var plural = bound == "1" ? "" : "s";
                if (validation.OnString)
                {
                    Check(count + op + bound, "String should have at " + (isMinimum ? "least " : "most ") + bound + " character" + plural,
                        isMinimum ? "string_too_short" : "string_too_long");
                }
                else
                {
                    Check(count + op + bound,
                        CSharp.Literal("List should have at " + (isMinimum ? "least " : "most ") + bound + " item" + plural + " after validation, not ")
                            + " + " + count + ".ToString(" + Globalization + "CultureInfo.InvariantCulture)",
                        isMinimum ? "too_short" : "too_long", messageIsExpression: true, errorInput: "null");
                }
            }
            switch (info.Kind)
            {
                case ValidationKind.MinLength:
                    Length(info.Minimum, isMinimum: true);
                    break;
                case ValidationKind.MaxLength:
                    Length(info.Maximum, isMinimum: false);
                    break;
                case ValidationKind.StringLength:
                    Length(info.Minimum, isMinimum: true);
                    Length(info.Maximum, isMinimum: false);
                    break;
                case ValidationKind.Range:
                    var asDecimal = info.RangeIsDecimal || parameter.Scalar == ScalarKind.Decimal;
                    var value = asDecimal ? (parameter.Scalar == ScalarKind.Decimal ? "__value" : "(decimal)__value") : "(double)__value";
                    string Bound(string text) => asDecimal ? text + "m" : text.Contains(".") || text.Contains("E") ? text : text + "d";
                    if (info.Minimum.Length > 0)
                    {
                        Check(value + (info.MinimumIsExclusive ? " <= " : " < ") + Bound(info.Minimum),
                            "Input should be greater than " + (info.MinimumIsExclusive ? "" : "or equal to ") + info.Minimum,
                            info.MinimumIsExclusive ? "greater_than" : "greater_than_equal");
                    }
                    if (info.Maximum.Length > 0)
                    {
                        Check(value + (info.MaximumIsExclusive ? " >= " : " > ") + Bound(info.Maximum),
                            "Input should be less than " + (info.MaximumIsExclusive ? "" : "or equal to ") + info.Maximum,
                            info.MaximumIsExclusive ? "less_than" : "less_than_equal");
                    }
                    break;
                case ValidationKind.RegularExpression:
                    // DataAnnotations semantics: the whole string must match; an empty string passes.
                    Check("__value.Length > 0 && !" + SharedHelpers.Alias + ".IsFullMatch(" + Support + "." + validation.RegexField + ", __value)",
                        "String should match pattern '" + info.Pattern + "'", "string_pattern_mismatch");
                    break;
            }
        }
    }
}
