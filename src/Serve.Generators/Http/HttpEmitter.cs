using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes the HTTP part of a deployment: the route table entries, the invokers, their support class and the OpenAPI document.</summary>
internal static partial class HttpEmitter
{
    private const string Http = "global::Serve.Http.";
    private const string Globalization = "global::System.Globalization.";
    private const string Support = "__ServeHttpSupport";
    private const string ErrorList = "global::System.Collections.Generic.List<global::Serve.Http.HttpValidationError>";

    /// <summary>True when the definition gets HTTP properties.</summary>
    public static bool HasRoutes(DeploymentModel model) => model.Http is { Routes.Count: > 0 };

    /// <summary>The object initializer lines of the deployment definition (<c>HttpRoutes</c>, <c>OpenApiJson</c>).</summary>
    public static void EmitDefinitionProperties(SourceWriter w, DeploymentModel model)
    {
        var http = model.Http!;
        w.Line("    HttpRoutes = new " + CSharp.Dispatch + "HttpRouteDefinition[]");
        w.Line("    {");
        foreach (var route in http.Routes)
        {
            w.Line("        new " + CSharp.Dispatch + "HttpRouteDefinition(" + (route.HttpMethod is null ? "null" : CSharp.Literal(route.HttpMethod)) + ", "
                + (route.Template is null ? "null" : CSharp.Literal(route.Template)) + ", " + CSharp.Literal(route.MethodName) + ", " + route.InvokerName + "),");
        }
        w.Line("    },");
        if (http.IsRouted)
        {
            w.Line("    OpenApiJson = __ServeOpenApiJson,");
        }
    }

    /// <summary>The members: OpenAPI constant, invokers and the support class.</summary>
    public static void EmitMembers(SourceWriter w, DeploymentModel model)
    {
        var http = model.Http!;
        if (http.IsRouted)
        {
            w.Line();
            w.Line("/// <summary>The OpenAPI 3.1 document of the routed methods (served at <c>{route_prefix}/openapi.json</c>).</summary>");
            w.Line(CSharp.GeneratedCodeAttribute);
            w.Line("private const string __ServeOpenApiJson = " + CSharp.Literal(OpenApiWriter.Write(http)) + ";");
        }
        foreach (var route in http.Routes)
        {
            w.Line();
            EmitInvoker(w, model, route);
        }
        EmitSupport(w, http);
    }

    private static void EmitInvoker(SourceWriter w, DeploymentModel model, HttpRouteModel route)
    {
        var what = route.HttpMethod is null ? "every HTTP request" : "<c>" + CSharp.Xml(route.HttpMethod + " " + route.Template) + "</c>";
        w.Line("/// <summary>Serves " + what + " with <c>" + CSharp.Xml(route.MethodName) + "</c>.</summary>");
        w.Line(CSharp.GeneratedCodeAttribute);
        w.Open("private static async global::System.Threading.Tasks.ValueTask " + route.InvokerName + "(object instance, " + CSharp.Dispatch + "HttpServerCall call)");
        var bound = route.Arguments.Where(a => a.Source != HttpSource.None).ToList();
        if (bound.Count > 0)
        {
            w.Line(ErrorList + "? __errors = null;");
            foreach (var argument in bound)
            {
                EmitArgument(w, argument);
            }
            w.Open("if (__errors is not null)");
            w.Line("throw new " + Http + "HttpValidationException(__errors);");
            w.Close();
        }

        var arguments = route.Arguments.Select(a => a.Parameter.Kind switch
        {
            HttpParameterKind.Context => "call.RequestContext",
            HttpParameterKind.CancellationToken => "call.CancellationToken",
            HttpParameterKind.Request => "call.Request",
            _ => Local(a.Parameter),
        });
        var call = "((" + model.GlobalTypeName + ")instance)." + Symbols.EscapeIdentifier(route.MethodName) + "(" + string.Join(", ", arguments) + ")";
        var ret = route.Return;
        var awaited = ret.Await == HttpAwaitKind.None ? call : "await " + call + ".ConfigureAwait(false)";
        var status = route.StatusCode.ToString(CultureInfo.InvariantCulture);
        switch (ret.Kind)
        {
            case HttpResultKind.Empty:
                w.Line(awaited + ";");
                w.Line("await call.WriteResultAsync(" + Http + "HttpResult.Status(" + status + ")).ConfigureAwait(false);");
                break;
            case HttpResultKind.Stream:
                var stream = ret.NeedsStreamCast ? "(global::System.Collections.Generic.IAsyncEnumerable<" + ret.Type + ">)" + call : call;
                w.Line("await call.WriteStreamAsync<" + ret.Type + ">(" + stream + ", " + (ret.StreamIsText ? "null" : Support + "." + route.ResultJsonField) + ").ConfigureAwait(false);");
                break;
            case HttpResultKind.Json:
                w.Line("var __result = " + awaited + ";");
                w.Line("await call.WriteJsonAsync(__result, " + Support + "." + route.ResultJsonField + ", " + status + ").ConfigureAwait(false);");
                break;
            default:
                w.Line("var __result = " + awaited + ";");
                w.Line("await " + CSharp.Dispatch + "HttpDispatch.WriteAsync(call, __result, " + status + ").ConfigureAwait(false);");
                break;
        }
        w.Close();
    }

