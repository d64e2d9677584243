using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Serve.Dispatch;
using Serve.Proxy;

namespace Serve.Routing;

/// <summary>
/// Where the handles to one running deployment send their calls: the deployment's router, taken
/// exactly as the proxies take it (same replica choice, <c>max_ongoing_requests</c>,
/// <c>max_queued_requests</c>, multiplexed model id). Deployment code never runs inline in a caller that has
/// not awaited the call, so that <c>m1.Forward(); m2.Forward();</c> run concurrently as Ray's remote calls do;
/// a caller that awaits a call before a pool thread took it runs it itself (<see cref="DeferredStart"/>).
/// </summary>
internal sealed class RouterHandleTarget : HandleTarget
{
    private readonly ReplicaRouter _router;
    private readonly string _applicationName;
    private readonly string _deploymentName;

    // "Deployment.Method" per method name. Method names are the generated handles' literals, so the
    // cache stays as small as the deployment's method list and calls build no route string.
    private readonly ConcurrentDictionary<string, string> _routes = new(StringComparer.Ordinal);

    private readonly TimeProvider _time;

    public RouterHandleTarget(string applicationName, string deploymentName, ReplicaRouter router, TimeProvider? time = null)
    {
        _applicationName = applicationName;
        _deploymentName = deploymentName;
        _router = router;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public override TimeProvider TimeProvider => _time;

    /// <inheritdoc />
    public override string ApplicationName => _applicationName;

    /// <inheritdoc />
    public override string DeploymentName => _deploymentName;

    /// <inheritdoc />
    public override async ValueTask<TResult> InvokeAsync<TResult>(HandleRequest request, Func<object, CancellationToken, ValueTask<TResult>> invoke)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        // Read before the first await, on the caller's flow: the callee inherits the caller's request id.
        var context = CreateContext(request);
        var token = request.CancellationToken;
        var callerThread = Environment.CurrentManagedThreadId;
        // Taken before the hop, so calls queue in the order the caller made them.
        var lease = await _router.AcquireAsync(request.MultiplexedModelId, token).ConfigureAwait(false);
        try
        {
            if (Environment.CurrentManagedThreadId == callerThread)
            {
                // A slot was free, so this is still the caller's thread: the method must not run inline, or the
                // caller's next calls would wait for it. It goes to the thread pool, unless the caller awaits the
                // response first and runs it itself (DeferredStart).
                await default(DeferredStart);
            }
            // A call cancelled while it waited for a slot or for the hop never starts.
            token.ThrowIfCancellationRequested();
            lease.Replica.Enter(context);
            // The slot is held until the method's task completes, even when the caller stopped waiting.
            var pending = invoke(lease.Replica.Instance, token);
            if (pending.IsCompleted)
            {
                return await pending.ConfigureAwait(false);
            }
            return await WaitUnlessAbandonedAsync(pending.AsTask(), lease.Replica).ConfigureAwait(false);
        }
        finally
        {
            lease.Dispose();
        }
    }

    /// <summary>Disposes an abandoned stream's enumerator once its running step ends; nobody waits for either any more.</summary>
    private static async Task DisposeAfterAsync<TItem>(Task<bool> step, IAsyncEnumerator<TItem> items)
    {
        try
        {
            await step.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The consumer already has its UNAVAILABLE; the step's own end has nowhere to go.
        }
        try
        {
            await items.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Likewise: the deployment's cleanup failing cannot reach anyone.
        }
    }

    /// <summary>
    /// The stream's next step, unless its replica is stopped first (a wedged one replaced): then UNAVAILABLE, and
    /// <paramref name="stuck"/> gets the step still running.
    /// </summary>
    private ValueTask<bool> NextUnlessAbandonedAsync<TItem>(IAsyncEnumerator<TItem> items, Replicas.Replica replica, Action<Task<bool>> stuck)
    {
        var moving = items.MoveNextAsync();
        return moving.IsCompleted ? moving : AwaitAsync(moving.AsTask());

        async ValueTask<bool> AwaitAsync(Task<bool> step)
        {
            try
            {
                return await WaitUnlessAbandonedAsync(step, replica).ConfigureAwait(false);
            }
            catch (DeploymentUnavailableException)
            {
                stuck(step);
                throw;
            }
        }
    }

