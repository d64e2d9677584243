namespace Serve.Hosting;

/// <summary>
/// How the user can run this host program again, for hints such as "Use `… status`": there is no <c>serve</c>
/// executable, the program is the CLI, so a hint must name the command that started it. Under <c>dotnet run</c>
/// that is <c>dotnet run [--project P] --</c>; under the muxer <c>dotnet path/App.dll</c>; otherwise the
/// executable as typed from the current directory (<c>./out/App</c>), or its bare name when it is on the PATH.
/// </summary>
internal static class ProgramCommand
{
    private static string? s_current;

    /// <summary>This process's command (computed once).</summary>
    public static string Current => s_current ??= Describe(
        Environment.ProcessPath,
        EntryPath,
        ParentArguments(),
        Environment.CurrentDirectory,
        Environment.GetEnvironmentVariable("PATH"),
        AppDomain.CurrentDomain.FriendlyName);

    /// <summary>The first command-line argument: the entry assembly's path under the muxer.</summary>
    private static string? EntryPath => Environment.GetCommandLineArgs() is [var first, ..] ? first : null;

    /// <summary>
    /// The program's name for help output (<c>Usage: Acme.Greeter run …</c>): the executable's file name, or the entry
    /// assembly's under the muxer. Not the file name without its "extension": a native binary or apphost has none, and
    /// <c>Acme.Greeter</c> would lose <c>.Greeter</c>.
    /// </summary>
    public static string FileName => NameOf(
        Environment.ProcessPath,
        EntryPath,
        AppDomain.CurrentDomain.FriendlyName);

    /// <summary><see cref="FileName"/> for a process started as described; pure, for tests.</summary>
    public static string NameOf(string? processPath, string? entryPath, string fallback)
    {
        if (string.IsNullOrEmpty(processPath))
        {
            return fallback;
        }
        if (IsMuxer(processPath))
        {
            return string.IsNullOrEmpty(entryPath) ? fallback : StripSuffix(Path.GetFileName(entryPath), ".dll");
        }
        return StripSuffix(Path.GetFileName(processPath), ".exe");

        static string StripSuffix(string name, string suffix)
            => name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && name.Length > suffix.Length ? name[..^suffix.Length] : name;
    }

    /// <summary>The command for a process started as described; pure, for tests.</summary>
    /// <param name="processPath">The executable (<see cref="Environment.ProcessPath"/>).</param>
    /// <param name="entryPath">The first command-line argument: the entry assembly's path under the muxer.</param>
    /// <param name="parentArguments">The parent process's arguments, when known (to recognise <c>dotnet run</c>).</param>
    /// <param name="currentDirectory">Where relative paths start.</param>
    /// <param name="path">The PATH variable.</param>
    /// <param name="fallback">The program's name, when nothing better is known.</param>
    public static string Describe(string? processPath, string? entryPath, IReadOnlyList<string>? parentArguments,
        string currentDirectory, string? path, string fallback)
    {
        if (DotnetRun(parentArguments) is { } run)
        {
            return run;
        }
        if (string.IsNullOrEmpty(processPath))
        {
            return fallback;
        }
        if (IsMuxer(processPath))
        {
            return string.IsNullOrEmpty(entryPath) ? fallback : "dotnet " + Quote(Typed(entryPath, currentDirectory));
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(processPath, currentDirectory));
        if (directory is not null && path is not null && path.Split(Path.PathSeparator).Any(p => SameDirectory(p, directory)))
        {
            return Quote(Path.GetFileName(processPath));
        }
        var typed = Typed(processPath, currentDirectory);
        // A bare name would be looked up on the PATH, not in the current directory.
        return Quote(typed.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) ? typed : "." + Path.DirectorySeparatorChar + typed);
    }

    /// <summary><c>dotnet run [--project P] --</c> when the parent is the SDK's <c>run</c> command.</summary>
    private static string? DotnetRun(IReadOnlyList<string>? arguments)
    {
        if (arguments is null || arguments.Count < 2 || !IsMuxer(arguments[0]) || arguments[1] != "run")
        {
            return null;
        }
        string? project = null;
        for (var i = 2; i < arguments.Count && arguments[i] != "--"; i++)
        {
            if (arguments[i] == "--project" && i + 1 < arguments.Count)
            {
                project = arguments[++i];
            }
            else if (arguments[i].StartsWith("--project=", StringComparison.Ordinal))
            {
                project = arguments[i]["--project=".Length..];
            }
        }
        return project is null ? "dotnet run --" : $"dotnet run --project {Quote(project)} --";
    }

    private static bool IsMuxer(string executable)
        => Path.GetFileNameWithoutExtension(executable) is "dotnet";

    /// <summary>The path relative to the current directory when it lies below it, else absolute.</summary>
    private static string Typed(string file, string currentDirectory)
    {
        var full = Path.GetFullPath(file, currentDirectory);
        var relative = Path.GetRelativePath(currentDirectory, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative;
    }

    private static bool SameDirectory(string a, string b)
        => a.Length > 0 && string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b), StringComparison.Ordinal);

    private static string Quote(string word)
        => word.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '`' or '\\' or ';' or '&' or '|' or '(' or ')' or '<' or '>' or '*' or '?')
            ? "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'"
            : word;

    /// <summary>The parent's arguments from <c>/proc</c> (Linux); null elsewhere or when unreadable.</summary>
    private static string[]? ParentArguments()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces, so count from the last ')'.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var cmdline = File.ReadAllText($"/proc/{fields[1]}/cmdline");
            return cmdline.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