    private static string Local(HttpParameterInfo parameter) => "__arg_" + parameter.Name;

    private static string SourceName(HttpSource source) => source switch
    {
        HttpSource.Path => "path",
        HttpSource.Query => "query",
        HttpSource.Header => "header",
        _ => "body",
    };

    private static void EmitArgument(SourceWriter w, HttpArgumentModel argument)
    {
        var parameter = argument.Parameter;
        var local = Local(parameter);
        w.Line(parameter.Type + " " + local + " = " + (parameter.DefaultValue ?? "default!") + ";");
        var source = CSharp.Literal(SourceName(argument.Source));
        if (argument.Source == HttpSource.Body)
        {
            var missing = SharedHelpers.Alias + ".HttpError(ref __errors, " + source + ", null, \"Field required\", \"missing\", null);";
            if (argument.IsRequired)
            {
                w.Open("if (call.Request.Body.IsEmpty)");
                w.Line(missing);
                w.Close();
                w.Open("else");
            }
            else
            {
                w.Open("if (!call.Request.Body.IsEmpty)");
            }
            w.Line("var __value = " + CSharp.Dispatch + "HttpDispatch.ReadJsonBody(call, " + Support + "." + argument.JsonField + ", " + CSharp.Literal(parameter.Name) + ", "
                + (argument.IsRequired ? "true" : "false") + ");");
            w.Line(local + " = __value;");
            if (argument.Validations.Count > 0)
            {
                if (!parameter.IsValueType)
                {
                    w.Open("if (__value is not null)");
                }
                EmitValidations(w, argument, source, "null", "global::Serve.Dispatch.HttpDispatch.Describe(__value)");
                if (!parameter.IsValueType)
                {
                    w.Close();
                }
            }
            w.Close();
            return;
        }

        var name = CSharp.Literal(argument.WireName);
        var fetch = argument.Source switch
        {
            HttpSource.Path => "call.GetRouteValue(" + name + ")",
            HttpSource.Query => "call.Request.Query[" + name + "]",
            _ => "call.Request.Headers[" + name + "]",
        };
        w.Open("");
        w.Line("var __text = " + fetch + ";");
        if (argument.IsRequired)
        {
            w.Open("if (__text is null)");
            w.Line(SharedHelpers.Alias + ".HttpError(ref __errors, " + source + ", " + name + ", \"Field required\", \"missing\", null);");
            w.Close();
            w.Open("else");
        }
        else
        {
            w.Open("if (__text is not null)");
        }
        var (parse, message, type) = Parse(parameter);
        if (parse is null)
        {
            w.Line("var __value = __text;");
            w.Line(local + " = __value;");
            EmitValidations(w, argument, source, name, "__text");
        }
        else
        {
            w.Open("if (!" + parse + ")");
            w.Line(SharedHelpers.Alias + ".HttpError(ref __errors, " + source + ", " + name + ", " + CSharp.Literal(message) + ", " + CSharp.Literal(type) + ", __text);");
            w.Close();
            w.Open("else");
            w.Line(local + " = __value;");
            EmitValidations(w, argument, source, name, "__text");
            w.Close();
        }
        w.Close();
        w.Close();
    }

