using System.ComponentModel;

namespace Serve.Dispatch;

/// <summary>
/// Where a <see cref="DeploymentHandle{TDeployment}"/> sends its calls: the routed replicas of a
/// running deployment, or those of an application run in local testing mode. Implemented by the
/// runtime; a remote replica set can stand behind the same contract later.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public abstract class HandleTarget
{
    /// <summary>The application the deployment belongs to.</summary>
    public abstract string ApplicationName { get; }

    /// <summary>The deployment's name within its application.</summary>
    public abstract string DeploymentName { get; }

    /// <summary>
    /// The clock handle-call timeouts (<c>Options(timeout: …)</c>) run on: the host's <see cref="System.TimeProvider"/>,
    /// so tests can drive them with a fake one.
    /// </summary>
    public virtual TimeProvider TimeProvider => TimeProvider.System;

    /// <summary>
    /// Runs <paramref name="invoke"/> with one replica's instance: waits for a replica as proxy traffic
    /// does (same choice, <c>max_ongoing_requests</c>, <c>max_queued_requests</c>, multiplexed model id),
    /// makes the call's <see cref="ServeRequestContext"/> current, and keeps the replica's slot until the
    /// returned task completes, even when the caller stopped waiting.
    /// </summary>
    public abstract ValueTask<TResult> InvokeAsync<TResult>(HandleRequest request, Func<object, CancellationToken, ValueTask<TResult>> invoke);

    /// <summary>
    /// Streams the items <paramref name="invoke"/> produces on one replica, holding the replica's slot
    /// until the enumeration ends or is disposed. Nothing runs before the stream is enumerated.
    /// </summary>
    public abstract IAsyncEnumerable<TItem> InvokeStream<TItem>(HandleRequest request, Func<object, CancellationToken, IAsyncEnumerable<TItem>> invoke);
}

/// <summary>One call made through a handle, as its <see cref="HandleTarget"/> sees it.</summary>
/// <param name="Method">The deployment method's name, for the request context and logs.</param>
/// <param name="MultiplexedModelId">The model the call asks for (<c>.Options(multiplexedModelId: ...)</c>); empty when none.</param>
/// <param name="CancellationToken">Cancelled when the caller cancels, the response is cancelled or the call times out.</param>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public readonly record struct HandleRequest(string Method, string MultiplexedModelId, CancellationToken CancellationToken);
