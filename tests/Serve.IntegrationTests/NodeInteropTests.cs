using System.Globalization;
using Serve.Config;
using Xunit.Abstractions;

namespace Serve.IntegrationTests;

/// <summary>
/// A second, independent gRPC implementation (Node's @grpc/grpc-js, pure JavaScript, nothing shared with the C-core
/// behind Python's grpcio or with grpc-dotnet) makes the interop cases the other peers make, against the same hosts:
/// <list type="bullet">
/// <item><c>client.js</c>: the quickstart (single-app.yaml), as Ray Serve's gRPC guide calls it (python_client.py, Guide_*).</item>
/// <item><c>parity_client.js</c>: the multi-app host with gzip responses (python_parity_client.py, DotnetInteropTests' parity facts),
/// plus request metadata (binary too), statuses set by deployments, leaving a stream and deflate negotiation.</item>
/// <item><c>app2_client.js</c>: the guide's image classification app2 next to app1, config.yaml (python_app2_client.py).</item>
/// <item><c>builtin_client.js</c>: health and reflection on the quickstart (python_reflection_client.py, BuiltInServicesTests).</item>
/// <item><c>timeout_client.js</c>: request_timeout_s answered with Serve's DEADLINE_EXCEEDED message (ProbeTests' Request_timeout_*).</item>
/// </list>
/// Each script prints <c>ok   name</c> or <c>FAIL name: why</c> per check; each test asserts the script's exact list of
/// passed checks, so a check that is skipped, renamed or added without being listed here fails the test.
/// `.ci/run` installs the pinned packages with `npm ci` in interop/node.
/// </summary>
[Collection(QuickstartCollection.Name)]
public sealed class NodeInteropTests(QuickstartHostFixture fixture, ITestOutputHelper log)
{
    /// <summary>The timeout host's grpc_options.request_timeout_s: long enough for any other call on a loaded machine.</summary>
    private const double RequestTimeoutS = 2;

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

    private static readonly string[] s_parityChecks =
    [
        // routing
        "no application with several apps is NOT_FOUND",
        "unknown application is NOT_FOUND",
        "app without the service is UNIMPLEMENTED",
        "unknown service in an app is UNIMPLEMENTED",
        "unknown service without an application is NOT_FOUND",
        "app1 routed",
        "probe routed",
        "ListApplications lists every app",
        "Healthz",
        // metadata
        "request_id echoed first",
        "request metadata reaches the deployment",
        "binary -bin metadata reaches the deployment as bytes",
        "peer is the client address",
        "client deadline reaches the deployment",
        "no client deadline reaches the deployment as none",
        // multiplexing
        "multiplexing",
        "multiplexed model stays on one replica",
        "multiplexed method without a model id is INVALID_ARGUMENT",
        // the guide's gRPC context example
        "context INVALID_ARGUMENT",
        "context details",
        "context num trailer",
        "context request_id trailer first",
        "context OK",
        "context OK details",
        "context OK num trailer",
        "context details keep non-ASCII and percent signs",
        // status codes
        "unhandled exception is INTERNAL with the stack",
        "status FAILED_PRECONDITION set by the deployment keeps its details and trailers",
        "status PERMISSION_DENIED set by the deployment keeps its details and trailers",
        "unparseable request is INVALID_ARGUMENT naming the type",
        "serving after the errors",
        // deadlines and cancellation
        "client deadline is DEADLINE_EXCEEDED",
        "60-day client deadline is served",
        "100-year client deadline is served",
        "client cancel is CANCELLED",
        "server stream left by the client is CANCELLED after the messages read",
        "serving after deadlines and cancels",
        // backpressure
        "backpressure is RESOURCE_EXHAUSTED",
        "tight serves again after the cancels",
        // streaming
        "stream messages before the error are all on the wire",
        "stream messages grpc-js delivers before the error are a prefix of those sent (grpc-node#2764)",
        "stream error is INTERNAL",
        "client streaming",
        "bidi streaming",
        "bidi streaming answers each message before the next",
        // compression
        "gzip call answers",
        "gzip request is compressed on the wire",
        "gzip response is compressed on the wire",
        "deflate request is UNIMPLEMENTED naming the supported encodings",
        "after the refusal grpc-js sends identity and is answered",
        "serving after everything",
    ];