    /// <summary>The TryParse call (null for strings), and the error message and type when it fails (pydantic v2's wording).</summary>
    private static (string? Parse, string Message, string Type) Parse(HttpParameterInfo parameter)
    {
        var type = parameter.ScalarType;
        var invariant = Globalization + "CultureInfo.InvariantCulture";
        const string IntMessage = "Input should be a valid integer, unable to parse string as an integer";
        const string FloatMessage = "Input should be a valid number, unable to parse string as a number";
        switch (parameter.Scalar)
        {
            case ScalarKind.String:
                return (null, "", "");
            case ScalarKind.Boolean:
                return (SharedHelpers.Alias + ".TryParseBoolean(__text, out var __value)", "Input should be a valid boolean, unable to interpret input", "bool_parsing");
            case ScalarKind.Char:
                return (SharedHelpers.Alias + ".TryParseChar(__text, out var __value)", "Input should be a single character", "char_parsing");
            case ScalarKind.Single:
            case ScalarKind.Double:
                return (type + ".TryParse(__text, " + Globalization + "NumberStyles.Float, " + invariant + ", out var __value)", FloatMessage, "float_parsing");
            case ScalarKind.Decimal:
                return (type + ".TryParse(__text, " + Globalization + "NumberStyles.Float, " + invariant + ", out var __value)", "Input should be a valid decimal", "decimal_parsing");
            case ScalarKind.Guid:
                return (type + ".TryParse(__text, out var __value)", "Input should be a valid UUID, unable to parse string as a UUID", "uuid_parsing");
            case ScalarKind.DateTime:
                return (type + ".TryParse(__text, " + invariant + ", " + Globalization + "DateTimeStyles.RoundtripKind, out var __value)",
                    "Input should be a valid datetime, unable to parse string as a datetime", "datetime_parsing");
            case ScalarKind.DateTimeOffset:
                return (type + ".TryParse(__text, " + invariant + ", " + Globalization + "DateTimeStyles.None, out var __value)",
                    "Input should be a valid datetime, unable to parse string as a datetime", "datetime_parsing");
            case ScalarKind.TimeSpan:
                return (type + ".TryParse(__text, " + invariant + ", out var __value)", "Input should be a valid timedelta, unable to parse string as a timedelta", "time_delta_parsing");
            case ScalarKind.Enum:
                return (SharedHelpers.Alias + ".TryParseEnum<" + type + ">(__text, out var __value)", "Input should be " + EnumList(parameter.EnumMembers), "enum");
            default:
                return (type + ".TryParse(__text, " + Globalization + "NumberStyles.Integer, " + invariant + ", out var __value)", IntMessage, "int_parsing");
        }
    }

    /// <summary>pydantic's enum message: 'a', 'b' or 'c'.</summary>
    private static string EnumList(EquatableArray<string> members)
    {
        var quoted = members.Select(m => "'" + m + "'").ToList();
        return quoted.Count switch
        {
            0 => "a member of the enumeration",
            1 => quoted[0],
            _ => string.Join(", ", quoted.Take(quoted.Count - 1)) + " or " + quoted[quoted.Count - 1],
        };
    }

    /// <summary>The shared helpers a deployment's HTTP invokers call (the deployment has routes).</summary>
    public static EquatableArray<HttpHelper> HelpersOf(HttpDeploymentModel http)
    {
        var arguments = http.Routes.SelectMany(r => r.Arguments).ToList();
        var helpers = new List<HttpHelper>();
        if (arguments.Any(a => a.Source != HttpSource.None))
        {
            helpers.Add(HttpHelper.Error);
        }
        if (http.RegexFields.Count > 0)
        {
            helpers.Add(HttpHelper.IsFullMatch);
        }
        var scalars = new HashSet<ScalarKind>(arguments.Where(a => a.Source is HttpSource.Path or HttpSource.Query or HttpSource.Header).Select(a => a.Parameter.Scalar));
        if (scalars.Contains(ScalarKind.Boolean))
        {
            helpers.Add(HttpHelper.TryParseBoolean);
        }
        if (scalars.Contains(ScalarKind.Char))
        {
            helpers.Add(HttpHelper.TryParseChar);
        }
        if (scalars.Contains(ScalarKind.Enum))
        {
            helpers.Add(HttpHelper.TryParseEnum);
        }
        return helpers.ToEquatableArray();
    }

