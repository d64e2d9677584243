using System.ComponentModel;
using Serve.Dispatch;

namespace Serve;

/// <summary>
/// A handle to a running deployment of class <typeparamref name="TDeployment"/> (Ray Serve's
/// <c>DeploymentHandle</c>). Declare a constructor parameter of this type and bind it with the other
/// deployment's <c>Bind(...)</c>; the runtime passes a handle in. The generator gives the handle one
/// method per public method of the deployment (<c>await handle.Preprocess(image)</c>), returning a
/// <see cref="DeploymentResponse{T}"/> or, for streaming methods, a <see cref="DeploymentResponseStream{T}"/>.
/// Calls go through the deployment's router like proxy traffic.
/// </summary>
/// <typeparam name="TDeployment">The deployment class.</typeparam>
public sealed class DeploymentHandle<TDeployment>
    where TDeployment : class
{
    private readonly HandleTarget _target;
    private readonly string _multiplexedModelId;
    private readonly TimeSpan? _timeout;

    /// <summary>Creates a handle; called by the runtime.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public DeploymentHandle(HandleTarget target)
        : this(target ?? throw new ArgumentNullException(nameof(target)), "", null)
    {
    }

    private DeploymentHandle(HandleTarget target, string multiplexedModelId, TimeSpan? timeout)
    {
        _target = target;
        _multiplexedModelId = multiplexedModelId;
        _timeout = timeout;
    }

    /// <summary>The application of the deployment this handle calls.</summary>
    public string ApplicationName => _target.ApplicationName;

    /// <summary>The name of the deployment this handle calls.</summary>
    public string DeploymentName => _target.DeploymentName;

    /// <summary>The model id calls ask for; empty when none.</summary>
    public string MultiplexedModelId => _multiplexedModelId;

    /// <summary>How long a call may take before it fails with a <see cref="TimeoutException"/>; null for no limit.</summary>
    public TimeSpan? Timeout => _timeout;

    /// <summary>
    /// A copy of this handle with other call options (Ray Serve's <c>handle.options(...)</c>); unset
    /// arguments keep this handle's values. Whether a call streams follows from the method's return type.
    /// </summary>
    /// <param name="multiplexedModelId">The model to route to and load (<c>multiplexed_model_id</c>).</param>
    /// <param name="timeout">Fail calls not finished within this time with a <see cref="TimeoutException"/>
    /// (their cancellation token is cancelled; the replica's slot is held until the method returns).</param>
    public DeploymentHandle<TDeployment> Options(string? multiplexedModelId = null, TimeSpan? timeout = null)
    {
        if (timeout is { } t && t <= TimeSpan.Zero && t != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A call timeout must be positive.");
        }
        return new(_target, multiplexedModelId ?? _multiplexedModelId, timeout == System.Threading.Timeout.InfiniteTimeSpan ? null : timeout ?? _timeout);
    }

    /// <summary>Starts a call that returns a value; called by generated handle methods.</summary>
    /// <param name="method">The deployment method's name.</param>
    /// <param name="body">Resolves the arguments, then runs the method through <see cref="HandleCall{TDeployment}.InvokeAsync{TResult}"/>.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public DeploymentResponse<TResult> Call<TResult>(string method, Func<HandleCall<TDeployment>, Task<TResult>> body, CancellationToken cancellationToken)
        => DeploymentResponse<TResult>.Start(
            token => body(new HandleCall<TDeployment>(_target, new HandleRequest(method, _multiplexedModelId, token))),
            _timeout, _target, method, cancellationToken);

    /// <summary>Starts a call that returns no value; called by generated handle methods.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public DeploymentResponse CallVoid(string method, Func<HandleCall<TDeployment>, Task> body, CancellationToken cancellationToken)
        => DeploymentResponse.Start(
            token => body(new HandleCall<TDeployment>(_target, new HandleRequest(method, _multiplexedModelId, token))),
            _timeout, _target, method, cancellationToken);

    /// <summary>Prepares a streaming call; called by generated handle methods. It runs when enumerated.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public DeploymentResponseStream<TItem> Stream<TItem>(string method, Func<HandleCall<TDeployment>, ValueTask<IAsyncEnumerable<TItem>>> body, CancellationToken cancellationToken)
    {
        var target = _target;
        var modelId = _multiplexedModelId;
        return new(token => body(new HandleCall<TDeployment>(target, new HandleRequest(method, modelId, token))), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => $"DeploymentHandle<{typeof(TDeployment).Name}>({_target.ApplicationName}#{_target.DeploymentName})";
}

/// <summary>
/// One call in progress through a handle; generated handle methods resolve their arguments, then run
/// the deployment method with <see cref="InvokeAsync{TResult}"/>.
/// </summary>
/// <typeparam name="TDeployment">The deployment class.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct HandleCall<TDeployment>
    where TDeployment : class
{
    private readonly HandleTarget _target;
    private readonly HandleRequest _request;

    internal HandleCall(HandleTarget target, HandleRequest request)
    {
        _target = target;
        _request = request;
    }

    /// <summary>Cancelled when the caller cancels, the response is cancelled or the call times out.</summary>
    public CancellationToken CancellationToken => _request.CancellationToken;

    /// <summary>Runs <paramref name="invoke"/> on a replica chosen by the deployment's router.</summary>
    public Task<TResult> InvokeAsync<TResult>(Func<TDeployment, CancellationToken, ValueTask<TResult>> invoke)
        // Waiting stops at cancellation in DeploymentResponse, which runs every handle call: one wait per hop, not two.
        => _target.InvokeAsync(_request, (instance, token) => invoke((TDeployment)instance, token)).AsTask();

    /// <summary>Runs <paramref name="invoke"/>, a method without a result, on a replica chosen by the router.</summary>
    public Task InvokeAsync(Func<TDeployment, CancellationToken, ValueTask> invoke)
        => InvokeAsync<bool>(async (deployment, token) =>
        {
            await invoke(deployment, token).ConfigureAwait(false);
            return true;
        });

    /// <summary>Streams what <paramref name="invoke"/>, a method returning a synchronous sequence, yields on a replica.</summary>
    public IAsyncEnumerable<TItem> InvokeSyncStream<TItem>(Func<TDeployment, CancellationToken, IEnumerable<TItem>> invoke)
        => _target.InvokeStream(_request, (instance, token) => ToAsync(invoke((TDeployment)instance, token), token));

    private static async IAsyncEnumerable<TItem> ToAsync<TItem>(IEnumerable<TItem> items, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Streams what <paramref name="invoke"/> yields on a replica chosen by the router.</summary>
    public IAsyncEnumerable<TItem> InvokeStream<TItem>(Func<TDeployment, CancellationToken, IAsyncEnumerable<TItem>> invoke)
        => _target.InvokeStream(_request, (instance, token) => invoke((TDeployment)instance, token));
}
