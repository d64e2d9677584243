namespace Serve.Routing;

/// <summary>How a proxied call ended, for the proxy to turn into a gRPC status or an HTTP code.</summary>
internal enum ReplicaCallResult
{
    /// <summary>The method returned; what it wrote is the answer.</summary>
    Completed,

    /// <summary>The deadline passed while the method ran or a lagging client was read to: the call's <see cref="IReplicaCall.AnswerDeadlineAsync"/> answered it.</summary>
    DeadlineAnswered,

    /// <summary>
    /// The replica was stopped while the method ran (the request outlived <c>graceful_shutdown_timeout_s</c>): the call's
    /// <see cref="IReplicaCall.AnswerUnavailableAsync"/> answered it.
    /// </summary>
    UnavailableAnswered,

    /// <summary>The deadline passed before the method ran (queued for a replica, reading the request); nothing answered yet.</summary>
    TimedOut,

    /// <summary>The client left (a reset stream, a closed connection).</summary>
    ClientGone,

    /// <summary>More than <c>max_queued_requests</c> were waiting: <see cref="BackPressureException"/>.</summary>
    BackPressure,

    /// <summary>The deployment has no running replica: <see cref="DeploymentUnavailableException"/>.</summary>
    Unavailable,

    /// <summary>Reading the request or the method threw <see cref="ReplicaCallOutcome.Exception"/>.</summary>
    Failed,
}

/// <summary>The classified end of a proxied call.</summary>
/// <param name="Result">What happened.</param>
/// <param name="Exception">The exception behind every result but <see cref="ReplicaCallResult.Completed"/> and <see cref="ReplicaCallResult.DeadlineAnswered"/>.</param>
/// <param name="DeadlinePassed">True when the call had a deadline and it had passed by the end.</param>
internal readonly record struct ReplicaCallOutcome(ReplicaCallResult Result, Exception? Exception, bool DeadlinePassed);