    /// <summary>The JSON metadata and patterns of one deployment's HTTP invokers, created on first use.</summary>
    private static void EmitSupport(SourceWriter w, HttpDeploymentModel http)
    {
        if (http.JsonFields.Count == 0 && http.RegexFields.Count == 0)
        {
            return;
        }
        w.Line();
        w.Line("/// <summary>JSON metadata and patterns of the HTTP invokers (initialized on first use).</summary>");
        w.Line(CSharp.GeneratedCodeAttribute);
        w.Open("private static class " + Support);
        var first = true;
        foreach (var field in http.JsonFields)
        {
            if (!first)
            {
                w.Line();
            }
            first = false;
            var typeInfo = "global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<" + field.Type + ">";
            w.Line("/// <summary>System.Text.Json metadata of <c>" + CSharp.Xml(field.Type) + "</c>.</summary>");
            w.Line("public static readonly " + typeInfo + " " + field.Name + " = (" + typeInfo + ")" + http.ContextType + ".Default.GetTypeInfo(typeof(" + field.JsonType + "))!;");
        }
        foreach (var field in http.RegexFields)
        {
            if (!first)
            {
                w.Line();
            }
            first = false;
            w.Line("/// <summary>The pattern <c>" + CSharp.Xml(field.Pattern) + "</c>.</summary>");
            w.Line("public static readonly global::System.Text.RegularExpressions.Regex " + field.Name + " = new global::System.Text.RegularExpressions.Regex("
                + CSharp.Literal(field.Pattern) + ", global::System.Text.RegularExpressions.RegexOptions.None, global::System.TimeSpan.FromSeconds(2));");
        }
        w.Close();
    }

    /// <summary>One HTTP binding helper of the compilation's shared helper class.</summary>
    public static void EmitHelper(SourceWriter w, HttpHelper helper)
    {
        switch (helper)
        {
            case HttpHelper.Error:
                w.Line("/// <summary>Adds a validation error located at <c>[source, name]</c> (or <c>[source]</c>).</summary>");
                w.Line("public static void HttpError(ref " + ErrorList + "? errors, string source, string? name, string message, string type, string? input)");
                w.Line("    => (errors ??= new " + ErrorList + "()).Add(new " + Http + "HttpValidationError(name is null ? new[] { source } : new[] { source, name }, message, type, input));");
                break;
            case HttpHelper.IsFullMatch:
                w.Line("/// <summary>True when <paramref name=\"pattern\"/> matches all of <paramref name=\"value\"/> (RegularExpressionAttribute's rule).</summary>");
                w.Open("public static bool IsFullMatch(global::System.Text.RegularExpressions.Regex pattern, string value)");
                w.Line("var match = pattern.Match(value);");
                w.Line("return match.Success && match.Index == 0 && match.Length == value.Length;");
                w.Close();
                break;
            case HttpHelper.TryParseBoolean:
                w.Line("/// <summary>pydantic's booleans: true/false, 1/0, yes/no, on/off, t/f, y/n, any case.</summary>");
                w.Open("public static bool TryParseBoolean(string text, out bool value)");
                w.Open("switch (text.Trim().ToLowerInvariant())");
                w.Line("case \"true\": case \"1\": case \"yes\": case \"on\": case \"t\": case \"y\":");
                w.Line("    value = true;");
                w.Line("    return true;");
                w.Line("case \"false\": case \"0\": case \"no\": case \"off\": case \"f\": case \"n\":");
                w.Line("    value = false;");
                w.Line("    return true;");
                w.Line("default:");
                w.Line("    value = false;");
                w.Line("    return false;");
                w.Close();
                w.Close();
                break;
            case HttpHelper.TryParseChar:
                w.Line("/// <summary>Exactly one character.</summary>");
                w.Open("public static bool TryParseChar(string text, out char value)");
                w.Line("value = text.Length == 1 ? text[0] : default;");
                w.Line("return text.Length == 1;");
                w.Close();
                break;
            default:
                w.Line("/// <summary>An enum member by name, ignoring case (numbers and combinations are not accepted).</summary>");
                w.Open("public static bool TryParseEnum<TEnum>(string text, out TEnum value) where TEnum : struct, global::System.Enum");
                w.Line("var trimmed = text.Trim();");
                w.Open("if (trimmed.Length == 0 || char.IsDigit(trimmed[0]) || trimmed[0] == '-' || trimmed[0] == '+' || trimmed.IndexOf(',') >= 0)");
                w.Line("value = default;");
                w.Line("return false;");
                w.Close();
                w.Line("return global::System.Enum.TryParse(trimmed, true, out value);");
                w.Close();
                break;
        }
    }
}