    private static readonly string[] s_builtInChecks =
    [
        .. new[] { "v1alpha", "v1" }.SelectMany(version => new[]
        {
            "one response per request",
            "stream status OK",
            "list_services lists every service",
            "valid_host echoed",
            "original_request echoed",
            "file for the service",
            "unknown symbol is NOT_FOUND",
            "stream goes on after an error",
            "file_by_filename",
            "no extension is NOT_FOUND",
            "file of the reflection service itself",
            "dynamic call greeting",
            "dynamic call num",
        }.Select(check => $"{version}: {check}")),
        "health: server SERVING",
        "health: service SERVING",
        "health: grpc.health.v1.Health SERVING",
        "health: ray.serve.RayServeAPIService SERVING",
        "health: unknown service NOT_FOUND",
        "health: watch of the server starts with SERVING",
        "health: watch starts with SERVING",
        "health: watch of an unknown service is SERVICE_UNKNOWN",
        "health: unknown method is UNIMPLEMENTED",
        "reflection: unknown method is UNIMPLEMENTED",
        "serve api: unknown method is UNIMPLEMENTED",
    ];

    private static readonly string[] s_app2Checks =
    [
        "status code",
        "request_id first",
        .. new[] { "file url", "data uri" }.SelectMany(image => new[] { "top class", "five classes", "descending", "sum <= 1" }
            .Select(check => $"{image}: {check}")),
        "unsupported scheme is INVALID_ARGUMENT",
        "unsupported scheme names the url",
        "missing file is NOT_FOUND",
        "no application metadata is NOT_FOUND",
        "no application metadata message",
        "app1 does not serve Predict",
        "app1 greeting",
        "ListApplications",
        "serving after errors",
    ];

    private static readonly string[] s_timeoutChecks =
    [
        "request_timeout_s is DEADLINE_EXCEEDED with Serve's message",
        "request_timeout_s shorter than the client deadline wins",
        "stream past request_timeout_s ends DEADLINE_EXCEEDED with Serve's message",
        "stream messages before the timeout are on the wire, numbered from 0",
        "stream messages grpc-js delivers before the timeout are a prefix of those sent (grpc-node#2764)",
        "serving after the timeouts",
    ];

    [Fact]
    public Task Node_grpc_js_client_gets_the_guides_results()
        => RunClientAsync("client.js", fixture.GrpcPort, s_guideChecks);

    [Fact]
    public async Task Node_grpc_js_client_sees_routing_context_metadata_status_codes_deadlines_streaming_and_compression()
    {
        var config = ServeTestHost.MultiAppConfig(new GrpcOptions { ResponseCompression = GrpcResponseCompression.Gzip });
        await using var host = await ServeTestHost.StartAsync(config);
        await RunClientAsync("parity_client.js", host.GrpcPort, s_parityChecks);
    }

    [Fact]
    public async Task Node_grpc_js_client_makes_the_guides_app2_call()
    {
        // config.yaml as shipped (app1 and the image classifier app2), started for this test alone.
        var twoApps = new TwoAppQuickstartHostFixture();
        await twoApps.InitializeAsync();
        try
        {
            await RunClientAsync("app2_client.js", twoApps.GrpcPort, s_app2Checks);
        }
        finally
        {
            await twoApps.DisposeAsync();
        }
    }

    [Fact]
    public Task Node_grpc_js_client_checks_health_and_calls_the_sample_through_reflection()
        => RunClientAsync("builtin_client.js", fixture.GrpcPort, s_builtInChecks);

    [Fact]
    public async Task Node_grpc_js_client_gets_serves_deadline_exceeded_message_past_request_timeout()
    {
        await using var host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(new GrpcOptions { RequestTimeoutS = RequestTimeoutS }));
        await RunClientAsync("timeout_client.js", host.GrpcPort, s_timeoutChecks, RequestTimeoutS.ToString(CultureInfo.InvariantCulture));
    }

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
