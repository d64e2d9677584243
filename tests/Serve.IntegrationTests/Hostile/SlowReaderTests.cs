using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Userdefinedprotos;
using static Serve.IntegrationTests.GrpcFrames;

namespace Serve.IntegrationTests.Hostile;

/// <summary>
/// Clients that never read, against the quickstart host running as its own process (app1: two replicas of five slots):
/// ten HTTP/2 connections with a window of 0, each with a <c>Streaming</c> call of ~100 KB messages, reopened as soon as
/// the server drops them. They used to hold every slot, so that other clients' unary calls took 6.8 s instead of 2 ms.
/// </summary>
public sealed class SlowReaderTests : IAsyncLifetime
{
    private const string StreamingPath = "/userdefinedprotos.UserDefinedService/Streaming";

    private HostProcess _host = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync("GrpcQuickstart", Paths.Sample("single-app.yaml"));
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_host.Serve.GrpcPort}");
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Clients_that_never_read_leave_other_clients_their_usual_latency()
    {
        var baseline = await UnaryLatenciesAsync(TimeSpan.FromSeconds(2));

        using var stop = new CancellationTokenSource();
        var stalled = 0;
        var attackers = Enumerable.Range(0, 10).Select(i => StallAsync(i, () => Interlocked.Increment(ref stalled), stop.Token)).ToArray();
        // Every attacker's method ran and wrote its first message, which the client will never read.
        var until = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref stalled) < 10)
        {
            Assert.True(DateTime.UtcNow < until, $"Only {stalled} of 10 stalled calls started.");
            await Task.Delay(20);
        }

        var during = await UnaryLatenciesAsync(TimeSpan.FromSeconds(8));
        await stop.CancelAsync();
        await Task.WhenAll(attackers);

        var normal = Percentile(baseline, 0.9);
        var attacked = Percentile(during, 0.9);
        // Held slots made other calls wait seconds (5 calls in 8 s). A stalled call now holds its slot only while its
        // method produces its messages (about a second), then gives it back while Serve keeps the messages for the client.
        var report = $"{during.Count} unary calls in 8 s under the probe (p50 {Percentile(during, 0.5).TotalMilliseconds:0.0} ms, p90 {attacked.TotalMilliseconds:0.0} ms), "
            + $"{baseline.Count} in 2 s before (p50 {Percentile(baseline, 0.5).TotalMilliseconds:0.0} ms, p90 {normal.TotalMilliseconds:0.0} ms).";
        Assert.True(during.Count >= baseline.Count, report);
        Assert.True(attacked < TimeSpan.FromMilliseconds(Math.Max(250, 20 * normal.TotalMilliseconds)), report);
        Assert.False(_host.Serve.HasExited);
        Assert.DoesNotContain(" fail: ", _host.Serve.Output, StringComparison.Ordinal);
    }

    /// <summary>One attacker: a stalled call, opened again whenever the server drops the connection.</summary>
    private async Task StallAsync(int attacker, Action started, CancellationToken stop)
    {
        var body = Frame(new UserDefinedMessage { Name = new string('n', 100_000), Num = attacker, Origin = "a client that never reads" }.ToByteArray());
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            await using var client = await StalledHttp2Client.StartAsync(_host.Serve.GrpcPort, StreamingPath, body, [("request_id", $"stalled-{attacker}")], stop);
            try
            {
                await client.ResponseHeaders.WaitAsync(stop);
                if (first)
                {
                    started();
                    first = false;
                }
                await client.Closed.WaitAsync(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // Stopped, or dropped before it started: open another.
            }
        }
    }

    /// <summary>Unary calls one after the other for <paramref name="duration"/>; each must succeed.</summary>
    private async Task<List<TimeSpan>> UnaryLatenciesAsync(TimeSpan duration)
    {
        var client = new UserDefinedService.UserDefinedServiceClient(_channel);
        var latencies = new List<TimeSpan>();
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var started = Stopwatch.GetTimestamp();
            var reply = await client.__call__Async(new UserDefinedMessage { Name = "n", Num = 1, Origin = "o" }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
            latencies.Add(Stopwatch.GetElapsedTime(started));
            Assert.Equal(2, reply.Num);
        }
        return latencies;
    }

    private static TimeSpan Percentile(List<TimeSpan> values, double fraction) => values.Order().ElementAt((int)(values.Count * fraction));
}

/// <summary>A client that never reads a stream whose deadline passes, against the quickstart with request_timeout_s: 2.</summary>
public sealed class SlowReaderDeadlineTests : IAsyncLifetime
{
    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartWithConfigAsync("GrpcQuickstart", """
        grpc_options:
          request_timeout_s: 2
          grpc_servicer_functions:
            - userdefinedprotos.UserDefinedService
        applications:
          - name: app1
            route_prefix: /app1
            import_path: GrpcQuickstart.Applications:App1
        """);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Its_stream_is_reset_with_cancel_at_the_deadline_and_logged_deadline_exceeded()
    {
        // The method produces its ten messages in about a second and returns; they wait for the client, which never
        // reads, until the deadline passes.
        var body = Frame(new UserDefinedMessage { Name = new string('n', 100_000), Num = 1, Origin = "lagging" }.ToByteArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await StalledHttp2Client.StartAsync(_host.Serve.GrpcPort, "/userdefinedprotos.UserDefinedService/Streaming", body,
            [("request_id", "lagging-past-deadline")], timeout.Token);

        // RST_STREAM(CANCEL), as for any deadline; a flush cancelled under Kestrel made it INTERNAL_ERROR (2).
        Assert.Equal(8u, await client.StreamReset.WaitAsync(timeout.Token));
        await _host.WaitForOutputAsync("request_id=lagging-past-deadline status=DeadlineExceeded");
        Assert.DoesNotContain(" fail: ", _host.Serve.Output, StringComparison.Ordinal);
    }
}
