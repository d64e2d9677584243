using System.Globalization;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Serve.Config;

/// <summary>Reads a value node; false when the value is left as it was (a problem the reader reported, or nothing to set).</summary>
internal delegate bool ReadValue<TValue>(YamlConfigReader reader, YamlNode node, string path, out TValue value);

/// <summary>
/// A kind of config value (an integer, seconds, a string list, …): how it is read from YAML, written back, compared,
/// shown in messages and written as JSON. Fields of the same kind share one.
/// </summary>
internal sealed class ConfigValue<TValue>
{
    public required ReadValue<TValue> Read { get; init; }

    public required Func<TValue, YamlNode> Write { get; init; }

    /// <summary>Writes a JSON property; null for kinds the status never shows.</summary>
    public Action<Utf8JsonWriter, string, TValue>? WriteJson { get; init; }

    public IEqualityComparer<TValue> Comparer { get; init; } = EqualityComparer<TValue>.Default;

    public Func<TValue, string> Show { get; init; } = ConfigValues.Show;
}

/// <summary>The kinds of values config keys hold.</summary>
internal static class ConfigValues
{
    public static ConfigValue<string> String { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out string v) =>
        {
            var read = r.ReadString(n, p, nullable: false, out var s);
            v = s ?? "";
            return read;
        },
        Write = ServeConfigWriter.Str,
        WriteJson = static (w, k, v) => w.WriteString(k, v),
    };

    /// <summary>A string that may be null (YAML <c>~</c>), written as <c>null</c>.</summary>
    public static ConfigValue<string?> NullableString { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out string? v) => r.ReadString(n, p, nullable: true, out v),
        Write = static v => v is null ? ServeConfigWriter.Plain("null") : ServeConfigWriter.Str(v),
        WriteJson = static (w, k, v) => WriteStringOrNull(w, k, v),
    };

    public static ConfigValue<int> Int { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out int v) =>
        {
            var read = r.ReadInt(n, p, nullable: false, out var i);
            v = i ?? 0;
            return read;
        },
        Write = static v => ServeConfigWriter.Number(v),
        WriteJson = static (w, k, v) => w.WriteNumber(k, v),
    };

    public static ConfigValue<int?> NullableInt { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out int? v) => r.ReadInt(n, p, nullable: true, out v),
        Write = static v => v is { } i ? ServeConfigWriter.Number(i) : ServeConfigWriter.Plain("null"),
        WriteJson = static (w, k, v) => WriteNumberOrNull(w, k, v),
    };

    public static ConfigValue<long?> NullableLong { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out long? v) => r.ReadLong(n, p, nullable: true, long.MinValue, long.MaxValue, out v),
        Write = static v => v is { } l ? ServeConfigWriter.Number(l) : ServeConfigWriter.Plain("null"),
        WriteJson = static (w, k, v) => WriteNumberOrNull(w, k, v),
    };

    /// <summary>A number of seconds, finite.</summary>
    public static ConfigValue<double> Seconds { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out double v) =>
        {
            var read = r.ReadDouble(n, p, nullable: false, out var d);
            v = d ?? 0;
            return read;
        },
        Write = static v => ServeConfigWriter.Number(v),
        WriteJson = static (w, k, v) => w.WriteNumber(k, v),
    };

    /// <summary>A number of seconds, finite, or null.</summary>
    public static ConfigValue<double?> NullableSeconds { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out double? v) => r.ReadDouble(n, p, nullable: true, out v),
        Write = static v => v is { } d ? ServeConfigWriter.Number(d) : ServeConfigWriter.Plain("null"),
        WriteJson = static (w, k, v) => WriteNumberOrNull(w, k, v),
    };

    /// <summary>A finite number that is not a time (a request count, a factor), or null.</summary>
    public static ConfigValue<double?> NullableNumber { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out double? v) => r.ReadDouble(n, p, nullable: true, out v, unit: ""),
        Write = static v => v is { } d ? ServeConfigWriter.Number(d) : ServeConfigWriter.Plain("null"),
        WriteJson = static (w, k, v) => WriteNumberOrNull(w, k, v),
    };

    public static ConfigValue<bool> Bool { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out bool v) => r.ReadBool(n, p, out v),
        Write = static v => ServeConfigWriter.Bool(v),
        WriteJson = static (w, k, v) => w.WriteBoolean(k, v),
    };

    /// <summary>Any YAML value, kept as JSON text (<c>user_config</c>); null (not set) when the YAML says null.</summary>
    public static ConfigValue<string?> Json { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out string? v) =>
        {
            v = YamlScalars.IsNull(n) ? null : r.ToJson(n, p);
            return v is not null;
        },
        Write = static v => v is null ? ServeConfigWriter.Plain("null") : ServeConfigWriter.FromJson(v),
        WriteJson = static (w, k, v) =>
        {
            w.WritePropertyName(k);
            if (v is null)
            {
                w.WriteNullValue();
            }
            else
            {
                // Validated JSON (the loader, Validate or the code's options checked it).
                w.WriteRawValue(v);
            }
        },
    };

    /// <summary>A mapping whose values are kept as JSON text (<c>runtime_env</c>).</summary>
    public static ConfigValue<IReadOnlyDictionary<string, string>> JsonMap { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out IReadOnlyDictionary<string, string> v) => (v = r.ReadJsonMap(n, p)) is not null,
        Write = ServeConfigWriter.JsonMapping,
        Comparer = EntriesComparer.Instance,
        Show = ShowMap,
    };

    /// <summary>A mapping of scalars kept as their text (<c>args</c>).</summary>
    public static ConfigValue<IReadOnlyDictionary<string, string>> ScalarMap { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out IReadOnlyDictionary<string, string> v) => (v = r.ReadScalarMap(n, p)) is not null,
        Write = ServeConfigWriter.ScalarMapping,
        Comparer = EntriesComparer.Instance,
        Show = ShowMap,
    };

    private static string ShowMap(IReadOnlyDictionary<string, string> map)
        => "{" + string.Join(", ", map.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key + ": " + e.Value)) + "}";

    /// <summary>A list of strings; <paramref name="what"/> names it in errors ("a list of gRPC service names").</summary>
    public static ConfigValue<IReadOnlyList<string>> StringList(string what) => new()
    {
        Read = (YamlConfigReader r, YamlNode n, string p, out IReadOnlyList<string> v) =>
        {
            v = r.ReadList(n, p, what, static (r, item, itemPath) => r.ReadString(item, itemPath, nullable: false, out var text) ? text : null);
            return true;
        },
        Write = static v => ServeConfigWriter.Sequence(v.Select(ServeConfigWriter.Str)),
        WriteJson = static (w, k, v) =>
        {
            w.WriteStartArray(k);
            foreach (var item in v)
            {
                w.WriteStringValue(item);
            }
            w.WriteEndArray();
        },
        Comparer = SequenceComparer<string>.Instance,
        Show = static v => "[" + string.Join(", ", v) + "]",
    };

    /// <summary>
    /// An enum written as <paramref name="spelling"/> gives it (in YAML and JSON) and read case-insensitively by name;
    /// <paramref name="allowed"/> lists the spellings in errors ("EveryNode, HeadOnly or Disabled").
    /// </summary>
    public static ConfigValue<TEnum> Enum<TEnum>(string allowed, Func<TEnum, string> spelling)
        where TEnum : struct, Enum => new()
    {
        Read = (YamlConfigReader r, YamlNode n, string p, out TEnum v) => r.ReadEnum(n, p, out v, allowed),
        Write = v => ServeConfigWriter.Plain(spelling(v)),
        WriteJson = (w, k, v) => w.WriteString(k, spelling(v)),
        // Messages spell the value as the YAML does (JSON, not Json).
        Show = v => "\"" + spelling(v) + "\"",
    };

    /// <summary>A value as change messages show it: strings quoted, numbers in invariant culture.</summary>
    public static string Show<TValue>(TValue value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A number, or JSON null when there is none.</summary>
    internal static void WriteNumberOrNull(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    /// <summary>Dictionaries with the same keys and ordinally equal values, in any order.</summary>
    private sealed class EntriesComparer : IEqualityComparer<IReadOnlyDictionary<string, string>>
    {
        public static EntriesComparer Instance { get; } = new();

        public bool Equals(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
        {
            if (a is null || b is null)
            {
                return ReferenceEquals(a, b);
            }
            if (a.Count != b.Count)
            {
                return false;
            }
            foreach (var (key, value) in a)
            {
                if (!b.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
                {
                    return false;
                }
            }
            return true;
        }

        public int GetHashCode(IReadOnlyDictionary<string, string> obj) => obj.Count;
    }
}

/// <summary>Lists with equal items in the same order.</summary>
internal sealed class SequenceComparer<TItem> : IEqualityComparer<IReadOnlyList<TItem>>
{
    public static SequenceComparer<TItem> Instance { get; } = new();

    public bool Equals(IReadOnlyList<TItem>? a, IReadOnlyList<TItem>? b)
        => a is null || b is null ? ReferenceEquals(a, b) : a.SequenceEqual(b);

    public int GetHashCode(IReadOnlyList<TItem> obj) => obj.Count;
}
