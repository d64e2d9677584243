using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serve.Config;

/// <summary>
/// Loads a Serve config file (the layout of Ray Serve's <c>serve run config.yaml</c>) into a <see cref="ServeConfig"/>.
/// </summary>
/// <remarks>
/// <para>The loader is strict like Ray's schema (pydantic, <c>extra = forbid</c>): unknown keys are errors (with a
/// "did you mean" for near misses), as are values of the wrong type, values out of range, duplicate application names
/// or route prefixes, and a deployment configured twice in one application. Every problem found is reported at once
/// in one <see cref="ServeConfigException"/>, each with file, line, column and key path.</para>
/// <para>Scalars are typed by the YAML 1.2 core schema: a quoted <c>"2"</c> is a string, not an integer; booleans are
/// <c>true</c>/<c>false</c>. An empty document (or one holding only comments) gives the defaults with no
/// applications; a section written with no value (<c>http_options:</c>) keeps its defaults; more than one YAML
/// document is an error.</para>
/// <para>The YAML is read with YamlDotNet's representation model and mapped by hand, without reflection, so the loader
/// is trimming- and Native AOT-safe.</para>
/// <para>Hostile input is refused before anything is built from it: a config is at most <see cref="MaxConfigSize"/>
/// bytes, nests at most 100 levels deep, and holds at most 1,000,000 values and 16 Mi characters of text with its
/// YAML aliases expanded (a "billion laughs" document is an error, not an expansion).</para>
/// </remarks>
public static class ServeConfigLoader
{
    /// <summary>The largest config accepted, in bytes of the file or REST API request (16 MiB; a config of 1,000
    /// applications is about 200 KB).</summary>
    public const int MaxConfigSize = 16 * 1024 * 1024;

    /// <summary>Reads and loads the config file at <paramref name="path"/>.</summary>
    /// <param name="path">The file's path; error messages name it as given.</param>
    /// <returns>The validated config.</returns>
    /// <exception cref="ServeConfigException">The file cannot be read or the config is invalid.</exception>
    public static ServeConfig LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string yaml;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxConfigSize)
            {
                throw new ServeConfigException([new ServeConfigError(path, null, null, "", TooLarge(length))]);
            }
            yaml = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ServeConfigException(
                [new ServeConfigError(path, null, null, "", $"cannot read the config file: {e.Message}")], e);
        }

        return Load(yaml, path);
    }

    /// <summary>Loads a config from YAML text.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="sourceName">The name error messages give the source, usually its file path.</param>
    /// <returns>The validated config.</returns>
    /// <exception cref="ServeConfigException">The YAML is malformed or the config is invalid.</exception>
    public static ServeConfig Load(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        sourceName ??= "<config>";
        if (yaml.Length > MaxConfigSize)
        {
            throw new ServeConfigException([new ServeConfigError(sourceName, null, null, "", TooLarge(yaml.Length))]);
        }

        var stream = new YamlStream();
        try
        {
            YamlLimits.Check(yaml, sourceName);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var issues = new ConfigIssues(sourceName);
            issues.AddAt("", (int)e.Start.Line, (int)e.Start.Column, "invalid YAML: " + StripMarks(e.Message));
            issues.ThrowIfAny(e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way on some unterminated flow collections, without a position.
            throw new ServeConfigException(
                [new ServeConfigError(sourceName, null, null, "", "invalid YAML: the parser stopped early; look for an unclosed [, { or quote.")], e);
        }

        var reader = new YamlConfigReader(sourceName);
        var config = reader.Read(stream);
        config.Validate(reader.Issues, "");
        reader.Issues.ThrowIfAny();
        return config;
    }

    internal static string TooLarge(long size)
        => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the config is {size:N0} bytes; at most {MaxConfigSize:N0} are accepted.");

    // YamlDotNet formats messages as "(Line: 1, Col: 2, Idx: 1) - (Line: 1, Col: 3, Idx: 2): message".
    private static string StripMarks(string message)
    {
        if (message.StartsWith("(Line:", StringComparison.Ordinal))
        {
            var cut = message.IndexOf("): ", message.IndexOf(") - (", StringComparison.Ordinal) + 1, StringComparison.Ordinal);
            if (cut > 0)
            {
                return message[(cut + 3)..];
            }
        }

        return message;
    }
}