/// <summary>
/// The one path from a proxy to a replica, for gRPC and HTTP alike: the deadline (the smaller of
/// <c>request_timeout_s</c> and the client's) linked with the client's abort, the replica taken from the ingress
/// deployment's router (queueing, back-pressure), the request context, the method raced against its deadline, what a
/// lagging client has not read yet sent within it, and the outcome classified. Each proxy keeps only its mapping from
/// <see cref="ReplicaCallOutcome"/> to a status. Deployment handles take replicas from the same router
/// (<see cref="RouterHandleTarget"/>) but have no deadline of their own: their caller's token bounds them.
/// </summary>
internal static class ReplicaCallRunner
{
    /// <summary>
    /// Runs <paramref name="call"/> on a replica of <paramref name="router"/>'s deployment, within
    /// <paramref name="timeout"/> (none when null) read on <paramref name="time"/>'s clock.
    /// </summary>
    public static ValueTask<ReplicaCallOutcome> RunAsync<TCall>(ReplicaRouter router, TCall call, TimeSpan? timeout, TimeProvider time, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
        => timeout is { } t
            ? RunWithDeadlineAsync(router, call, t, time, requestAborted)
            : RunWithoutDeadline(router, call, requestAborted);

    /// <summary>
    /// A call without a deadline (the default config), in steps that each go asynchronous only when they must: a request
    /// already buffered, a free replica and a method that completes synchronously run without a state machine, which
    /// profiling showed as ~1.5% of a no-op call.
    /// </summary>
    private static ValueTask<ReplicaCallOutcome> RunWithoutDeadline<TCall>(ReplicaRouter router, TCall call, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        call.SetCancellationToken(requestAborted);
        ValueTask<ReplicaLease> acquiring;
        try
        {
            var preparing = call.PrepareAsync();
            if (!preparing.IsCompletedSuccessfully)
            {
                return AcquireWhenPreparedAsync(router, call, preparing, requestAborted);
            }
            preparing.GetAwaiter().GetResult();
            acquiring = router.AcquireAsync(call.RequestContext.MultiplexedModelId, requestAborted);
        }
        catch (Exception ex)
        {
            return new(Failed(call, ex, requestAborted));
        }
        return acquiring.IsCompletedSuccessfully
            ? Invoke(call, acquiring.Result, requestAborted)
            : InvokeWhenAcquiredAsync(call, acquiring, requestAborted);
    }

    private static async ValueTask<ReplicaCallOutcome> AcquireWhenPreparedAsync<TCall>(ReplicaRouter router, TCall call, ValueTask preparing, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        ValueTask<ReplicaLease> acquiring;
        try
        {
            await preparing.ConfigureAwait(false);
            acquiring = router.AcquireAsync(call.RequestContext.MultiplexedModelId, requestAborted);
        }
        catch (Exception ex)
        {
            return Failed(call, ex, requestAborted);
        }
        return await InvokeWhenAcquiredAsync(call, acquiring, requestAborted).ConfigureAwait(false);
    }

    private static async ValueTask<ReplicaCallOutcome> InvokeWhenAcquiredAsync<TCall>(TCall call, ValueTask<ReplicaLease> acquiring, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        ReplicaLease lease;
        try
        {
            lease = await acquiring.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return Failed(call, ex, requestAborted);
        }
        return await Invoke(call, lease, requestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The method on the leased replica, with the request context current while it runs and not after: the execution
    /// context is restored by hand, as an async method's builder would.
    /// </summary>
    private static ValueTask<ReplicaCallOutcome> Invoke<TCall>(TCall call, ReplicaLease lease, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        // Null only when the caller suppressed the flow: then the context is set inside an async method, which restores it.
        if (ExecutionContext.Capture() is not { } outer)
        {
            return InvokeIsolatedAsync(call, lease, requestAborted);
        }
        ValueTask invoking;
        lease.Replica.Enter(call.RequestContext);
        try
        {
            invoking = call.InvokeAsync(lease.Replica.Instance);
        }
        catch (Exception ex)
        {
            lease.Dispose();
            return new(Failed(call, ex, requestAborted));
        }
        finally
        {
            ExecutionContext.Restore(outer);
        }
        if (!invoking.IsCompletedSuccessfully)
        {
            return CompleteWhenInvokedAsync(call, invoking, lease, requestAborted);
        }
        invoking.GetAwaiter().GetResult();
        lease.Dispose();
        return Completed(call);
    }

    private static async ValueTask<ReplicaCallOutcome> InvokeIsolatedAsync<TCall>(TCall call, ReplicaLease lease, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        ValueTask invoking;
        try
        {
            lease.Replica.Enter(call.RequestContext);
            invoking = call.InvokeAsync(lease.Replica.Instance);
        }
        catch (Exception ex)
        {
            lease.Dispose();
            return Failed(call, ex, requestAborted);
        }
        return await CompleteWhenInvokedAsync(call, invoking, lease, requestAborted).ConfigureAwait(false);
    }

    private static async ValueTask<ReplicaCallOutcome> CompleteWhenInvokedAsync<TCall>(TCall call, ValueTask invoking, ReplicaLease lease, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        var replica = lease.Replica;
        Task? running = null;
        try
        {
            if (invoking.IsCompleted)
            {
                await invoking.ConfigureAwait(false);
            }
            else
            {
                // A replica stopped while the method runs (a wedged one replaced) must not keep its caller waiting forever.
                running = invoking.AsTask();
                await running.WaitAsync(replica.Abandoned).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (running is not null && !running.IsCompleted && replica.Abandoned.IsCancellationRequested)
        {
            lease.Dispose();
            return await AnswerAbandonedAsync(call, replica, running).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            lease.Dispose();
            return Failed(call, ex, requestAborted);
        }
        lease.Dispose();
        return await Completed(call).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers UNAVAILABLE for a request whose replica stopped under it, then waits for the method as a deadline answer
    /// does: its request buffers are given back only once nothing reads them.
    /// </summary>
    private static async ValueTask<ReplicaCallOutcome> AnswerAbandonedAsync<TCall>(TCall call, Replicas.Replica replica, Task running)
        where TCall : class, IReplicaCall
    {
        await call.AnswerUnavailableAsync(replica.AbandonedMessage).ConfigureAwait(false);
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Nowhere to go: the client already has its answer.
        }
        call.Release();
        return new ReplicaCallOutcome(ReplicaCallResult.UnavailableAnswered, null, false);
    }

    /// <summary>The method returned: its request buffers are given back, and what a lagging client has not read yet is sent.</summary>
    private static ValueTask<ReplicaCallOutcome> Completed<TCall>(TCall call)
        where TCall : class, IReplicaCall
    {
        call.Release();
        return call.StreamedResponses ? DrainAsync(call) : new(new ReplicaCallOutcome(ReplicaCallResult.Completed, null, false));

        static async ValueTask<ReplicaCallOutcome> DrainAsync(TCall call)
        {
            await call.DrainResponsesAsync().ConfigureAwait(false);
            return new(ReplicaCallResult.Completed, null, false);
        }
    }

    /// <summary>Reading the request, taking a replica or the method threw: classified, then the request buffers given back.</summary>
    private static ReplicaCallOutcome Failed<TCall>(TCall call, Exception ex, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        var outcome = new ReplicaCallOutcome(Classify(ex, deadline: null, requestAborted.IsCancellationRequested || call.ClientGone), ex, false);
        call.Release();
        return outcome;
    }

    /// <summary>A call with a deadline: the deadline linked with the client's abort, the method raced against it.</summary>
    private static async ValueTask<ReplicaCallOutcome> RunWithDeadlineAsync<TCall>(ReplicaRouter router, TCall call, TimeSpan timeout, TimeProvider time, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, deadline.Token);
        var token = linked.Token;
        call.SetCancellationToken(token);

        ReplicaCallOutcome outcome;
        try
        {
            await call.PrepareAsync().ConfigureAwait(false);
            using var lease = await router.AcquireAsync(call.RequestContext.MultiplexedModelId, token).ConfigureAwait(false);
            lease.Replica.Enter(call.RequestContext);
            var answered = await RaceAsync(call, lease.Replica, timeout, deadline.Token).ConfigureAwait(false);
            outcome = new(answered switch
            {
                RaceAnswer.Deadline => ReplicaCallResult.DeadlineAnswered,
                RaceAnswer.Abandoned => ReplicaCallResult.UnavailableAnswered,
                _ => ReplicaCallResult.Completed,
            }, null, false);
        }
        catch (Exception ex)
        {
            outcome = new(Classify(ex, deadline, requestAborted.IsCancellationRequested || call.ClientGone), ex, false);
        }
        finally
        {
            // The method has returned (a deadline answer waits for it too): its request buffers can serve another call.
            call.Release();
        }

        // The method returned and its replica slot is free: what a lagging client has not read yet is sent now, within
        // the deadline.
        if (outcome.Result is not (ReplicaCallResult.DeadlineAnswered or ReplicaCallResult.UnavailableAnswered) && call.StreamedResponses
            && await DeadlineRace.PassesFirstAsync(call.DrainResponsesAsync(), deadline.Token).ConfigureAwait(false))
        {
            await call.AnswerDeadlineAsync(timeout).ConfigureAwait(false);
            outcome = new(ReplicaCallResult.DeadlineAnswered, null, false);
        }
        return outcome with { DeadlinePassed = deadline.IsCancellationRequested };
    }

    /// <summary>
    /// The method against its deadline and its replica being stopped under it (<see cref="DeadlineRace"/>): a wedged
    /// replica that is replaced answers UNAVAILABLE at once, as without a deadline, not at the deadline.
    /// </summary>
    /// <remarks>The lambdas live here, not in <see cref="RunWithDeadlineAsync"/>: there the compiler would allocate their
    /// closure on every call.</remarks>
    private static ValueTask<RaceAnswer> RaceAsync<TCall>(TCall call, Replicas.Replica replica, TimeSpan timeout, CancellationToken deadline)
        where TCall : class, IReplicaCall
        => new(DeadlineRace.RunAsync(() => call.InvokeAsync(replica.Instance).AsTask(), () => call.AnswerDeadlineAsync(timeout),
            () => call.AnswerUnavailableAsync(replica.AbandonedMessage), deadline, replica.Abandoned));

    /// <summary>
    /// What an exception means. A departed client comes first: once it left, a cancelled read or an aborted stream
    /// is its doing, not the deadline's or the method's.
    /// </summary>
    private static ReplicaCallResult Classify(Exception ex, CancellationTokenSource? deadline, bool clientGone) => ex switch
    {
        OperationCanceledException or IOException when clientGone => ReplicaCallResult.ClientGone,
        OperationCanceledException when deadline?.IsCancellationRequested == true => ReplicaCallResult.TimedOut,
        BackPressureException => ReplicaCallResult.BackPressure,
        DeploymentUnavailableException => ReplicaCallResult.Unavailable,
        _ => ReplicaCallResult.Failed,
    };
}
