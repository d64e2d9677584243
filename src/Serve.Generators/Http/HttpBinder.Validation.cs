using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Checks that each validation attribute of an HTTP parameter applies to its type, and shares the regexes they need.</summary>
internal static partial class HttpBinder
{
    private sealed partial class State
    {
        private EquatableArray<ValidationModel> Validations(DeploymentMethodInfo method, HttpParameterInfo parameter)
        {
            var models = new List<ValidationModel>();
            foreach (var validation in parameter.Validations)
            {
                var name = validation.Kind.ToString();
                var isNumber = parameter.Scalar is ScalarKind.Byte or ScalarKind.SByte or ScalarKind.Int16 or ScalarKind.UInt16 or ScalarKind.Int32
                    or ScalarKind.UInt32 or ScalarKind.Int64 or ScalarKind.UInt64 or ScalarKind.Single or ScalarKind.Double or ScalarKind.Decimal;
                var problem = validation.Problem.Length > 0 ? validation.Problem
                    : validation.Kind switch
                    {
                        ValidationKind.MinLength or ValidationKind.MaxLength when parameter.CountMember.Length == 0 =>
                            "applies to strings, arrays and collections, not '" + parameter.Display + "'",
                        ValidationKind.StringLength or ValidationKind.RegularExpression when parameter.Scalar != ScalarKind.String =>
                            "applies to strings, not '" + parameter.Display + "'",
                        ValidationKind.Range when !isNumber => "applies to numbers, not '" + parameter.Display + "'",
                        _ => "",
                    };
                if (problem.Length > 0)
                {
                    _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidValidationAttribute, validation.Location ?? parameter.Location,
                        name, parameter.Name, method.Name, problem));
                    continue;
                }
                if (validation.Kind == ValidationKind.Required || (validation.Kind == ValidationKind.MaxLength && validation.Maximum.Length == 0))
                {
                    continue;
                }
                var regexField = "";
                if (validation.Kind == ValidationKind.RegularExpression)
                {
                    var existing = _regexFields.FirstOrDefault(f => f.Pattern == validation.Pattern);
                    if (existing is null)
                    {
                        existing = new RegexFieldModel("Regex" + _regexFields.Count.ToString(CultureInfo.InvariantCulture), validation.Pattern);
                        _regexFields.Add(existing);
                    }
                    regexField = existing.Name;
                }
                models.Add(new ValidationModel(validation, parameter.Scalar == ScalarKind.String, regexField));
            }
            return models.ToEquatableArray();
        }
    }
}
