using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Serve.Http;

namespace Serve.IntegrationTests.Probe;

/// <summary>What the probe deployment observed, for tests to assert on (in-process host only).</summary>
public static class ProbeLog
{
    /// <summary>Request text → true once a sleeping method started (so a test knows the call reached it).</summary>
    public static ConcurrentDictionary<string, bool> Started { get; } = new();

    /// <summary>Request text → true once the method saw its CancellationToken fire.</summary>
    public static ConcurrentDictionary<string, bool> Cancelled { get; } = new();

    /// <summary>Request text → how many messages a stream had produced when it stopped.</summary>
    public static ConcurrentDictionary<string, int> Produced { get; } = new();

    /// <summary>Model id → how many times a replica loaded it.</summary>
    public static ConcurrentDictionary<string, int> Loads { get; } = new();

    /// <summary>Model id → how many times it was disposed after eviction.</summary>
    public static ConcurrentDictionary<string, int> Disposals { get; } = new();
}

/// <summary>A loaded "model" of the probe: disposing it is recorded.</summary>
public sealed class ProbeModel(string id) : IDisposable
{
    public string Id { get; } = id;

    public void Dispose() => ProbeLog.Disposals.AddOrUpdate(Id, 1, (_, n) => n + 1);
}

/// <summary>Serves servetesting.Probe: one method per edge case the proxy must handle.</summary>
[Deployment(MaxOngoingRequests = 100)]
[GrpcService("servetesting.Probe")]
public sealed partial class ProbeDeployment
{
    private readonly string _replica = Guid.NewGuid().ToString("N")[..8];

    public ProbeReply Echo(ProbeRequest request, ServeRequestContext serve, GrpcContext grpc) => new()
    {
        Text = request.Text,
        Number = request.Number,
        Replica = _replica,
        Detail = $"peer={grpc.Peer};deadline={(grpc.Deadline is null ? "none" : "set")};app={serve.ApplicationName};meta={grpc.RequestHeaders.GetValue("probe-meta") ?? ""};bin={(grpc.RequestHeaders.Get("probe-bin")?.ValueBytes is { } b ? Convert.ToHexString(b) : "")}",
    };

    public async Task<ProbeReply> Sleep(ProbeRequest request, CancellationToken cancellationToken)
    {
        ProbeLog.Started[request.Text] = true;
        try
        {
            await Task.Delay(request.DelayMs, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            ProbeLog.Cancelled[request.Text] = true;
            throw;
        }
        return new ProbeReply { Text = request.Text, Replica = _replica };
    }

    public ProbeReply SleepIgnoringToken(ProbeRequest request)
    {
        Thread.Sleep(request.DelayMs);
        return new ProbeReply { Text = request.Text };
    }

    public ProbeReply Fail(ProbeRequest request) => throw new InvalidOperationException(request.Text);

    public ProbeReply FailWithStatus(ProbeRequest request)
    {
        var trailers = new Metadata { { "probe-reason", request.Text } };
        // Number asks for that many values of one repeated key.
        for (var i = 0; i < request.Number; i++)
        {
            trailers.Add("probe-tag", $"t{i}");
        }
        throw new RpcException(new Status((StatusCode)request.Count, request.Text), trailers);
    }

    public ProbeReply Compressed(ProbeRequest request, GrpcContext grpc)
    {
        grpc.ResponseCompressionAlgorithm = request.Text.Length == 0 ? null : request.Text;
        return new ProbeReply { Text = new string('z', 4096), Replica = _replica };
    }

    public async IAsyncEnumerable<ProbeReply> StreamThenFail(ProbeRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < request.Count; i++)
        {
            yield return new ProbeReply { Text = $"{request.Text} {i}", Number = i };
            await Task.Yield();
        }
        throw new InvalidOperationException($"{request.Text} failed after {request.Count}");
    }

