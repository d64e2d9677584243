namespace Serve.Routing;

/// <summary>
/// Runs a deployment method against the request's deadline, for both proxies (through <see cref="ReplicaCallRunner"/>): the method runs off the calling
/// thread, so that one blocking synchronously cannot hold back the answer, and the client gets its deadline answer
/// at the deadline even when the method ignores its token. The method keeps its replica slot until it returns.
/// </summary>
internal static class DeadlineRace
{
    /// <summary>
    /// Starts <paramref name="invoke"/>; if <paramref name="deadline"/> fires first, awaits <paramref name="answerDeadline"/>,
    /// and if <paramref name="abandoned"/> does (the replica was stopped while the method ran), awaits
    /// <paramref name="answerAbandoned"/>. Either way, waits for the method to end. Returns which answer was given, if
    /// any; the method's late outcome (result or exception) is then dropped, as the client already has its answer.
    /// </summary>
    /// <remarks>Callers build the delegates in a small method of their own: a lambda in a long async method
    /// makes the compiler allocate its closure on every call, deadline or not.</remarks>
    public static async Task<RaceAnswer> RunAsync(Func<Task> invoke, Func<Task> answerDeadline, Func<Task>? answerAbandoned,
        CancellationToken deadline, CancellationToken abandoned = default)
    {
        var running = Task.Run(invoke, CancellationToken.None);
        var answered = RaceAnswer.None;
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(deadline, abandoned))
        {
            if (await Task.WhenAny(running, Task.Delay(Timeout.InfiniteTimeSpan, either.Token)).ConfigureAwait(false) != running)
            {
                if (deadline.IsCancellationRequested || answerAbandoned is null)
                {
                    answered = RaceAnswer.Deadline;
                    await answerDeadline().ConfigureAwait(false);
                }
                else
                {
                    answered = RaceAnswer.Abandoned;
                    await answerAbandoned().ConfigureAwait(false);
                }
            }
        }
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception) when (answered != RaceAnswer.None)
        {
            // Nowhere to go: the client already has its answer.
        }
        return answered;
    }

    /// <summary>
    /// Waits for <paramref name="work"/> (sending what a lagging client has not read yet, once the method returned) or
    /// the <paramref name="deadline"/>, whichever comes first; true when the deadline did. Without a deadline it waits
    /// for the work.
    /// </summary>
    public static async Task<bool> PassesFirstAsync(Task work, CancellationToken? deadline)
    {
        if (work.IsCompleted || deadline is not { } token)
        {
            await work.ConfigureAwait(false);
            return false;
        }
        if (await Task.WhenAny(work, Task.Delay(Timeout.InfiniteTimeSpan, token)).ConfigureAwait(false) == work)
        {
            await work.ConfigureAwait(false);
            return false;
        }
        return true;
    }
}

/// <summary>What <see cref="DeadlineRace.RunAsync"/> answered before the method returned.</summary>
internal enum RaceAnswer
{
    /// <summary>Nothing: the method returned first.</summary>
    None,

    /// <summary>The deadline passed: DEADLINE_EXCEEDED (408).</summary>
    Deadline,

    /// <summary>The replica was stopped under the method: UNAVAILABLE (503).</summary>
    Abandoned,
}
