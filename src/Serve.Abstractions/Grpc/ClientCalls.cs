using System.Runtime.CompilerServices;

namespace Serve.Grpc;

/// <summary>The state a finished client call exposes: status and trailing metadata.</summary>
public interface ICallState
{
    /// <summary>The call's status; valid once the call finished.</summary>
    Status GetStatus();

    /// <summary>The call's trailing metadata; valid once the call finished.</summary>
    Metadata GetTrailers();
}

/// <summary>What every client call in progress offers: headers, status, trailers, cancellation.</summary>
public abstract class AsyncCall : IDisposable
{
    private readonly ICallState _state;
    private readonly Action _dispose;

    /// <summary>Wraps a call's shared parts; created by a <see cref="CallInvoker"/>.</summary>
    protected AsyncCall(Task<Metadata> responseHeadersAsync, ICallState state, Action dispose)
    {
        ResponseHeadersAsync = responseHeadersAsync;
        _state = state;
        _dispose = dispose;
    }

    /// <summary>The response headers.</summary>
    public Task<Metadata> ResponseHeadersAsync { get; }

    /// <summary>The status, once the call finished (for streams: once read to the end).</summary>
    public Status GetStatus() => _state.GetStatus();

    /// <summary>The trailing metadata, once the call finished (for streams: once read to the end).</summary>
    public Metadata GetTrailers() => _state.GetTrailers();

    /// <summary>Cancels the call if it is still running and frees its resources.</summary>
    public void Dispose()
    {
        _dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A unary client call in progress. Await it for the response.</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncUnaryCall<TResponse> : AsyncCall
{
    /// <summary>Wraps a call; created by a <see cref="CallInvoker"/>.</summary>
    public AsyncUnaryCall(Task<TResponse> responseAsync, Task<Metadata> responseHeadersAsync, ICallState state, Action dispose)
        : base(responseHeadersAsync, state, dispose) => ResponseAsync = responseAsync;

    /// <summary>The response; faults with <see cref="RpcException"/> when the status is not OK.</summary>
    public Task<TResponse> ResponseAsync { get; }

    /// <summary>Awaits the response.</summary>
    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
}

/// <summary>A server-streaming client call in progress.</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncServerStreamingCall<TResponse> : AsyncCall
{
    private readonly Func<CancellationToken, IAsyncEnumerable<TResponse>> _read;

    /// <summary>Wraps a call; created by a <see cref="CallInvoker"/>.</summary>
    public AsyncServerStreamingCall(Func<CancellationToken, IAsyncEnumerable<TResponse>> read, Task<Metadata> responseHeadersAsync, ICallState state, Action dispose)
        : base(responseHeadersAsync, state, dispose) => _read = read;

    /// <summary>
    /// Reads the responses. Throws <see cref="RpcException"/> at the end of the stream when the
    /// status is not OK, after the messages sent before the error.
    /// </summary>
    public IAsyncEnumerable<TResponse> ReadAllAsync(CancellationToken cancellationToken = default) => _read(cancellationToken);
}

/// <summary>Writes the request messages of a client-streaming or duplex call.</summary>
/// <typeparam name="T">The request message type.</typeparam>
public interface IClientStreamWriter<in T>
{
    /// <summary>Sends one message; completes when the transport accepted it (backpressure).</summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);

    /// <summary>Ends the request stream (half-close); the server then sees the end of its requests.</summary>
    Task CompleteAsync();
}

/// <summary>A client-streaming call in progress: write requests, complete, then await the response.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncClientStreamingCall<TRequest, TResponse> : AsyncCall
{
    /// <summary>Wraps a call; created by a <see cref="CallInvoker"/>.</summary>
    public AsyncClientStreamingCall(IClientStreamWriter<TRequest> requestStream, Task<TResponse> responseAsync, Task<Metadata> responseHeadersAsync, ICallState state, Action dispose)
        : base(responseHeadersAsync, state, dispose)
    {
        RequestStream = requestStream;
        ResponseAsync = responseAsync;
    }

    /// <summary>Where to write the requests.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

    /// <summary>The response; faults with <see cref="RpcException"/> when the status is not OK.</summary>
    public Task<TResponse> ResponseAsync { get; }

    /// <summary>Awaits the response.</summary>
    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
}

/// <summary>A duplex-streaming call in progress: write requests and read responses concurrently.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncDuplexStreamingCall<TRequest, TResponse> : AsyncCall
{
    private readonly Func<CancellationToken, IAsyncEnumerable<TResponse>> _read;

    /// <summary>Wraps a call; created by a <see cref="CallInvoker"/>.</summary>
    public AsyncDuplexStreamingCall(IClientStreamWriter<TRequest> requestStream, Func<CancellationToken, IAsyncEnumerable<TResponse>> read, Task<Metadata> responseHeadersAsync, ICallState state, Action dispose)
        : base(responseHeadersAsync, state, dispose)
    {
        RequestStream = requestStream;
        _read = read;
    }

    /// <summary>Where to write the requests.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

    /// <summary>Reads the responses; throws <see cref="RpcException"/> at the end when the status is not OK.</summary>
    public IAsyncEnumerable<TResponse> ReadAllAsync(CancellationToken cancellationToken = default) => _read(cancellationToken);
}
