using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serve.Config;

/// <summary>
/// Maps a YAML node tree to the config model without reflection, key by key as each section's declaration
/// (<see cref="ConfigSection{T}"/>) says. Unknown keys, missing required keys and type errors are reported here;
/// range rules are the declarations' too, run by the model's Validate.
/// </summary>
internal sealed class YamlConfigReader
{
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    public YamlConfigReader(string sourceName)
    {
        Issues = new ConfigIssues(sourceName, Locate);
    }

    public ConfigIssues Issues { get; }

    public ServeConfig Read(YamlStream stream)
    {
        var config = new ServeConfig();
        if (stream.Documents.Count == 0)
        {
            return config;
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            Error("", second, $"the file holds {stream.Documents.Count} YAML documents (separated by \"---\"); a Serve config is one document.");
            return config;
        }

        var root = stream.Documents[0].RootNode;
        Remember("", root);
        if (IsNull(root))
        {
            return config;
        }

        if (root is not YamlMappingNode map)
        {
            Error("", root, $"the config must be a mapping with the keys {string.Join(", ", ServeConfig.Schema.Keys)}; got {Describe(root)}.");
            return config;
        }

        return ReadFields(ServeConfig.Schema, map, "", config);
    }

    /// <summary>
    /// Reads a section's mapping with its declaration; null for a list item that is not a mapping.
    /// A section written with no value (<c>http_options:</c>) keeps its defaults when <paramref name="nullIsEmpty"/>.
    /// </summary>
    internal T? ReadSection<T>(ConfigSection<T> section, YamlNode node, string path, bool nullIsEmpty)
        where T : class
    {
        if (!ExpectMapping(node, path, section.Context, out var map, nullIsEmpty))
        {
            return nullIsEmpty ? section.Create() : null;
        }

        return ReadFields(section, map, path, section.Create());
    }

    private T ReadFields<T>(ConfigSection<T> section, YamlMappingNode map, string path, T result)
        where T : class
    {
        HashSet<string>? seen = null;
        foreach (var (key, value, p) in Entries(map, path, section.Context, section.Keys, section.Unsupported))
        {
            var field = section.Find(key)!;
            if (field.Required is not null)
            {
                (seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
            }

            result = field.Read(this, value, p, result);
        }

        foreach (var field in section.Fields)
        {
            if (field.Required is { } message && seen?.Contains(field.Key) != true)
            {
                Error(ConfigPath.Key(path, field.Key), map, message);
            }
        }

        return result;
    }

    /// <summary>A mapping whose values are kept as JSON text (<c>runtime_env</c>).</summary>
    internal Dictionary<string, string> ReadJsonMap(YamlNode node, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!ExpectMapping(node, path, ConfigPath.Last(path), out var map))
        {
            return result;
        }

        foreach (var (keyNode, value) in map.Children)
        {
            if (!ReadKey(keyNode, path, out var key))
            {
                continue;
            }

            var p = ConfigPath.Key(path, key);
            Remember(p, value);
            if (ToJson(value, p) is { } json)
            {
                result[key] = json;
            }
        }

        return result;
    }

    /// <summary>A mapping of scalars kept as the text written (<c>args</c>); nested values and nulls are errors.</summary>
    internal Dictionary<string, string> ReadScalarMap(YamlNode node, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!ExpectMapping(node, path, ConfigPath.Last(path), out var map))
        {
            return result;
        }

        foreach (var (keyNode, value) in map.Children)
        {
            if (!ReadKey(keyNode, path, out var key))
            {
                continue;
            }

            var p = ConfigPath.Key(path, key);
            Remember(p, value);
            if (value is not YamlScalarNode scalar)
            {
                Error(p, value, $"args values must be scalars (a string, number or boolean); nested mappings and lists are not supported; got {Describe(value)}.");
            }
            else if (IsNull(scalar))
            {
                Error(p, value, "args values must be scalars (a string, number or boolean); got null.");
            }
            else
            {
                result[key] = scalar.Value ?? "";
            }
        }

