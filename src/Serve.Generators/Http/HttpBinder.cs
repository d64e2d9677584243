using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Checks the HTTP methods of a deployment and decides what to emit: route templates, where each parameter binds
/// from, validation checks, result writing and JSON metadata; a diagnostic for everything that does not fit.
/// </summary>
internal static partial class HttpBinder
{
    public static HttpDeploymentModel? Bind(DeploymentInfo deployment, List<DiagnosticInfo> diagnostics)
    {
        // An invalid [Batch] method has no per-item overload to serve with (SERVE0035 says why).
        var methods = deployment.Methods.Where(m => m.Http is not null && m.Batch is not { IsValid: false }).ToList();
        if (methods.Count == 0)
        {
            return null;
        }
        var state = new State(deployment, diagnostics);
        var usable = new List<DeploymentMethodInfo>();
        foreach (var method in methods)
        {
            var problem = method.IsStatic ? "it is static; HTTP methods must be instance methods"
                : method.IsGeneric ? "it is generic"
                : !method.IsAccessible ? "it must be public or internal"
                : null;
            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedHttpMethod, method.Location, method.Name, problem));
            }
            else
            {
                usable.Add(method);
            }
        }

        var ingresses = methods.Where(m => m.Http!.IsIngress).ToList();
        var routed = methods.Where(m => m.Http!.Routes.Count > 0).ToList();
        if (ingresses.Count > 0)
        {
            if (routed.Count > 0)
            {
                foreach (var ingress in ingresses)
                {
                    var other = routed.FirstOrDefault(r => r != ingress) ?? ingress;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHttpIngress, ingress.Location, ingress.Name,
                        other == ingress
                            ? "also has a route attribute; a method is either the plain ingress or a routed method"
                            : "is in a deployment with routed methods (such as '" + other.Name + "'); a deployment has either one plain ingress or routed methods"));
                }
                return null;
            }
            for (var i = 1; i < ingresses.Count; i++)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHttpIngress, ingresses[i].Location, ingresses[i].Name,
                    "is the second [HttpIngress] method of deployment '" + deployment.DeploymentName + "' (after '" + ingresses[0].Name + "'); a deployment has one plain ingress"));
            }
            var route = usable.Contains(ingresses[0]) ? state.BindIngress(ingresses[0]) : null;
            return state.Model(route is null ? new List<HttpRouteModel>() : new List<HttpRouteModel> { route }, isRouted: false);
        }

        var routes = new List<HttpRouteModel>();
        var seen = new Dictionary<string, (string Method, string Template)>(StringComparer.Ordinal);
        foreach (var method in routed)
        {
            foreach (var attribute in method.Http!.Routes)
            {
                var segments = ParseTemplate(attribute.Template, out var templateProblem);
                if (templateProblem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidRouteTemplate, attribute.Location ?? method.Location, attribute.Template, method.Name, templateProblem));
                    continue;
                }
                var key = attribute.HttpMethod + " " + string.Join("/", segments.Select(s => s.IsParameter ? "{}" : s.Text));
                if (seen.TryGetValue(key, out var previous))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RouteConflict, attribute.Location ?? method.Location,
                        attribute.HttpMethod, attribute.Template, method.Name, previous.Template, previous.Method));
                    continue;
                }
                seen[key] = (method.Name, attribute.Template);
                if (!usable.Contains(method))
                {
                    continue;
                }
                var model = state.BindRoute(method, attribute, segments);
                if (model is not null)
                {
                    routes.Add(model);
                }
            }
        }
        return state.Model(routes, isRouted: true);
    }

    /// <summary>One segment of a route template.</summary>
    internal readonly struct Segment
    {
        public Segment(string text, bool isParameter)
        {
            Text = text;
            IsParameter = isParameter;
        }

        /// <summary>The literal, or the parameter name.</summary>
        public string Text { get; }

        public bool IsParameter { get; }
    }

    /// <summary>Splits a template into segments; <paramref name="problem"/> says what is wrong with an invalid one.</summary>
    internal static List<Segment> ParseTemplate(string template, out string? problem)
    {
        var segments = new List<Segment>();
        problem = null;
        if (template.Length == 0 || template[0] != '/')
        {
            problem = "it must start with '/'";
            return segments;
        }
        if (template == "/")
        {
            return segments;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var parts = template.Substring(1).Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length == 0)
            {
                problem = i == parts.Length - 1 ? "it ends with '/' (only the root template \"/\" may)" : "it has an empty segment ('//')";
                return segments;
            }
            if (part[0] == '{' && part[part.Length - 1] == '}' && part.Length >= 2)
            {
                var name = part.Substring(1, part.Length - 2);
                if (name.EndsWith("?", StringComparison.Ordinal))
                {
                    problem = "optional parameters ('{" + name + "}') are not supported; bind the value from the query string instead";
                    return segments;
                }
                if (!IsIdentifier(name))
                {
                    problem = "'{" + name + "}' must name a parameter with a C# identifier";
                    return segments;
                }
                if (!names.Add(name))
                {
                    problem = "the parameter '{" + name + "}' appears twice";
                    return segments;
                }
                segments.Add(new Segment(name, isParameter: true));
                continue;
            }
            foreach (var c in part)
            {
                if (c is '{' or '}')
                {
                    problem = "segment '" + part + "' mixes text and a parameter; a parameter must be a whole segment ('/{name}')";
                    return segments;
                }
                if (c is '?' or '#' || char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    problem = "segment '" + part + "' contains '" + (char.IsWhiteSpace(c) || char.IsControl(c) ? "whitespace" : c.ToString()) + "', which cannot appear in a path";
                    return segments;
                }
            }
            segments.Add(new Segment(part, isParameter: false));
        }
        return segments;
    }

    private static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || !(char.IsLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }
        return name.All(c => char.IsLetterOrDigit(c) || c == '_');
    }

    private sealed partial class State
    {
        private readonly DeploymentInfo _deployment;
        private readonly List<DiagnosticInfo> _diagnostics;
        private readonly List<JsonFieldModel> _jsonFields = new();
        private readonly List<RegexFieldModel> _regexFields = new();
        private readonly HashSet<string> _invokerNames = new(StringComparer.Ordinal);

        public State(DeploymentInfo deployment, List<DiagnosticInfo> diagnostics)
        {
            _deployment = deployment;
            _diagnostics = diagnostics;
        }

        public HttpDeploymentModel Model(List<HttpRouteModel> routes, bool isRouted)
            => new(
                routes.ToEquatableArray(),
                _deployment.JsonContext is { IsContext: true } context ? context.Type : "",
                _jsonFields.ToEquatableArray(),
                _regexFields.ToEquatableArray(),
                isRouted,
                _deployment.DeploymentName,
                _deployment.SchemaComponents);

        public HttpRouteModel? BindIngress(DeploymentMethodInfo method)
        {
            var http = method.Http!;
            var before = _diagnostics.Count;
            var arguments = new List<HttpArgumentModel>();
            var seen = new HashSet<HttpParameterKind>();
            foreach (var parameter in http.Parameters)
            {
                if (parameter.IsByRef)
                {
                    Ingress(method, "takes parameter '" + parameter.Name + "' by reference (ref, out or in)");
                }
                else if (parameter.Kind == HttpParameterKind.Value)
                {
                    Ingress(method, "takes parameter '" + parameter.Name + "' of type '" + parameter.Display
                        + "'; a plain ingress takes the request (Serve.Http.HttpRequestData) and optionally a Serve.ServeRequestContext and a System.Threading.CancellationToken");
                }
                else if (!seen.Add(parameter.Kind))
                {
                    Ingress(method, "takes two parameters of type '" + parameter.Display + "'");
                }
                else
                {
                    arguments.Add(new HttpArgumentModel(parameter, HttpSource.None, "", false, "", EquatableArray<ValidationModel>.Empty));
                }
            }
            if (http.Return.Kind == HttpResultKind.Unsupported)
            {
                Ingress(method, "returns '" + http.Return.Display + "'; return a string, byte[], Serve.Http.HttpResult, a JSON-serializable object, a task of one, or IAsyncEnumerable<T>");
            }
            var resultField = ResultField(method);
            if (_diagnostics.Count != before)
            {
                return null;
            }
            return new HttpRouteModel(InvokerName(method.Name), method.Name, null, null, 200, arguments.ToEquatableArray(), http.Return, resultField);
        }

        private void Ingress(DeploymentMethodInfo method, string problem)
            => _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHttpIngress, method.Location, method.Name, problem));

        public HttpRouteModel? BindRoute(DeploymentMethodInfo method, HttpRouteAttributeInfo attribute, List<Segment> segments)
        {
            var http = method.Http!;
            var before = _diagnostics.Count;
            var templateNames = new HashSet<string>(segments.Where(s => s.IsParameter).Select(s => s.Text), StringComparer.Ordinal);
            var boundNames = new HashSet<string>(StringComparer.Ordinal);
            var injected = new HashSet<HttpParameterKind>();
            string? bodyParameter = null;
            var arguments = new List<HttpArgumentModel>();

            foreach (var parameter in http.Parameters)
            {
                void Unbindable(string reason)
                    => _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnbindableParameter, parameter.Location ?? method.Location,
                        "Parameter '" + parameter.Name + "'", method.Name, reason));

                if (parameter.IsByRef)
                {
                    Unbindable("it is passed by reference (ref, out or in)");
                    continue;
                }
                if (parameter.Kind != HttpParameterKind.Value)
                {
                    if (!injected.Add(parameter.Kind))
                    {
                        Unbindable("it repeats a parameter of type '" + parameter.Display + "'");
                    }
                    else
                    {
                        arguments.Add(new HttpArgumentModel(parameter, HttpSource.None, "", false, "", EquatableArray<ValidationModel>.Empty));
                    }
                    continue;
                }

                var source = parameter.ExplicitSource;
                var wireName = parameter.ExplicitName ?? parameter.Name;
                if (source == HttpSource.None)
                {
                    source = templateNames.Contains(parameter.Name) ? HttpSource.Path
                        : parameter.Scalar != ScalarKind.None ? HttpSource.Query
                        : HttpSource.Body;
                    wireName = parameter.Name;
                }
                if (source == HttpSource.Header && parameter.ExplicitName is null)
                {
                    // FastAPI's convention: user_agent reads the User-Agent header.
                    wireName = parameter.Name.Replace('_', '-');
                }

                switch (source)
                {
                    case HttpSource.Path:
                        if (!templateNames.Contains(wireName))
                        {
                            Unbindable("the route template '" + attribute.Template + "' has no '{" + wireName + "}' segment");
                            continue;
                        }
                        if (!boundNames.Add(wireName))
                        {
                            Unbindable("another parameter already binds the template segment '{" + wireName + "}'");
                            continue;
                        }
                        if (parameter.Scalar == ScalarKind.None)
                        {
                            Unbindable("a route value is text, and '" + parameter.Display + "' is not a simple type (string, number, bool, char, Guid, DateTime, DateTimeOffset, TimeSpan, enum)");
                            continue;
                        }
                        break;
                    case HttpSource.Query:
                    case HttpSource.Header:
                        if (parameter.Scalar == ScalarKind.None)
                        {
                            Unbindable("'" + parameter.Display + "' cannot be read from " + (source == HttpSource.Query ? "the query string" : "a header")
                                + "; only simple types can (string, number, bool, char, Guid, DateTime, DateTimeOffset, TimeSpan, enum, or Nullable<T> of one)"
                                + (parameter.IsJsonBindable ? "; take it from the JSON body with [FromBody]" : ""));
                            continue;
                        }
                        break;
                    case HttpSource.Body:
                        if (!parameter.IsJsonBindable)
                        {
                            Unbindable(parameter.Unbindable);
                            continue;
                        }
                        if (bodyParameter is not null)
                        {
                            Unbindable("a request has one JSON body, and parameter '" + bodyParameter + "' already binds it; combine them into one type");
                            continue;
                        }
                        bodyParameter = parameter.Name;
                        break;
                }

                var required = source == HttpSource.Path
                    || parameter.Validations.Any(v => v.Kind == ValidationKind.Required)
                    || (parameter.DefaultValue is null && !parameter.IsNullable);
                var validations = Validations(method, parameter);
                var jsonField = "";
                if (source == HttpSource.Body)
                {
                    jsonField = JsonField(method, parameter.Type, parameter.JsonType, "the body parameter '" + parameter.Name + "'", parameter.Location);
                }
                arguments.Add(new HttpArgumentModel(parameter, source, wireName, required, jsonField, validations));
            }

            foreach (var name in templateNames.Where(n => !boundNames.Contains(n)).OrderBy(n => n, StringComparer.Ordinal))
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnbindableParameter, attribute.Location ?? method.Location,
                    "Template segment '{" + name + "}' of '" + attribute.Template + "'", method.Name, "the method has no parameter named '" + name + "' (or with [FromRoute(Name = \"" + name + "\")])"));
            }
            if (http.Return.Kind == HttpResultKind.Unsupported)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedHttpMethod, method.ReturnTypeLocation ?? method.Location, method.Name,
                    "it returns '" + http.Return.Display + "'; return a string, byte[], Serve.Http.HttpResult, a JSON-serializable object, a task of one, or IAsyncEnumerable<T> (not a task of a stream)"));
            }
            var resultField = ResultField(method);
            if (_diagnostics.Count != before)
            {
                return null;
            }
            return new HttpRouteModel(InvokerName(method.Name), method.Name, attribute.HttpMethod, attribute.Template, attribute.StatusCode,
                arguments.ToEquatableArray(), http.Return, resultField);
        }

        private string ResultField(DeploymentMethodInfo method)
        {
            var ret = method.Http!.Return;
            if (ret.Kind == HttpResultKind.Json || (ret.Kind == HttpResultKind.Stream && !ret.StreamIsText))
            {
                return JsonField(method, ret.Type, ret.JsonType, ret.Kind == HttpResultKind.Stream ? "the stream element" : "the result", method.ReturnTypeLocation ?? method.Location);
            }
            return "";
        }

        /// <summary>The JSON metadata field of a type (created on first use); empty, with a diagnostic, when the context cannot provide it.</summary>
        private string JsonField(DeploymentMethodInfo method, string type, string jsonType, string role, LocationInfo? location)
        {
            var display = Display(jsonType);
            var context = _deployment.JsonContext;
            string? problem = null;
            if (context is null)
            {
                problem = "deployment '" + _deployment.FullTypeName + "' has no [JsonContext(typeof(...))]; add a System.Text.Json.Serialization.JsonSerializerContext with [JsonSerializable(typeof("
                    + display + "))] and name it with [JsonContext] on the deployment";
            }
            else if (!context.IsContext)
            {
                problem = "'" + context.Display + "' named by [JsonContext] does not derive from System.Text.Json.Serialization.JsonSerializerContext";
            }
            else if (!context.SerializableTypes.Contains(jsonType))
            {
                problem = "the JSON context '" + context.Display + "' has no [JsonSerializable(typeof(" + display + "))]";
            }
            if (problem is not null)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingJsonMetadata, location ?? method.Location, display, role, method.Name, problem));
                return "";
            }
            var existing = _jsonFields.FirstOrDefault(f => f.Type == type);
            if (existing is null)
            {
                existing = new JsonFieldModel("Json" + _jsonFields.Count.ToString(CultureInfo.InvariantCulture), type, jsonType);
                _jsonFields.Add(existing);
            }
            return existing.Name;
        }

        private string InvokerName(string methodName)
        {
            var baseName = "__ServeHttp_" + CSharp.Identifier(methodName).TrimStart('_');
            var name = baseName;
            for (var n = 2; !_invokerNames.Add(name); n++)
            {
                name = baseName + "_" + n.ToString(CultureInfo.InvariantCulture);
            }
            return name;
        }

        private static string Display(string globalTypeName) => globalTypeName.Replace("global::", "");
    }
}
