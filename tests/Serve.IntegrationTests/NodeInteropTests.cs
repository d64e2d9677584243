using System.Globalization;

namespace Serve.IntegrationTests;

/// <summary>
/// A second, independent gRPC implementation (Node's @grpc/grpc-js, pure JavaScript, nothing shared
/// with the C-core behind Python's grpcio) calls the sample as Ray Serve's gRPC guide does.
/// `.ci/run` installs the pinned packages with `npm ci` in interop/node.
/// </summary>
[Collection(QuickstartCollection.Name)]
public sealed class NodeInteropTests(QuickstartHostFixture fixture)
{
    [Fact]
    public async Task Node_grpc_js_client_gets_the_guides_results()
    {
        // Run from the source folder: node_modules is installed there (not copied to the output).
        var clientDir = Path.Combine(Paths.RepoRoot, "tests", "Serve.IntegrationTests", "interop", "node");
        var install = $"run `npm ci` in {clientDir} (`.ci/run` does)";
        var node = FindOnPath("node");
        Assert.True(node is not null, $"node is not on PATH: install Node.js (20 or later), then {install}.");
        Assert.True(Directory.Exists(Path.Combine(clientDir, "node_modules", "@grpc", "grpc-js"))
                && Directory.Exists(Path.Combine(clientDir, "node_modules", "@grpc", "proto-loader")),
            $"@grpc/grpc-js and @grpc/proto-loader are not installed: {install}.");

        var (exit, output) = await ExternalProcess.RunAsync(node!,
            [Path.Combine(clientDir, "client.js"), fixture.GrpcPort.ToString(CultureInfo.InvariantCulture), Paths.RepoRoot],
            TimeSpan.FromMinutes(1), clientDir);

        Assert.True(exit == 0, $"node client.js exited {exit}:\n{output}");
        Assert.Contains(" 0 failed", output);
        Assert.DoesNotContain("FAIL", output);
    }

    private static string? FindOnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