    public async IAsyncEnumerable<ProbeReply> StreamUntilCancelled(ProbeRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var i = 0;
        try
        {
            while (true)
            {
                yield return new ProbeReply { Text = request.Text, Number = i++ };
                await Task.Delay(20, cancellationToken);
            }
        }
        finally
        {
            ProbeLog.Produced[request.Text] = i;
            ProbeLog.Cancelled[request.Text] = cancellationToken.IsCancellationRequested;
        }
    }

    public async Task<ProbeReply> Sum(IAsyncEnumerable<ProbeRequest> requests, CancellationToken cancellationToken)
    {
        long sum = 0;
        var count = 0;
        await foreach (var request in requests.WithCancellation(cancellationToken))
        {
            sum += request.Number;
            count++;
        }
        return new ProbeReply { Number = sum, Text = $"{count} messages" };
    }

    public async IAsyncEnumerable<ProbeReply> Chat(IAsyncEnumerable<ProbeRequest> requests, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var request in requests.WithCancellation(cancellationToken))
        {
            yield return new ProbeReply { Text = "echo: " + request.Text, Number = request.Number };
        }
    }

    [Multiplexed(MaxModelsPerReplica = 2)]
    public ProbeModel LoadModel(string modelId)
    {
        ProbeLog.Loads.AddOrUpdate(modelId, 1, (_, n) => n + 1);
        return new ProbeModel(modelId);
    }

    public async Task<ProbeReply> Model(ProbeRequest request, CancellationToken cancellationToken)
    {
        var model = await GetMultiplexedModelAsync(cancellationToken);
        return new ProbeReply { Text = model.Id, Replica = _replica };
    }

    // The same deployment over HTTP: one route per edge case of the HTTP proxy.

    [HttpGet("/echo/{id}")]
    public string EchoHttp(int id, string? q, ServeRequestContext context) => $"{id}:{q}:{context.ApplicationName}";

    [HttpGet("/sleep")]
    public async Task<string> SleepHttp(int ms, string text, CancellationToken cancellationToken)
    {
        ProbeLog.Started[text] = true;
        try
        {
            await Task.Delay(ms, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            ProbeLog.Cancelled[text] = true;
            throw;
        }
        return text;
    }

    [HttpGet("/fail")]
    public string FailHttp() => throw new InvalidOperationException("http boom");

    [HttpGet("/ticks")]
    public async IAsyncEnumerable<string> Ticks(string text, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var i = 0;
        try
        {
            while (true)
            {
                yield return $"{text} {i++}";
                await Task.Delay(20, cancellationToken);
            }
        }
        finally
        {
            ProbeLog.Produced[text] = i;
            ProbeLog.Cancelled[text] = cancellationToken.IsCancellationRequested;
        }
    }

    [HttpPost("/upload")]
    public string Upload(HttpRequestData request) => request.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the deployment sees of repeated query values and headers: every value, in order.</summary>
    [HttpGet("/values")]
    public string Values(HttpRequestData request)
        => string.Join(",", request.Query.GetAll("tag")) + "|" + string.Join(",", request.Headers.GetAll("X-Tag")) + "|" + request.Query.Entries.Count;

    /// <summary>A response header with a line break: the proxy must refuse it, not split the response.</summary>
    [HttpGet("/inject")]
    public HttpResult Inject() => new(200, "x"u8.ToArray(), "text/plain", [new("x-probe", "a\r\nSet-Cookie: evil=1")]);

    [HttpGet("/model")]
    public async Task<string> ModelHttp(CancellationToken cancellationToken) => (await GetMultiplexedModelAsync(cancellationToken)).Id;
}

/// <summary>Application builders of the probe.</summary>
public static class ProbeApplications
{
    [ApplicationBuilder]
    public static Application Probe(ApplicationArgs args)
        => ProbeDeployment.Bind().WithOptions(numReplicas: int.Parse(args.GetString("replicas", "1")!, System.Globalization.CultureInfo.InvariantCulture));
}
