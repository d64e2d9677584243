using System.Runtime.CompilerServices;

namespace Serve.Generators.Tests;

/// <summary>
/// Compares generated code with Snapshots/&lt;name&gt;.cs. Set SERVE_UPDATE_SNAPSHOTS=1 to (re)write the files
/// in the source tree; review and commit them like any other change.
/// </summary>
internal static class Snapshot
{
    public static void Match(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        var sourceDirectory = FindSnapshotDirectory(callerPath);
        var file = Path.Combine(sourceDirectory ?? Path.Combine(AppContext.BaseDirectory, "Snapshots"), name + ".cs");
        if (Environment.GetEnvironmentVariable("SERVE_UPDATE_SNAPSHOTS") == "1" && sourceDirectory is not null)
        {
            Directory.CreateDirectory(sourceDirectory);
            File.WriteAllText(file, actual);
            return;
        }
        Assert.True(File.Exists(file),
            $"Snapshot '{file}' does not exist. Run the tests once with SERVE_UPDATE_SNAPSHOTS=1 to create it, review it, and commit it. The generated text was:\n{actual}");
        var expected = File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (expected != actual)
        {
            Assert.Fail($"Generated code differs from snapshot '{file}' (set SERVE_UPDATE_SNAPSHOTS=1 to accept the new output).\n{FirstDifference(expected, actual)}");
        }
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end of file>";
            var al = i < a.Length ? a[i] : "<end of file>";
            if (el != al)
            {
                return $"First difference at line {i + 1}:\n  expected: {el}\n  actual:   {al}";
            }
        }
        return "";
    }

    /// <summary>The Snapshots folder next to this file in the source tree (found from the test binaries or the caller path).</summary>
    private static string? FindSnapshotDirectory(string callerPath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serve.Generators.Tests.csproj")))
            {
                return Path.Combine(dir.FullName, "Snapshots");
            }
        }
        var callerDirectory = Path.GetDirectoryName(callerPath);
        return callerDirectory is not null && File.Exists(Path.Combine(callerDirectory, "Serve.Generators.Tests.csproj"))
            ? Path.Combine(callerDirectory, "Snapshots")
            : null;
    }
}
