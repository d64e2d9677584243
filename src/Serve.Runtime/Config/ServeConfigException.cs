namespace Serve.Config;

/// <summary>One problem found in a Serve config.</summary>
/// <param name="SourceName">The file (or other source) the config came from; for configs built in code, the checked type's name.</param>
/// <param name="Line">The 1-based line of the offending YAML node, or null when unknown (configs built in code).</param>
/// <param name="Column">The 1-based column of the offending YAML node, or null when unknown.</param>
/// <param name="KeyPath">Where in the config, e.g. <c>applications[0].deployments[1].num_replicas</c>; empty for the whole document.</param>
/// <param name="Message">What is wrong and what is allowed.</param>
public sealed record ServeConfigError(string SourceName, int? Line, int? Column, string KeyPath, string Message)
{
    /// <summary>
    /// The error as one line: <c>{source}:{line}:{column}: {key path}: {message}</c>; the location parts are left out
    /// when unknown and the key path when empty.
    /// </summary>
    /// <returns>The formatted error.</returns>
    public override string ToString()
    {
        var location = Line is { } line ? $"{SourceName}:{line}:{Column ?? 1}" : SourceName;
        return KeyPath.Length == 0 ? $"{location}: {Message}" : $"{location}: {KeyPath}: {Message}";
    }
}

/// <summary>
/// A Serve config is invalid. <see cref="Exception.Message"/> lists every problem found, one per line, each as
/// <c>{source}:{line}:{column}: {key path}: {what is wrong and what is allowed}</c>, e.g.
/// <c>config.yaml:14:23: applications[0].deployments[1].max_ongoing_requests: must be an integer ≥ 1; got 0.</c>
/// </summary>
public sealed class ServeConfigException : Exception
{
    /// <summary>Creates an exception with one error and no location.</summary>
    public ServeConfigException()
        : this("The Serve config is invalid.")
    {
    }

    /// <summary>Creates an exception with one error and no location.</summary>
    /// <param name="message">The message.</param>
    public ServeConfigException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates an exception with one error and no location.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ServeConfigException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Errors = [new ServeConfigError("", null, null, "", message)];
    }

    /// <summary>Creates an exception for the given errors (at least one).</summary>
    /// <param name="errors">The problems found.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ServeConfigException(IReadOnlyList<ServeConfigError> errors, Exception? innerException = null)
        : base(Format(errors), innerException)
    {
        Errors = errors;
    }

    /// <summary>How many problems <see cref="Exception.Message"/> lists; <see cref="Errors"/> holds them all.</summary>
    public const int MaxListedErrors = 100;

    /// <summary>Every problem found, in document order where known.</summary>
    public IReadOnlyList<ServeConfigError> Errors { get; }

    /// <summary>The first problem's source name.</summary>
    public string SourceName => Errors[0].SourceName;

    /// <summary>The first problem's 1-based line, or null.</summary>
    public int? Line => Errors[0].Line;

    /// <summary>The first problem's 1-based column, or null.</summary>
    public int? Column => Errors[0].Column;

    /// <summary>The first problem's key path (empty for the whole document).</summary>
    public string KeyPath => Errors[0].KeyPath;

    private static string Format(IReadOnlyList<ServeConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("At least one error is required.", nameof(errors));
        }

        // A config with a million bad entries is answered in a readable message, not a 100 MB one.
        var listed = string.Join(Environment.NewLine, errors.Take(MaxListedErrors).Select(e => e.ToString()));
        return errors.Count <= MaxListedErrors
            ? listed
            : listed + Environment.NewLine + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"… and {errors.Count - MaxListedErrors:N0} more problems.");
    }
}
