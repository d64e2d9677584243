namespace Serve.IntegrationTests;

/// <summary>Locations in the repository, found from the test binary's folder.</summary>
internal static class Paths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Sample(string file) => Path.Combine(RepoRoot, "samples", "GrpcQuickstart", file);

    public static string Proto(string file) => Path.Combine(RepoRoot, "protos", file);

    public static string Test(string file) => Path.Combine(RepoRoot, "tests", "Serve.IntegrationTests", file);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Serve.Gen.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Serve.Gen.sln not found above " + AppContext.BaseDirectory);
    }
}
