using Google.Protobuf;
using Serve;
using ServeBench;

namespace NoopServe;

/// <summary>Does nothing: what is measured is Serve's proxy, router and replica path.</summary>
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
}

/// <summary>The applications of the benchmark host.</summary>
public static class Applications
{
    /// <summary><c>import_path: NoopServe.Applications:Noop</c>.</summary>
    [ApplicationBuilder]
    public static Application Noop => NoopDeployment.Bind();
}
