namespace Serve.Config;

/// <summary>The reasons given for Ray keys Serve does not accept.</summary>
internal static class Unsupported
{
    /// <summary>The start of the reason given for a Ray key Serve does not accept yet.</summary>
    public const string NotYet = "is a Ray Serve option that Serve for .NET does not support yet";
}

/// <summary>
/// Builds the <see cref="ConfigField{T}"/>s of a section of record <typeparamref name="T"/>: a value of a
/// <see cref="ConfigValue{TValue}"/> kind, a nested section, or a list of sections. A declaration file names it once
/// (<c>using Field = ConfigFields&lt;HttpOptions&gt;;</c>) so that the lambdas need no parameter types.
/// </summary>
internal static class ConfigFields<T>
    where T : class
{
    /// <summary>A key holding a value of <paramref name="value"/>'s kind.</summary>
    /// <param name="key">The YAML (and JSON) key.</param>
    /// <param name="value">The value's kind.</param>
    /// <param name="get">The record's value.</param>
    /// <param name="set">A copy of the record with the value set.</param>
    /// <param name="change">What a change does to a running Serve.</param>
    /// <param name="json">Whether the status JSON shows it.</param>
    /// <param name="validate">The value's rules, if any: (record, issues, the key's path).</param>
    /// <param name="writeAlways">True when the writer writes it even at its default.</param>
    /// <param name="required">The error when the key is missing; null when it may be left out.</param>
    public static ConfigField<T> Of<TValue>(
        string key, ConfigValue<TValue> value, Func<T, TValue> get, Func<T, TValue, T> set, OnChange change, InJson json,
        Action<T, ConfigIssues, string>? validate = null, bool writeAlways = false, string? required = null)
    {
        var comparer = value.Comparer;
        var writeJson = value.WriteJson;
        return new ConfigField<T>
        {
            Key = key,
            Read = (r, n, p, o) => value.Read(r, n, p, out var v) ? set(o, v) : o,
            Validate = validate,
            Write = o => value.Write(get(o)),
            WriteAlways = writeAlways,
            Same = (a, b) => comparer.Equals(get(a), get(b)),
            Show = o => value.Show(get(o)),
            Change = change,
            Json = json,
            WriteJson = writeJson is null ? null : (w, k, o) => writeJson(w, k, get(o)),
            Required = required,
        };
    }

    /// <summary>
    /// A key holding a nested section (<c>http_options</c>): a YAML null keeps its defaults, a null record is an error,
    /// the writer always writes it, the status JSON shows its shown keys as an object, and its restart-only keys are
    /// compared one by one.
    /// </summary>
    public static ConfigField<T> Section<TSection>(string key, ConfigSection<TSection> section, Func<T, TSection> get, Func<T, TSection, T> set, InJson json)
        where TSection : class
        => new()
        {
            Key = key,
            Read = (r, n, p, o) => set(o, r.ReadSection(section, n, p, nullIsEmpty: true)!),
            Validate = (o, issues, p) =>
            {
                if (get(o) is { } value)
                {
                    section.Validate(value, issues, p);
                }
                else
                {
                    issues.Add(p, "must be set; got null.");
                }
            },
            Write = o => section.Write(get(o)),
            WriteAlways = true,
            // Sections are always written and compared key by key; this is the records' own equality.
            Same = (a, b) => Equals(get(a), get(b)),
            Change = OnChange.Nested("each key of the section says"),
            NestedRestarts = (running, requested, defaults, p, ignored) => section.CollectRestarts(get(running), get(requested), get(defaults), p, ignored),
            Json = json,
            WriteJson = (w, k, o) =>
            {
                w.WriteStartObject(k);
                section.WriteJson(w, get(o));
                w.WriteEndObject();
            },
            Section = section,
        };

    /// <summary>
    /// A key holding a section that may be left out (<c>autoscaling_config</c>): null when missing or YAML null, written
    /// and shown only when set, compared as a whole.
    /// </summary>
    public static ConfigField<T> OptionalSection<TSection>(string key, ConfigSection<TSection> section, Func<T, TSection?> get, Func<T, TSection?, T> set,
        OnChange change, InJson json, Action<T, ConfigIssues, string>? validate = null)
        where TSection : class
        => new()
        {
            Key = key,
            Read = (r, n, p, o) => set(o, YamlScalars.IsNull(n) ? null : r.ReadSection(section, n, p, nullIsEmpty: false)),
            Validate = (o, issues, p) =>
            {
                if (get(o) is { } value)
                {
                    section.Validate(value, issues, p);
                }
                validate?.Invoke(o, issues, p);
            },
            Write = o => get(o) is { } value ? section.Write(value) : ServeConfigWriter.Plain("null"),
            Same = (a, b) => Equals(get(a), get(b)),
            Show = o => get(o) is null ? "null" : "{…}",
            Change = change,
            Json = json,
            WriteJson = (w, k, o) =>
            {
                if (get(o) is { } value)
                {
                    w.WriteStartObject(k);
                    section.WriteJson(w, value);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull(k);
                }
            },
            Section = section,
        };

    /// <summary>A key holding a list of sections (<c>applications</c>); <paramref name="what"/> names it in errors.</summary>
    public static ConfigField<T> List<TItem>(
        string key, ConfigSection<TItem> section, string what, Func<T, IReadOnlyList<TItem>> get, Func<T, IReadOnlyList<TItem>, T> set,
        OnChange change, InJson json, Action<T, ConfigIssues, string> validate, bool writeAlways = false)
        where TItem : class
        => new()
        {
            Key = key,
            Read = (r, n, p, o) => set(o, r.ReadList(n, p, what, (r, item, itemPath) => r.ReadSection(section, item, itemPath, nullIsEmpty: false))),
            Validate = validate,
            Write = o => ServeConfigWriter.Sequence(get(o).Select(section.Write)),
            WriteAlways = writeAlways,
            // Tells an empty list (the default, left out by the writer) from one with items.
            Same = (a, b) => SequenceComparer<TItem>.Instance.Equals(get(a), get(b)),
            Change = change,
            Json = json,
            Section = section,
            IsList = true,
        };
}
