using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Writes the OpenAPI 3.1 document of a routed ingress, as FastAPI would describe it: one operation per route, parameters
/// with their constraints, JSON bodies and results as component schemas, and the 422 HTTPValidationError response.
/// Minified; ordinal order everywhere, so the output is deterministic.
/// </summary>
internal static class OpenApiWriter
{
    private const string ValidationErrorName = "ValidationError";
    private const string HttpValidationErrorName = "HTTPValidationError";

    public static string Write(HttpDeploymentModel model)
    {
        var j = new JsonWriter();
        j.StartObject();
        j.Name("openapi").String("3.1.0");
        j.Name("info").StartObject();
        j.Name("title").String(model.Title);
        j.Name("version").String("1.0.0");
        j.EndObject();

        var operationIds = OperationIds(model.Routes);
        var any422 = false;
        j.Name("paths").StartObject();
        foreach (var path in model.Routes.Where(r => r.Template is not null).GroupBy(r => r.Template!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            j.Name(path.Key).StartObject();
            foreach (var route in path.OrderBy(r => r.HttpMethod, StringComparer.Ordinal))
            {
                j.Name(route.HttpMethod!.ToLowerInvariant());
                any422 |= WriteOperation(j, route, operationIds[route]);
            }
            j.EndObject();
        }
        j.EndObject();

        var components = model.Components.ToList();
        j.Name("components").StartObject();
        j.Name("schemas").StartObject();
        var names = components.Select(c => c.Name).ToList();
        if (any422)
        {
            names.Add(HttpValidationErrorName);
            names.Add(ValidationErrorName);
        }
        foreach (var name in names.Distinct().OrderBy(n => n, StringComparer.Ordinal))
        {
            j.Name(name);
            var component = components.FirstOrDefault(c => c.Name == name);
            if (component is not null)
            {
                WriteComponent(j, component);
            }
            else if (name == HttpValidationErrorName)
            {
                j.Raw("{\"properties\":{\"detail\":{\"items\":{\"$ref\":\"#/components/schemas/ValidationError\"},\"type\":\"array\",\"title\":\"Detail\"}},\"type\":\"object\",\"title\":\"HTTPValidationError\"}");
            }
            else
            {
                j.Raw("{\"properties\":{\"loc\":{\"items\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]},\"type\":\"array\",\"title\":\"Location\"},"
                    + "\"msg\":{\"type\":\"string\",\"title\":\"Message\"},\"type\":{\"type\":\"string\",\"title\":\"Error Type\"}},"
                    + "\"type\":\"object\",\"required\":[\"loc\",\"msg\",\"type\"],\"title\":\"ValidationError\"}");
            }
        }
        j.EndObject();
        j.EndObject();
        j.EndObject();
        return j.ToString();
    }

    /// <summary>The method name, made unique with the HTTP method (and a number) when a method serves several routes.</summary>
    private static Dictionary<HttpRouteModel, string> OperationIds(EquatableArray<HttpRouteModel> routes)
    {
        var ids = new Dictionary<HttpRouteModel, string>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var counts = routes.GroupBy(r => r.MethodName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var id = counts[route.MethodName] == 1 ? route.MethodName : route.MethodName + "_" + (route.HttpMethod ?? "").ToLowerInvariant();
            var unique = id;
            for (var n = 2; !taken.Add(unique); n++)
            {
                unique = id + "_" + n.ToString(CultureInfo.InvariantCulture);
            }
            ids[route] = unique;
        }
        return ids;
    }

    /// <summary>Writes one operation; true when it has a 422 response.</summary>
    private static bool WriteOperation(JsonWriter j, HttpRouteModel route, string operationId)
    {
        j.StartObject();
        j.Name("operationId").String(operationId);
        var bound = route.Arguments.Where(a => a.Source != HttpSource.None).ToList();
        var parameters = bound.Where(a => a.Source != HttpSource.Body).ToList();
        if (parameters.Count > 0)
        {
            j.Name("parameters").StartArray();
            foreach (var argument in parameters)
            {
                j.StartObject();
                j.Name("name").String(argument.WireName);
                j.Name("in").String(argument.Source switch { HttpSource.Path => "path", HttpSource.Header => "header", _ => "query" });
                j.Name("required").Bool(argument.IsRequired);
                j.Name("schema");
                WriteSchema(j, argument.Parameter.Schema, argument.Validations);
                j.EndObject();
            }
            j.EndArray();
        }
        var body = bound.FirstOrDefault(a => a.Source == HttpSource.Body);
        if (body is not null)
        {
            j.Name("requestBody").StartObject();
            j.Name("required").Bool(body.IsRequired);
            j.Name("content").StartObject();
            j.Name("application/json").StartObject();
            j.Name("schema");
            WriteSchema(j, body.Parameter.Schema, body.Validations);
            j.EndObject();
            j.EndObject();
            j.EndObject();
        }

        j.Name("responses").StartObject();
        j.Name(route.StatusCode.ToString(CultureInfo.InvariantCulture)).StartObject();
        j.Name("description").String("Successful Response");
        var ret = route.Return;
        switch (ret.Kind)
        {
            case HttpResultKind.Text:
                Content(j, "text/plain", ret.Schema);
                break;
            case HttpResultKind.Bytes:
                Content(j, "application/octet-stream", ret.Schema);
                break;
            case HttpResultKind.Json:
                Content(j, "application/json", ret.Schema);
                break;
            case HttpResultKind.Stream:
                j.Name("content").StartObject();
                j.Name("application/x-ndjson").StartObject();
                j.Name("schema");
                WriteSchema(j, ret.Schema, EquatableArray<ValidationModel>.Empty);
                j.EndObject();
                j.Name("text/event-stream").StartObject();
                j.Name("schema");
                WriteSchema(j, TypeSchema.Of(SchemaKind.String), EquatableArray<ValidationModel>.Empty);
                j.EndObject();
                j.EndObject();
                break;
        }
        j.EndObject();
        if (bound.Count > 0)
        {
            j.Name("422").StartObject();
            j.Name("description").String("Validation Error");
            j.Name("content").StartObject();
            j.Name("application/json").StartObject();
            j.Name("schema").StartObject();
            j.Name("$ref").String("#/components/schemas/" + HttpValidationErrorName);
            j.EndObject();
            j.EndObject();
            j.EndObject();
            j.EndObject();
        }
        j.EndObject();
        j.EndObject();
        return bound.Count > 0;
    }

    private static void Content(JsonWriter j, string mediaType, TypeSchema schema)
    {
        j.Name("content").StartObject();
        j.Name(mediaType).StartObject();
        j.Name("schema");
        WriteSchema(j, schema, EquatableArray<ValidationModel>.Empty);
        j.EndObject();
        j.EndObject();
    }

    private static void WriteComponent(JsonWriter j, SchemaComponent component)
    {
        j.StartObject();
        j.Name("properties").StartObject();
        foreach (var property in component.Properties)
        {
            j.Name(property.Name);
            WriteSchema(j, property.Schema, EquatableArray<ValidationModel>.Empty);
        }
        j.EndObject();
        j.Name("type").String("object");
        var required = component.Properties.Where(p => p.Required).Select(p => p.Name).ToList();
        if (required.Count > 0)
        {
            j.Name("required").StartArray();
            foreach (var name in required)
            {
                j.String(name);
            }
            j.EndArray();
        }
        j.Name("title").String(component.Name);
        j.EndObject();
    }

    private static string TypeName(SchemaKind kind) => kind switch
    {
        SchemaKind.String => "string",
        SchemaKind.Integer => "integer",
        SchemaKind.Number => "number",
        SchemaKind.Boolean => "boolean",
        SchemaKind.Array => "array",
        _ => "object",
    };

    private static void WriteSchema(JsonWriter j, TypeSchema schema, EquatableArray<ValidationModel> validations)
    {
        var simple = schema.Kind is SchemaKind.String or SchemaKind.Integer or SchemaKind.Number or SchemaKind.Boolean;
        if (schema.Nullable && !simple && schema.Kind != SchemaKind.Any)
        {
            j.StartObject();
            j.Name("anyOf").StartArray();
            WriteSchema(j, schema with { Nullable = false }, validations);
            j.StartObject();
            j.Name("type").String("null");
            j.EndObject();
            j.EndArray();
            j.EndObject();
            return;
        }
        j.StartObject();
        switch (schema.Kind)
        {
            case SchemaKind.Ref:
                j.Name("$ref").String("#/components/schemas/" + schema.Ref);
                break;
            case SchemaKind.Array:
                j.Name("type").String("array");
                j.Name("items");
                WriteSchema(j, schema.Items ?? TypeSchema.Of(SchemaKind.Any), EquatableArray<ValidationModel>.Empty);
                break;
            case SchemaKind.Map:
                j.Name("type").String("object");
                j.Name("additionalProperties");
                WriteSchema(j, schema.Items ?? TypeSchema.Of(SchemaKind.Any), EquatableArray<ValidationModel>.Empty);
                break;
            case SchemaKind.Any:
                break;
            default:
                j.Name("type");
                if (schema.Nullable)
                {
                    j.StartArray().String(TypeName(schema.Kind)).String("null").EndArray();
                }
                else
                {
                    j.String(TypeName(schema.Kind));
                }
                if (schema.Format.Length > 0)
                {
                    j.Name("format").String(schema.Format);
                }
                if (schema.EnumValues.Count > 0)
                {
                    j.Name("enum").StartArray();
                    foreach (var value in schema.EnumValues)
                    {
                        j.String(value);
                    }
                    j.EndArray();
                }
                break;
        }
        foreach (var validation in validations)
        {
            var info = validation.Info;
            var isString = schema.Kind == SchemaKind.String;
            switch (info.Kind)
            {
                case ValidationKind.MinLength:
                    j.Name(isString ? "minLength" : "minItems").Raw(info.Minimum);
                    break;
                case ValidationKind.MaxLength:
                    j.Name(isString ? "maxLength" : "maxItems").Raw(info.Maximum);
                    break;
                case ValidationKind.StringLength:
                    if (info.Minimum.Length > 0)
                    {
                        j.Name("minLength").Raw(info.Minimum);
                    }
                    j.Name("maxLength").Raw(info.Maximum);
                    break;
                case ValidationKind.Range:
                    if (info.Minimum.Length > 0)
                    {
                        j.Name(info.MinimumIsExclusive ? "exclusiveMinimum" : "minimum").Raw(info.Minimum);
                    }
                    if (info.Maximum.Length > 0)
                    {
                        j.Name(info.MaximumIsExclusive ? "exclusiveMaximum" : "maximum").Raw(info.Maximum);
                    }
                    break;
                case ValidationKind.RegularExpression:
                    // RegularExpressionAttribute matches the whole value; JSON Schema patterns match anywhere.
                    j.Name("pattern").String("^(?:" + info.Pattern + ")$");
                    break;
            }
        }
        j.EndObject();
    }

    /// <summary>A minimal JSON writer: commas and escaping, nothing else.</summary>
    private sealed class JsonWriter
    {
        private readonly StringBuilder _builder = new();
        private readonly Stack<bool> _first = new();
        private bool _afterName;

        public JsonWriter StartObject() => Open('{');

        public JsonWriter EndObject() => Close('}');

        public JsonWriter StartArray() => Open('[');

        public JsonWriter EndArray() => Close(']');

        public JsonWriter Name(string name)
        {
            Separate();
            Escape(name);
            _builder.Append(':');
            _afterName = true;
            return this;
        }

        public JsonWriter String(string value)
        {
            BeforeValue();
            Escape(value);
            return this;
        }

        public JsonWriter Bool(bool value) => Raw(value ? "true" : "false");

        /// <summary>A number or a complete JSON value, as is.</summary>
        public JsonWriter Raw(string json)
        {
            BeforeValue();
            _builder.Append(json);
            return this;
        }

        public override string ToString() => _builder.ToString();

        private JsonWriter Open(char c)
        {
            BeforeValue();
            _builder.Append(c);
            _first.Push(true);
            return this;
        }

        private JsonWriter Close(char c)
        {
            _builder.Append(c);
            _first.Pop();
            return this;
        }

        private void BeforeValue()
        {
            if (_afterName)
            {
                _afterName = false;
                return;
            }
            Separate();
        }

        private void Separate()
        {
            if (_first.Count == 0)
            {
                return;
            }
            if (_first.Peek())
            {
                _first.Pop();
                _first.Push(false);
            }
            else
            {
                _builder.Append(',');
            }
        }

        private void Escape(string value)
        {
            _builder.Append('"');
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"':
                        _builder.Append("\\\"");
                        break;
                    case '\\':
                        _builder.Append("\\\\");
                        break;
                    case '\n':
                        _builder.Append("\\n");
                        break;
                    case '\r':
                        _builder.Append("\\r");
                        break;
                    case '\t':
                        _builder.Append("\\t");
                        break;
                    default:
                        if (c < 0x20)
                        {
                            _builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            _builder.Append(c);
                        }
                        break;
                }
            }
            _builder.Append('"');
        }
    }
}