    /// <summary>The method's result, unless its replica is stopped first (a wedged one replaced): then UNAVAILABLE, not a wait forever.</summary>
    private async ValueTask<TResult> WaitUnlessAbandonedAsync<TResult>(Task<TResult> running, Replicas.Replica replica)
    {
        try
        {
            return await running.WaitAsync(replica.Abandoned).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!running.IsCompleted && replica.Abandoned.IsCancellationRequested)
        {
            throw new DeploymentUnavailableException(_deploymentName, replica.AbandonedMessage);
        }
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<TItem> InvokeStream<TItem>(HandleRequest request, Func<object, CancellationToken, IAsyncEnumerable<TItem>> invoke)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        return StreamAsync(request, invoke, default);
    }

    private async IAsyncEnumerable<TItem> StreamAsync<TItem>(
        HandleRequest request,
        Func<object, CancellationToken, IAsyncEnumerable<TItem>> invoke,
        [EnumeratorCancellation] CancellationToken enumeratorToken)
    {
        // An iterator runs nothing until the first MoveNextAsync: no slot is taken for a stream never enumerated.
        var context = CreateContext(request);
        // Its own source, so that a consumer who leaves early (break, dispose) cancels the deployment's stream
        // as a client who abandons a gRPC call does: work the stream started outside its iterator stops too.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(enumeratorToken, request.CancellationToken);
        var token = abandon.Token;

        var lease = await _router.AcquireAsync(request.MultiplexedModelId, token).ConfigureAwait(false);
        try
        {
            // Every step of the deployment's stream runs off the consumer's thread. After a yield the
            // iterator resumes on the consumer's execution context, so the request context is set again.
            await default(ThreadPoolHop);
            token.ThrowIfCancellationRequested();
            lease.Replica.Enter(context);
            var items = invoke(lease.Replica.Instance, token).GetAsyncEnumerator(token);
            var finished = false;
            // Set when the replica was stopped while the stream waited for its next item: that step never ends.
            Task<bool>? stuck = null;
            try
            {
                while (await NextUnlessAbandonedAsync(items, lease.Replica, pending => stuck = pending).ConfigureAwait(false))
                {
                    yield return items.Current;
                    await default(ThreadPoolHop);
                    ServeRequestContext.SetCurrent(context);
                }
                finished = true;
            }
            finally
            {
                // Disposing runs the deployment's finally blocks: deployment code too.
                await default(ThreadPoolHop);
                ServeRequestContext.SetCurrent(context);
                if (!finished)
                {
                    CancelAbandoned(abandon);
                }
                if (stuck is null)
                {
                    await items.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    // An enumerator cannot be disposed while a step runs: it is, once (if ever) that step ends.
                    _ = DisposeAfterAsync(stuck, items);
                }
            }
        }
        finally
        {
            lease.Dispose();
        }
    }

    private static void CancelAbandoned(CancellationTokenSource abandon)
    {
        try
        {
            abandon.Cancel();
        }
        catch (AggregateException)
        {
            // A callback the deployment registered on its token threw; the consumer has left, so its
            // failure has no caller to reach. The stream is disposed next either way.
        }
    }

    private ServeRequestContext CreateContext(in HandleRequest request)
        => new(ServeRequestContext.Current?.RequestId ?? RequestIds.NewId(), _applicationName, request.MultiplexedModelId ?? "", RouteOf(request.Method));

    private string RouteOf(string method)
        => _routes.TryGetValue(method, out var route) ? route : _routes.GetOrAdd(method, _deploymentName + "." + method);

    public override string ToString() => $"{_applicationName}#{_deploymentName}";

    /// <summary>
    /// Awaiting it continues on a thread-pool thread, whatever the caller's synchronization context.
    /// The async method's builder captures and restores the execution context itself, hence the unsafe
    /// queueing.
    /// </summary>
    private readonly struct ThreadPoolHop : ICriticalNotifyCompletion
    {
        private static readonly Action<Action> s_run = static continuation => continuation();

        public ThreadPoolHop GetAwaiter() => this;

        public bool IsCompleted => false;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => ThreadPool.QueueUserWorkItem(s_run, continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) => ThreadPool.UnsafeQueueUserWorkItem(s_run, continuation, preferLocal: false);
    }
}
