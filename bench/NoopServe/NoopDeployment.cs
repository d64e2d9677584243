using Google.Protobuf;
using Serve;
using Serve.Http;
using ServeBench;

namespace NoopServe;

/// <summary>
/// Does nothing: what is measured is Serve's proxy, router and replica path. Served over gRPC
/// (<c>servebench.Noop</c>) and over HTTP (routes under the application's <c>route_prefix</c>,
/// <c>/bench</c> in the suite's configs), so both proxies reach the same deployment.
/// </summary>
[Deployment]
[GrpcService("servebench.Noop")]
public sealed partial class NoopDeployment
{
    private static readonly Empty s_empty = new();
    private static readonly ByteString s_payload = ByteString.CopyFrom(new byte[16]);

    /// <summary>The no-op unary RPC.</summary>
    public Empty Call(Empty request) => s_empty;

    /// <summary><c>count</c> small messages, each flushed as it is produced.</summary>
    public IEnumerable<Item> Stream(StreamRequest request)
    {
        for (var i = 0; i < request.Count; i++)
        {
            yield return new Item { Seq = i, Payload = s_payload };
        }
    }

    /// <summary>The gRPC echo: the request message is the response (no copy beyond parsing).</summary>
    public Blob Echo(Blob request) => request;

    /// <summary>The HTTP no-op: <c>GET {route_prefix}/noop</c> answers <c>ok</c> (text/plain).</summary>
    [HttpGet("/noop")]
    public string Noop() => "ok";

    /// <summary>
    /// The HTTP echo: <c>POST {route_prefix}/echo</c> answers the request body as
    /// application/octet-stream, without copying the buffered body again.
    /// </summary>
    [HttpPost("/echo")]
    public HttpResult EchoHttp(HttpRequestData request) => HttpResult.Bytes(request.Body);
}

/// <summary>The applications of the benchmark host.</summary>
public static class Applications
{
    /// <summary><c>import_path: NoopServe.Applications:Noop</c>.</summary>
    [ApplicationBuilder]
    public static Application Noop => NoopDeployment.Bind();

    /// <summary><c>import_path: NoopServe.Applications:Single</c>: the composition benchmark's baseline.</summary>
    [ApplicationBuilder]
    public static Application Single => SingleStageDeployment.Bind();

    /// <summary><c>import_path: NoopServe.Applications:Chain</c>: the same work as a chain of three deployments.</summary>
    [ApplicationBuilder]
    public static Application Chain => ChainIngressDeployment.Bind(ChainMiddleDeployment.Bind(ChainLastDeployment.Bind()));

    /// <summary><c>import_path: NoopServe.Applications:Unbatched</c>: the batching benchmark's baseline.</summary>
    [ApplicationBuilder]
    public static Application Unbatched => ScoreDeployment.Bind();

    /// <summary><c>import_path: NoopServe.Applications:Batched</c>: the same model behind [Batch].</summary>
    [ApplicationBuilder]
    public static Application Batched => BatchedScoreDeployment.Bind();
}
