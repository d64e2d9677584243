namespace Serve.Routing;

/// <summary>
/// Runs a deployment method against the request's deadline, for both proxies (through <see cref="ReplicaCallRunner"/>): the method runs off the calling
/// thread, so that one blocking synchronously cannot hold back the answer, and the client gets its deadline answer
/// at the deadline even when the method ignores its token. The method keeps its replica slot until it returns.
/// </summary>
internal static class DeadlineRace
{
    /// <summary>
    /// Starts <paramref name="invoke"/>; if <paramref name="deadline"/> fires first, awaits <paramref name="answerDeadline"/>.
    /// Either way, waits for the method to end. Returns true when the deadline was answered; the method's late
    /// outcome (result or exception) is then dropped, as the client already has its answer.
    /// </summary>
    /// <remarks>Callers build the two delegates in a small method of their own: a lambda in a long async method
    /// makes the compiler allocate its closure on every call, deadline or not.</remarks>
    public static async Task<bool> RunAsync(Func<Task> invoke, Func<Task> answerDeadline, CancellationToken deadline)
    {
        var running = Task.Run(invoke, CancellationToken.None);
        var answered = false;
        if (await Task.WhenAny(running, Task.Delay(Timeout.InfiniteTimeSpan, deadline)).ConfigureAwait(false) != running)
        {
            answered = true;
            await answerDeadline().ConfigureAwait(false);
        }
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception) when (answered)
        {
            // Nowhere to go: the client already has its deadline answer.
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
