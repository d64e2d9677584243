using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Serve.IntegrationTests;

/// <summary>
/// Calls a method by name through grpc-dotnet's call invoker, for the cases no generated client can make:
/// a method that does not exist, a wrong case, a version the server does not serve.
/// </summary>
internal static class RawGrpc
{
    /// <summary>A unary method descriptor with protobuf marshallers.</summary>
    public static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string service, string name)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>, new()
        => new(MethodType.Unary, service, name, Marshaller<TRequest>(), Marshaller<TResponse>());

    /// <summary>Makes one unary call of <paramref name="method"/>.</summary>
    public static AsyncUnaryCall<TResponse> Call<TRequest, TResponse>(this GrpcChannel channel, Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class
        where TResponse : class
        => channel.CreateCallInvoker().AsyncUnaryCall(method, null, options, request);

    private static Marshaller<T> Marshaller<T>() where T : IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create(static (T m) => m.ToByteArray(), parser.ParseFrom);
    }
}
