using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Serve.Config;

/// <summary>What a running Serve does when an applied config changes a key.</summary>
internal enum ChangeKind
{
    /// <summary>An instance-level key: fixed when Serve starts; a new value is ignored with a warning, as Ray Serve does.</summary>
    Restart,

    /// <summary>Part of what builds an application: a change builds and starts the application anew.</summary>
    Redeploy,

    /// <summary>Applied to the running application or deployment without restarting its replicas.</summary>
    InPlace,

    /// <summary>Names the item: running and requested items are paired by it, so there is no change to detect.</summary>
    Identity,

    /// <summary>A section or list of items, whose own keys say.</summary>
    Nested,

    /// <summary>Accepted but not acted on by the runtime; the declaration says why.</summary>
    Ignored,
}

/// <summary>How a key's change is treated (<see cref="ChangeKind"/>), with the reason where it is not plain.</summary>
/// <param name="Kind">The treatment.</param>
/// <param name="Why">Why, for the kinds that need a word (in place, nested, ignored).</param>
internal readonly record struct OnChange(ChangeKind Kind, string? Why)
{
    public static OnChange Restart => new(ChangeKind.Restart, null);

    public static OnChange Redeploy => new(ChangeKind.Redeploy, null);

    public static OnChange Identity => new(ChangeKind.Identity, null);

    public static OnChange InPlace(string how) => new(ChangeKind.InPlace, how);

    public static OnChange Nested(string how) => new(ChangeKind.Nested, how);

    public static OnChange Ignored(string why) => new(ChangeKind.Ignored, why);
}

/// <summary>Whether a key appears in the status JSON (<c>GET /api/serve/applications/</c>).</summary>
internal enum JsonKind
{
    /// <summary>Written from the config value under the key's name.</summary>
    Shown,

    /// <summary>Written by the status code from running state (the applications and their deployments).</summary>
    FromState,

    /// <summary>Not in the status; the declaration says why.</summary>
    Hidden,
}

/// <summary>How a key appears in the status JSON (<see cref="JsonKind"/>), with the reason where it is not shown.</summary>
/// <param name="Kind">Where it comes from, if anywhere.</param>
/// <param name="Why">Why it is hidden or comes from running state.</param>
internal readonly record struct InJson(JsonKind Kind, string? Why)
{
    public static InJson Shown => new(JsonKind.Shown, null);

    public static InJson FromState(string how) => new(JsonKind.FromState, how);

    public static InJson Hidden(string why) => new(JsonKind.Hidden, why);
}

/// <summary>A section's declaration seen without its record type: for error messages, documentation and tests.</summary>
internal interface IConfigSection
{
    /// <summary>How messages name the section ("http_options", "an application").</summary>
    string Context { get; }

    /// <summary>The keys, in the order they are listed, validated and written.</summary>
    IReadOnlyList<string> Keys { get; }

    /// <summary>Ray keys Serve knows but does not accept, with the reason given when one is used.</summary>
    IReadOnlyDictionary<string, string> Unsupported { get; }

    /// <summary>The fields, in key order.</summary>
    IReadOnlyList<IConfigField> Fields { get; }
}

/// <summary>A field's declaration seen without its record type.</summary>
internal interface IConfigField
{
    string Key { get; }

    /// <summary>The error when the key is missing, or null when it may be left out.</summary>
    string? Required { get; }

    OnChange Change { get; }

    InJson Json { get; }

    /// <summary>The section a nested section or list holds, or null for a value.</summary>
    IConfigSection? Section { get; }

    /// <summary>True when the key holds a list of <see cref="Section"/> items.</summary>
    bool IsList { get; }
}

/// <summary>
/// One key of a config section, declared once: how YAML is read into the record, how the value is checked,
/// written back as YAML, shown in the status JSON, and what a change of it does to a running Serve.
/// Built with <see cref="ConfigFields{T}"/>; the tables hold delegates, so they need no reflection.
/// </summary>
/// <typeparam name="T">The section's record.</typeparam>
internal sealed class ConfigField<T> : IConfigField
    where T : class
{
    public required string Key { get; init; }

    /// <summary>Reads the key's value node into the record; returns the record unchanged when the reader reported a problem.</summary>
    public required Func<YamlConfigReader, YamlNode, string, T, T> Read { get; init; }

    /// <summary>Checks the value; the path is the key's.</summary>
    public Action<T, ConfigIssues, string>? Validate { get; init; }

    /// <summary>The value as YAML the reader reads back to an equal value.</summary>
    public required Func<T, YamlNode> Write { get; init; }

    /// <summary>True when the writer always writes the key (Ray's <c>serve build</c> does); else only when not the default.</summary>
    public bool WriteAlways { get; init; }

    /// <summary>Whether two records hold the same value of this key.</summary>
    public required Func<T, T, bool> Same { get; init; }

    /// <summary>The value as change messages show it; null for sections and lists, whose keys speak for themselves.</summary>
    public Func<T, string>? Show { get; init; }

    public required OnChange Change { get; init; }

    /// <summary>Collects the restart-only changes of a nested section: (running, requested, defaults, path, messages).</summary>
    public Action<T, T, T, string, List<string>>? NestedRestarts { get; init; }

    public required InJson Json { get; init; }

    /// <summary>Writes the key and value into the open JSON object, when <see cref="Json"/> is shown.</summary>
    public Action<Utf8JsonWriter, string, T>? WriteJson { get; init; }

    public string? Required { get; init; }

    public IConfigSection? Section { get; init; }

    public bool IsList { get; init; }
}

