using System.Globalization;
using Xunit.Abstractions;

namespace Serve.IntegrationTests;

/// <summary>
/// A second, independent gRPC implementation (Node's @grpc/grpc-js, pure JavaScript, nothing shared with the C-core
/// behind Python's grpcio or with grpc-dotnet) makes the interop cases the other peers make, against the same hosts:
/// <list type="bullet">
/// <item><c>client.js</c>: the quickstart (single-app.yaml), as Ray Serve's gRPC guide calls it (python_client.py, Guide_*).</item>
/// </list>
/// Each script prints <c>ok   name</c> or <c>FAIL name: why</c> per check; each test asserts the script's exact list of
/// passed checks, so a check that is skipped, renamed or added without being listed here fails the test.
/// `.ci/run` installs the pinned packages with `npm ci` in interop/node.
/// </summary>
[Collection(QuickstartCollection.Name)]
public sealed class NodeInteropTests(QuickstartHostFixture fixture, ITestOutputHelper log)
{
    private static readonly string[] s_guideChecks =
    [
        "unary status",
        "unary greeting",
        "unary num",
        "unary request_id first",
        "generated request_id is a UUID",
        "request_id echoed",
        "multiplexing status",
        "multiplexing greeting",
        "multiplexing request_id",
        "streaming messages",
        "streaming status",
        "streaming request_id first",
        "ListApplications",
        "Healthz",
        "unknown application code",
        "unknown application details",
        "error trailers start with request_id",
        "unknown method NoSuchMethod is UNIMPLEMENTED",
        "unknown method __CALL__ is UNIMPLEMENTED",
        "unknown service is UNIMPLEMENTED",
        "serving after errors",
    ];

    [Fact]
    public Task Node_grpc_js_client_gets_the_guides_results()
        => RunClientAsync("client.js", fixture.GrpcPort, s_guideChecks);

    private async Task RunClientAsync(string script, int port, IReadOnlyCollection<string> expectedChecks, params string[] extraArguments)
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
            [Path.Combine(clientDir, script), port.ToString(CultureInfo.InvariantCulture), Paths.RepoRoot, .. extraArguments],
            TimeSpan.FromMinutes(2), clientDir);
        log.WriteLine(output);

        var lines = output.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        var passed = lines.Where(line => line.StartsWith("ok   ", StringComparison.Ordinal)).Select(line => line[5..]).ToList();
        Assert.True(exit == 0, $"node {script} exited {exit}:\n{output}");
        Assert.False(lines.Any(line => line.StartsWith("FAIL", StringComparison.Ordinal)), $"node {script} reported failures:\n{output}");
        var missing = expectedChecks.Except(passed).ToList();
        var unlisted = passed.Except(expectedChecks).ToList();
        Assert.True(missing.Count == 0 && unlisted.Count == 0,
            $"node {script}: checks expected but not passed: [{string.Join("; ", missing)}]; "
            + $"passed but not listed here: [{string.Join("; ", unlisted)}]\n{output}");
        Assert.Equal(expectedChecks.Count, passed.Count);
        Assert.Contains($"{expectedChecks.Count} passed, 0 failed", lines);
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
