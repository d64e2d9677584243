namespace Serve.Routing;

/// <summary>How a proxied call ended, for the proxy to turn into a gRPC status or an HTTP code.</summary>
internal enum ReplicaCallResult
{
    /// <summary>The method returned; what it wrote is the answer.</summary>
    Completed,

    /// <summary>The deadline passed while the method ran or a lagging client was read to: the call's <see cref="IReplicaCall.AnswerDeadlineAsync"/> answered it.</summary>
    DeadlineAnswered,

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
    public static async ValueTask<ReplicaCallOutcome> RunAsync<TCall>(ReplicaRouter router, TCall call, TimeSpan? timeout, TimeProvider time, CancellationToken requestAborted)
        where TCall : class, IReplicaCall
    {
        using var deadline = timeout is { } t ? new CancellationTokenSource(t, time) : null;
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(requestAborted, deadline.Token);
        var token = linked?.Token ?? requestAborted;
        call.SetCancellationToken(token);

        ReplicaCallOutcome outcome;
        try
        {
            await call.PrepareAsync().ConfigureAwait(false);
            using var lease = await router.AcquireAsync(call.RequestContext.MultiplexedModelId, token).ConfigureAwait(false);
            ServeRequestContext.SetCurrent(call.RequestContext);
            var answered = deadline is not null
                ? await RaceAsync(call, lease.Replica.Instance, timeout!.Value, deadline.Token).ConfigureAwait(false)
                : await InvokeAsync(call, lease.Replica.Instance).ConfigureAwait(false);
            outcome = new(answered ? ReplicaCallResult.DeadlineAnswered : ReplicaCallResult.Completed, null, false);
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
        if (outcome.Result != ReplicaCallResult.DeadlineAnswered && call.StreamedResponses
            && await DeadlineRace.PassesFirstAsync(call.DrainResponsesAsync(), deadline?.Token).ConfigureAwait(false))
        {
            await call.AnswerDeadlineAsync(timeout!.Value).ConfigureAwait(false);
            outcome = new(ReplicaCallResult.DeadlineAnswered, null, false);
        }
        return outcome with { DeadlinePassed = deadline?.IsCancellationRequested == true };
    }

    private static async ValueTask<bool> InvokeAsync<TCall>(TCall call, object instance)
        where TCall : class, IReplicaCall
    {
        await call.InvokeAsync(instance).ConfigureAwait(false);
        return false;
    }

    /// <summary>The method against its deadline (<see cref="DeadlineRace"/>); true when the deadline was answered.</summary>
    /// <remarks>The lambdas live here, not in <see cref="RunAsync"/>: there the compiler would allocate their closure on
    /// every call. Calls without a deadline (the default config) take <see cref="InvokeAsync"/>, which allocates nothing
    /// when the method completes synchronously.</remarks>
    private static ValueTask<bool> RaceAsync<TCall>(TCall call, object instance, TimeSpan timeout, CancellationToken deadline)
        where TCall : class, IReplicaCall
        => new(DeadlineRace.RunAsync(() => call.InvokeAsync(instance).AsTask(), () => call.AnswerDeadlineAsync(timeout), deadline));

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
