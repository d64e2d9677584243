using System.Runtime.CompilerServices;
using Grpc.Core;
using Serve;

namespace ServeGrpc;

/// <summary>
/// A deployment: Serve runs replicas of this class behind its gRPC proxy. The source generator checks each
/// method against <c>greeter.Greeter</c> in <c>Protos/greeter.proto</c> and emits the dispatch code.
/// </summary>
[Deployment(NumReplicas = 2, MaxOngoingRequests = 100)]
[GrpcService("greeter.Greeter")]
public sealed partial class GreeterDeployment
{
    /// <summary>The most greetings one <c>SayHelloStream</c> call may ask for.</summary>
    public const int MaxCount = 100;

    /// <summary>Unary: <c>rpc SayHello (HelloRequest) returns (HelloReply)</c>.</summary>
    public HelloReply SayHello(HelloRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            // Reaches the client as INVALID_ARGUMENT with this message.
            throw new RpcException(new Status(StatusCode.InvalidArgument, "name is required"));
        }
        return new HelloReply { Message = $"Hello {request.Name}" };
    }

    /// <summary>Server streaming: <c>rpc SayHelloStream (HelloRequest) returns (stream HelloReply)</c>.</summary>
    public async IAsyncEnumerable<HelloReply> SayHelloStream(HelloRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var count = request.Count <= 0 ? 3 : Math.Min(request.Count, MaxCount);
        for (var i = 1; i <= count; i++)
        {
            // Each reply is sent as it is produced; the token is cancelled when the client leaves.
            yield return new HelloReply { Message = $"Hello {request.Name} ({i} of {count})" };
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }
}
