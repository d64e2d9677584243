using Grpc.Core;
using Serve;
using Userdefinedprotos;

namespace GrpcQuickstart;

/// <summary>
/// The gRPC guide's "Use gRPC context" example: the first call for a name answers
/// INVALID_ARGUMENT ("foo not found, adding to nums."), later ones OK ("foo found."), both with
/// trailing metadata <c>num</c>. Deployed by <c>context.yaml</c>.
/// </summary>
[Deployment]
[GrpcService("userdefinedprotos.UserDefinedService")]
public sealed partial class GrpcContextDeployment
{
    private readonly Dictionary<string, int> _nums = [];
    private readonly Lock _lock = new();

    private (int Num, StatusCode Code, string Message) NumLookup(string name)
    {
        lock (_lock)
        {
            if (!_nums.TryGetValue(name, out var num))
            {
                num = _nums.Count;
                _nums[name] = num;
                return (num, StatusCode.InvalidArgument, $"{name} not found, adding to nums.");
            }
            return (num, StatusCode.OK, $"{name} found.");
        }
    }

    /// <summary>Sets the status code, details and trailing metadata through the gRPC context.</summary>
    [GrpcMethod("__call__")]
    public UserDefinedResponse Call(UserDefinedMessage message, GrpcContext grpcContext)
    {
        var greeting = $"Hello {message.Name} from {message.Origin}";
        var (num, code, details) = NumLookup(message.Name);

        grpcContext.StatusCode = code;
        grpcContext.Detail = details;
        grpcContext.SetTrailingMetadata(("num", num.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        return new UserDefinedResponse { Greeting = greeting, Num = num };
    }

    /// <summary>Not part of the guide's example; answers like <see cref="GrpcDeployment.Multiplexing"/>.</summary>
    public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 message, ServeRequestContext context)
        => new() { Greeting = $"Method2 called model, loading model: {context.MultiplexedModelId}" };

    /// <summary>Not part of the guide's example; one greeting.</summary>
    public IEnumerable<UserDefinedResponse> Streaming(UserDefinedMessage message)
    {
        yield return new UserDefinedResponse { Greeting = $"0: Hello {message.Name} from {message.Origin}", Num = message.Num * 2 };
    }
}
