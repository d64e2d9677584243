using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Serve.Config;

/// <summary>
/// Writes a <see cref="ServeConfig"/> as a YAML config file that <see cref="ServeConfigLoader"/> reads back
/// to an equal config (what <c>serve build</c> writes). Keys Ray's <c>serve build</c> always writes are always
/// written (<c>proxy_location</c>, <c>http_options.host</c>/<c>port</c>, <c>grpc_options.port</c>/
/// <c>grpc_servicer_functions</c>, the whole <c>logging_config</c>, each application's <c>name</c>,
/// <c>route_prefix</c>, <c>import_path</c> and <c>runtime_env</c>); others only when they differ from their
/// default or are set.
/// </summary>
/// <remarks>The YAML is built with YamlDotNet's representation model, without reflection (trimming- and AOT-safe).
/// Strings that YAML would read as another type (<c>"2"</c>, <c>"true"</c>, <c>"null"</c>, <c>""</c>) are quoted.</remarks>
public static class ServeConfigWriter
{
    /// <summary>Returns <paramref name="config"/> as YAML.</summary>
    /// <param name="config">The config to write.</param>
    /// <param name="header">Comment lines written first (each prefixed with <c># </c>), or null.</param>
    /// <returns>The YAML text, ending with one newline.</returns>
    public static string Write(ServeConfig config, string? header = null)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(config, writer, header);
        return writer.ToString();
    }

    /// <summary>Writes <paramref name="config"/> as YAML to <paramref name="writer"/>.</summary>
    /// <param name="config">The config to write.</param>
    /// <param name="writer">Where to.</param>
    /// <param name="header">Comment lines written first (each prefixed with <c># </c>), or null.</param>
    public static void Write(ServeConfig config, TextWriter writer, string? header = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(writer);
        if (header is not null)
        {
            foreach (var line in header.Split('\n'))
            {
                writer.Write("# ");
                writer.WriteLine(line.TrimEnd('\r'));
            }
            writer.WriteLine();
        }

        using var yaml = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(ServeConfig.Schema.Write(config))).Save(yaml, assignAnchors: false);
        // YamlStream ends the document with an explicit "..." marker; a config file does without.
        var text = yaml.ToString();
        if (text.EndsWith("...\n", StringComparison.Ordinal) || text.EndsWith("...\r\n", StringComparison.Ordinal))
        {
            text = text[..text.LastIndexOf("...", StringComparison.Ordinal)];
        }
        writer.Write(text.TrimEnd('\r', '\n'));
        writer.WriteLine();
    }

    /// <summary>A mapping whose values are JSON texts (runtime_env), as YAML; keys in ordinal order.</summary>
    internal static YamlMappingNode JsonMapping(IReadOnlyDictionary<string, string> values)
    {
        var node = new YamlMappingNode();
        foreach (var (key, json) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            node.Add(Str(key), FromJson(json));
        }
        if (node.Children.Count == 0)
        {
            node.Style = MappingStyle.Flow;
        }
        return node;
    }

    /// <summary>A mapping of scalar texts (args), as YAML strings; keys in ordinal order.</summary>
    internal static YamlMappingNode ScalarMapping(IReadOnlyDictionary<string, string> values)
    {
        var node = new YamlMappingNode();
        foreach (var (key, value) in values.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            node.Add(Str(key), Str(value));
        }
        return node;
    }

    /// <summary>A JSON value as YAML that the loader turns back into the same JSON value.</summary>
    internal static YamlNode FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return FromJson(document.RootElement);
    }

    internal static YamlNode FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new YamlMappingNode();
                foreach (var property in element.EnumerateObject())
                {
                    map.Add(Str(property.Name), FromJson(property.Value));
                }
                if (map.Children.Count == 0)
                {
                    map.Style = MappingStyle.Flow;
                }
                return map;
            case JsonValueKind.Array:
                return Sequence(element.EnumerateArray().Select(FromJson));
            case JsonValueKind.String:
                return Str(element.GetString()!);
            case JsonValueKind.Number:
                // JSON's number syntax is a subset of YAML 1.2's core-schema int and float.
                return Plain(element.GetRawText());
            case JsonValueKind.True:
                return Plain("true");
            case JsonValueKind.False:
                return Plain("false");
            default:
                return Plain("null");
        }
    }

    /// <summary>A block list, or <c>[]</c> when empty.</summary>
    internal static YamlSequenceNode Sequence(IEnumerable<YamlNode> items)
    {
        var node = new YamlSequenceNode(items);
        if (node.Children.Count == 0)
        {
            node.Style = SequenceStyle.Flow;
        }
        return node;
    }

    internal static YamlScalarNode Plain(string text) => new(text) { Style = ScalarStyle.Plain };

    internal static YamlScalarNode Number(int value) => Plain(value.ToString(CultureInfo.InvariantCulture));

    internal static YamlScalarNode Number(long value) => Plain(value.ToString(CultureInfo.InvariantCulture));

    internal static YamlScalarNode Number(double value) => Plain(value.ToString("R", CultureInfo.InvariantCulture));

    internal static YamlScalarNode Bool(bool value) => Plain(value ? "true" : "false");

    /// <summary>
    /// A string scalar: plain when YAML reads it back as the same string, single-quoted when it would be
    /// read as a number, boolean or null, double-quoted when it holds characters only escapes can write.
    /// </summary>
    internal static YamlScalarNode Str(string text)
    {
        if (text.Any(c => char.IsControl(c) && c != '\t') || text.Contains('\t', StringComparison.Ordinal))
        {
            return new YamlScalarNode(text) { Style = ScalarStyle.DoubleQuoted };
        }
        if (LooksTyped(text) || text.Length != text.Trim().Length)
        {
            return new YamlScalarNode(text) { Style = ScalarStyle.SingleQuoted };
        }
        // The emitter quotes what plain style cannot hold (": ", a leading "#", "[", …) by itself.
        return new YamlScalarNode(text);
    }

    private static bool LooksTyped(string text)
        => YamlScalars.IsNull(text) || YamlScalars.TryBool(text, out _) || YamlScalars.IsYaml11Bool(text)
           || YamlScalars.IsInteger(text) || YamlScalars.IsFloat(text) || YamlScalars.IsSpecialFloat(text)
           || YamlScalars.TryRadixInteger(text, out _);
}