/// <summary>A check of a section that spans keys, run in validation order right after the key it names.</summary>
/// <param name="After">The key after whose own check this one runs.</param>
/// <param name="Check">(record, issues, the section's path).</param>
internal sealed record ConfigRule<T>(string After, Action<T, ConfigIssues, string> Check)
    where T : class;

/// <summary>
/// A config section's declaration: its keys (<see cref="ConfigField{T}"/>, in the order they are listed, validated and
/// written) and what drives reading, validation, writing, the status JSON and change detection from them.
/// </summary>
/// <typeparam name="T">The section's record.</typeparam>
internal sealed class ConfigSection<T> : IConfigSection
    where T : class
{
    private readonly Func<T> _create;
    private readonly ConfigField<T>[] _fields;
    private readonly ConfigRule<T>[] _rules;
    private readonly Dictionary<string, ConfigField<T>> _byKey;

    /// <param name="context">How messages name the section.</param>
    /// <param name="create">A record with the defaults (required keys empty): where reading starts and what "default" means.</param>
    /// <param name="fields">The keys.</param>
    /// <param name="unsupported">Ray keys refused with a reason.</param>
    /// <param name="rules">Checks that span keys.</param>
    public ConfigSection(string context, Func<T> create, ConfigField<T>[] fields, IReadOnlyDictionary<string, string>? unsupported = null, ConfigRule<T>[]? rules = null)
    {
        Context = context;
        _create = create;
        _fields = fields;
        _rules = rules ?? [];
        _byKey = fields.ToDictionary(f => f.Key, StringComparer.Ordinal);
        Keys = [.. fields.Select(f => f.Key)];
        Unsupported = unsupported ?? new Dictionary<string, string>(StringComparer.Ordinal);
        // A table that cannot work fails when the section is first used, in every test that touches it.
        foreach (var field in fields)
        {
            if ((field.Change.Kind == ChangeKind.Restart && field.Show is null) || (field.Json.Kind == JsonKind.Shown && field.WriteJson is null))
            {
                throw new ArgumentException($"\"{field.Key}\" of {context} is declared {field.Change.Kind} and {field.Json.Kind} without the means to be.", nameof(fields));
            }
        }

        foreach (var rule in _rules)
        {
            if (!_byKey.ContainsKey(rule.After))
            {
                throw new ArgumentException($"A rule of {context} runs after \"{rule.After}\", which is not one of its keys.", nameof(rules));
            }
        }
    }

    public string Context { get; }

    public IReadOnlyList<string> Keys { get; }

    public IReadOnlyDictionary<string, string> Unsupported { get; }

    public IReadOnlyList<ConfigField<T>> Fields => _fields;

    IReadOnlyList<IConfigField> IConfigSection.Fields => _fields;

    /// <summary>A new record with the section's defaults.</summary>
    public T Create() => _create();

    public ConfigField<T>? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>Checks every key in order, each cross-key rule after the key it names.</summary>
    public void Validate(T record, ConfigIssues issues, string path)
    {
        foreach (var field in _fields)
        {
            field.Validate?.Invoke(record, issues, ConfigPath.Key(path, field.Key));
            foreach (var rule in _rules)
            {
                if (string.Equals(rule.After, field.Key, StringComparison.Ordinal))
                {
                    rule.Check(record, issues, path);
                }
            }
        }
    }

    /// <summary>The record as a YAML mapping: keys written always, or when they differ from the default.</summary>
    public YamlMappingNode Write(T record)
    {
        var defaults = Create();
        var node = new YamlMappingNode();
        foreach (var field in _fields)
        {
            if (field.WriteAlways || !field.Same(record, defaults))
            {
                node.Add(field.Key, field.Write(record));
            }
        }

        return node;
    }

    /// <summary>Writes the shown keys into the open JSON object.</summary>
    public void WriteJson(Utf8JsonWriter writer, T record)
    {
        foreach (var field in _fields)
        {
            if (field.Json.Kind == JsonKind.Shown)
            {
                field.WriteJson!(writer, field.Key, record);
            }
        }
    }

    /// <summary>
    /// Adds a message for each restart-only key that <paramref name="requested"/> sets to another value than
    /// <paramref name="running"/>'s. A key at its default counts as not set, as Ray compares only the keys a config sets.
    /// </summary>
    public void CollectRestarts(T running, T requested, T defaults, string path, List<string> ignored)
    {
        foreach (var field in _fields)
        {
            var keyPath = ConfigPath.Key(path, field.Key);
            if (field.Change.Kind == ChangeKind.Restart)
            {
                if (!field.Same(requested, defaults) && !field.Same(requested, running))
                {
                    ignored.Add($"{keyPath}: cannot change while Serve is running (running: {field.Show!(running)}; requested: {field.Show!(requested)}); ignored, restart Serve to change it.");
                }
            }
            else
            {
                field.NestedRestarts?.Invoke(running, requested, defaults, keyPath, ignored);
            }
        }
    }

    /// <summary>True when every key of the given kind holds the same value in both records.</summary>
    public bool Same(ChangeKind kind, T a, T b)
    {
        foreach (var field in _fields)
        {
            if (field.Change.Kind == kind && !field.Same(a, b))
            {
                return false;
            }
        }

        return true;
    }
}