        return result;
    }

    internal List<T> ReadList<T>(YamlNode node, string path, string what, Func<YamlConfigReader, YamlNode, string, T?> readItem)
        where T : class
    {
        var result = new List<T>();
        Remember(path, node);
        if (IsNull(node))
        {
            return result;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(path, node, $"must be {what}; got {Describe(node)}.");
            return result;
        }

        var i = 0;
        foreach (var item in sequence.Children)
        {
            var itemPath = ConfigPath.Index(path, i++);
            Remember(itemPath, item);
            // A null placeholder keeps later items at their own index; its error is already reported (the config is not returned).
            result.Add(readItem(this, item, itemPath)!);
        }

        return result;
    }

    private IEnumerable<(string Key, YamlNode Value, string Path)> Entries(
        YamlMappingNode map, string path, string context, IReadOnlyList<string> allowed, IReadOnlyDictionary<string, string> unsupported)
    {
        foreach (var (keyNode, value) in map.Children)
        {
            if (!ReadKey(keyNode, path, out var key))
            {
                continue;
            }

            var p = ConfigPath.Key(path, key);
            if (!allowed.Contains(key))
            {
                if (unsupported.TryGetValue(key, out var why))
                {
                    Error(p, keyNode, why);
                }
                else
                {
                    var suggestion = Suggestions.Closest(key, allowed);
                    var hint = suggestion is null ? "" : $" Did you mean \"{suggestion}\"?";
                    Error(p, keyNode, $"unknown key \"{key}\" in {context}.{hint} Allowed keys: {string.Join(", ", allowed)}.");
                }

                continue;
            }

            Remember(p, value);
            yield return (key, value, p);
        }
    }

    private bool ReadKey(YamlNode keyNode, string path, out string key)
    {
        if (keyNode is YamlScalarNode { Value: { } text } && !IsNull(keyNode))
        {
            key = text;
            return true;
        }

        Error(path, keyNode, $"mapping keys must be strings; got {Describe(keyNode)}.");
        key = "";
        return false;
    }

    private bool ExpectMapping(YamlNode node, string path, string what, out YamlMappingNode map, bool nullIsEmpty = true)
    {
        Remember(path, node);
        if (node is YamlMappingNode m)
        {
            map = m;
            return true;
        }

        map = null!;
        if (nullIsEmpty && IsNull(node))
        {
            return false;
        }

        Error(path, node, $"{what} must be a mapping (key: value lines); got {Describe(node)}.");
        return false;
    }

    internal bool ReadString(YamlNode node, string path, bool nullable, out string? value)
    {
        value = null;
        if (IsNull(node))
        {
            if (nullable)
            {
                return true;
            }

            Error(path, node, "must be a string; got null.");
            return false;
        }

        if (node is YamlScalarNode scalar)
        {
            value = scalar.Value ?? "";
            return true;
        }

        Error(path, node, $"must be a string; got {Describe(node)}.");
        return false;
    }

    internal bool ReadInt(YamlNode node, string path, bool nullable, out int? value)
    {
        var read = ReadLong(node, path, nullable, int.MinValue, int.MaxValue, out var wide);
        value = (int?)wide;
        return read;
    }

    internal bool ReadLong(YamlNode node, string path, bool nullable, long minimum, long maximum, out long? value)
    {
        value = null;
        if (IsNull(node) && nullable)
        {
            return true;
        }

        if (node is YamlScalarNode scalar && !IsStringTyped(scalar) && YamlScalars.IsInteger(scalar.Value))
        {
            if (long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) && parsed >= minimum && parsed <= maximum)
            {
                value = parsed;
                return true;
            }

            Error(path, node, $"must be an integer from {minimum} to {maximum}; got {scalar.Value}.");
            return false;
        }

        Error(path, node, $"must be an integer; got {Describe(node)}.");
        return false;
    }

    internal bool ReadDouble(YamlNode node, string path, bool nullable, out double? value, string unit = "seconds")
    {
        value = null;
        if (IsNull(node) && nullable)
        {
            return true;
        }

        if (node is YamlScalarNode scalar && !IsStringTyped(scalar))
        {
            if (YamlScalars.IsInteger(scalar.Value) || YamlScalars.IsFloat(scalar.Value))
            {
                var parsed = double.Parse(scalar.Value!, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (double.IsFinite(parsed))
                {
                    value = parsed;
                    return true;
                }
            }

            if (YamlScalars.IsSpecialFloat(scalar.Value))
            {
                Error(path, node, unit.Length == 0 ? $"must be a finite number; got {scalar.Value}." : $"must be a finite number of {unit}; got {scalar.Value}.");
                return false;
            }
        }

        Error(path, node, unit.Length == 0 ? $"must be a number; got {Describe(node)}." : $"must be a number (of {unit}); got {Describe(node)}.");
        return false;
    }

    internal bool ReadBool(YamlNode node, string path, out bool value)
    {
        value = false;
        if (node is YamlScalarNode scalar && !IsStringTyped(scalar) && YamlScalars.TryBool(scalar.Value, out value))
        {
            return true;
        }

        var hint = node is YamlScalarNode { Value: { } v } && YamlScalars.IsYaml11Bool(v)
            ? " (YAML 1.1 spellings such as yes/no/on/off are not booleans here)"
            : "";
        Error(path, node, $"must be true or false{hint}; got {Describe(node)}.");
        return false;
    }

    internal bool ReadEnum<TEnum>(YamlNode node, string path, out TEnum value, string allowed)
        where TEnum : struct, Enum
    {
        value = default;
        if (node is YamlScalarNode { Value: { } text } && !IsNull(node)
            && !text.Any(c => char.IsDigit(c) || c == ',') && Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value))
        {
            return true;
        }

        Error(path, node, $"must be {allowed}; got {Describe(node)}.");
        return false;
    }

    /// <summary>Converts any YAML value to JSON text with YAML 1.2 core-schema typing; null after reporting a problem.</summary>
    internal string? ToJson(YamlNode node, string path)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (!WriteJson(writer, node, path, depth: 0))
            {
                return null;
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private bool WriteJson(Utf8JsonWriter writer, YamlNode node, string path, int depth)
    {
        if (depth > 64)
        {
            Error(path, node, "is nested too deeply (more than 64 levels).");
            return false;
        }

        switch (node)
        {
            case YamlMappingNode map:
                writer.WriteStartObject();
                foreach (var (keyNode, value) in map.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key } || IsNull(keyNode))
                    {
                        Error(path, keyNode, $"mapping keys must be strings to be kept as JSON; got {Describe(keyNode)}.");
                        return false;
                    }

                    writer.WritePropertyName(key);
                    if (!WriteJson(writer, value, ConfigPath.Key(path, key), depth + 1))
                    {
                        return false;
                    }
                }

                writer.WriteEndObject();
                return true;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                var i = 0;
                foreach (var item in sequence.Children)
                {
                    if (!WriteJson(writer, item, ConfigPath.Index(path, i++), depth + 1))
                    {
                        return false;
                    }
                }

                writer.WriteEndArray();
                return true;
            case YamlScalarNode scalar:
                WriteScalar(writer, scalar);
                return true;
            default:
                Error(path, node, $"cannot be represented as JSON; got {Describe(node)}.");
                return false;
        }
    }

    private static void WriteScalar(Utf8JsonWriter writer, YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (IsStringTyped(scalar))
        {
            writer.WriteStringValue(text);
        }
        else if (IsNull(scalar))
        {
            writer.WriteNullValue();
        }
        else if (YamlScalars.TryBool(text, out var b))
        {
            writer.WriteBooleanValue(b);
        }
        else if (YamlScalars.IsInteger(text))
        {
            writer.WriteRawValue(BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
        }
        else if (YamlScalars.TryRadixInteger(text, out var radix))
        {
            writer.WriteNumberValue(radix);
        }
        else if (YamlScalars.IsFloat(text) && double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) is var d && double.IsFinite(d))
        {
            writer.WriteNumberValue(d);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    private static bool IsStringTyped(YamlScalarNode scalar) => YamlScalars.IsStringTyped(scalar);

    private static bool IsNull(YamlNode node) => YamlScalars.IsNull(node);

    internal static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) => "null",
        YamlScalarNode s when IsStringTyped(s) => $"the string \"{s.Value}\"",
        YamlScalarNode s => $"\"{s.Value}\"",
        _ => "an alias",
    };

    private void Remember(string path, YamlNode node)
        => _positions.TryAdd(path, ((int)node.Start.Line, (int)node.Start.Column));

    internal void Error(string path, YamlNode node, string message)
        => Issues.AddAt(path, (int)node.Start.Line, (int)node.Start.Column, message);

    private (int Line, int Column)? Locate(string path)
    {
        for (var p = path; ; p = ConfigPath.Parent(p))
        {
            if (_positions.TryGetValue(p, out var position))
            {
                return position;
            }

            if (p.Length == 0)
            {
                return (1, 1);
            }
        }
    }
}
