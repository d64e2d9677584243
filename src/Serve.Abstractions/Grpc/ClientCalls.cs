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

/// <summary>A unary client call in progress. Await it for the response.</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncUnaryCall<TResponse> : IDisposable
{
    private readonly ICallState _state;
    private readonly Action _dispose;

    /// <summary>Wraps a call; created by a <see cref="CallInvoker"/>.</summary>
    public AsyncUnaryCall(Task<TResponse> responseAsync, Task<Metadata> responseHeadersAsync, ICallState state, Action dispose)
    {
        ResponseAsync = responseAsync;
        ResponseHeadersAsync = responseHeadersAsync;
        _state = state;
        _dispose = dispose;
    }

    /// <summary>The response; faults with <see cref="RpcException"/> when the status is not OK.</summary>
    public Task<TResponse> ResponseAsync { get; }

    /// <summary>The response headers.</summary>
    public Task<Metadata> ResponseHeadersAsync { get; }

    /// <summary>The status, once the call finished.</summary>
    public Status GetStatus() => _state.GetStatus();

    /// <summary>The trailing metadata, once the call finished.</summary>
    public Metadata GetTrailers() => _state.GetTrailers();

    /// <summary>Awaits the response.</summary>
    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();

    /// <summary>Cancels the call if it is still running and frees its resources.</summary>
    public void Dispose() => _dispose();
}

/// <summary>A server-streaming client call in progress.</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncServerStreamingCall<TResponse> : IDisposable
{
    private readonly ICallState _state;
    private readonly Action _dispose;
    private readonly Func<CancellationToken, IAsyncEnumerable<TResponse>> _read;

    /// <summary>Wraps a call; created by a <see cref="CallInvoker"/>.</summary>
    public AsyncServerStreamingCall(Func<CancellationToken, IAsyncEnumerable<TResponse>> read, Task<Metadata> responseHeadersAsync, ICallState state, Action dispose)
    {
        _read = read;
        ResponseHeadersAsync = responseHeadersAsync;
        _state = state;
        _dispose = dispose;
    }

    /// <summary>The response headers.</summary>
    public Task<Metadata> ResponseHeadersAsync { get; }

    /// <summary>
    /// Reads the responses. Throws <see cref="RpcException"/> at the end of the stream when the
    /// status is not OK, after the messages sent before the error.
    /// </summary>
    public IAsyncEnumerable<TResponse> ReadAllAsync(CancellationToken cancellationToken = default) => _read(cancellationToken);

    /// <summary>The status, once the stream was read to its end.</summary>
    public Status GetStatus() => _state.GetStatus();

    /// <summary>The trailing metadata, once the stream was read to its end.</summary>
    public Metadata GetTrailers() => _state.GetTrailers();

    /// <summary>Cancels the call if it is still running and frees its resources.</summary>
    public void Dispose() => _dispose();
}
