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
}
