using Serve.Config;

namespace Serve.Runtime.Tests.Config;

internal static class ConfigTestHelpers
{
    public static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serve.Gen.sln")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException("Repository root (Serve.Gen.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Loads YAML that must fail and returns the exception.</summary>
    public static ServeConfigException LoadFails(string yaml, string source = "test.yaml")
        => Assert.Throws<ServeConfigException>(() => ServeConfigLoader.Load(yaml, source));

    /// <summary>Asserts the (single) error is at the key path and line, and its message contains each fragment.</summary>
    public static ServeConfigError AssertSingleError(ServeConfigException ex, string keyPath, int line, params string[] fragments)
    {
        var error = Assert.Single(ex.Errors);
        Assert.Equal(keyPath, error.KeyPath);
        Assert.Equal(line, error.Line);
        Assert.Contains($"test.yaml:{line}:", ex.Message, StringComparison.Ordinal);
        Assert.Contains(keyPath, ex.Message, StringComparison.Ordinal);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        }

        return error;
    }

    // Line 1 is "applications:"; the second deployment's options start on line 8; {0} is put on line 9.
    /// <summary>A config whose second deployment has <paramref name="option"/> (on line 9).</summary>
    public static string WithDeploymentOption(string option) => $"""
        applications:
          - name: app1
            route_prefix: /app1
            import_path: My.Apps:App1
            deployments:
              - name: D1
                num_replicas: 1
              - name: D2
                {option}
        """;
}
