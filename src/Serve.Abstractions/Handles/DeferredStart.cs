using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Serve.Dispatch;

/// <summary>
/// The hand-off of a handle call from its caller to the thread that runs the deployment method. The method must not
/// run inline in a caller that has not awaited the call yet (<c>var a = m1.Forward(x); var b = m2.Forward(x);</c> run
/// side by side), so it is queued to the thread pool; but a caller that awaits the response before a pool thread
/// took it runs the method itself: it was going to wait anyway, and the call then completes without a thread hop,
/// which was most of a handle call's cost. Whoever comes first runs it, once.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct DeferredStart : ICriticalNotifyCompletion
{
    [ThreadStatic]
    private static Handoff? t_lastDeferred;

    /// <summary>Awaiting it continues on the thread pool, or on the thread that awaits the call's response first.</summary>
    public DeferredStart GetAwaiter() => this;

    /// <summary>Always false: the continuation is handed off.</summary>
    public bool IsCompleted => false;

    /// <summary>Nothing to return.</summary>
    public void GetResult()
    {
    }

    /// <inheritdoc />
    public void OnCompleted(Action continuation) => Defer(continuation);

    /// <inheritdoc />
    /// <remarks>The async method's builder restores its execution context itself, whichever thread runs it.</remarks>
    public void UnsafeOnCompleted(Action continuation) => Defer(continuation);

    private static void Defer(Action continuation)
    {
        var handoff = new Handoff(continuation);
        // Picked up by the DeploymentResponse being started on this thread (see TakeLastDeferred).
        t_lastDeferred = handoff;
        // FIFO: calls a caller leaves unawaited start in the order it made them.
        ThreadPool.UnsafeQueueUserWorkItem(handoff, preferLocal: true);
    }

    /// <summary>Clears this thread's last hand-off before a call starts.</summary>
    internal static void ResetLastDeferred() => t_lastDeferred = null;

    /// <summary>The hand-off the call just started on this thread made, if it made one; clears it.</summary>
    internal static Handoff? TakeLastDeferred()
    {
        var handoff = t_lastDeferred;
        t_lastDeferred = null;
        return handoff;
    }

    /// <summary>One deferred continuation: run by the pool or by the awaiting caller, whichever comes first.</summary>
    internal sealed class Handoff(Action continuation) : IThreadPoolWorkItem
    {
        private Action? _continuation = continuation;

        /// <summary>Runs the continuation unless it already ran; true when this call ran it.</summary>
        public bool TryRun()
        {
            var continuation = Interlocked.Exchange(ref _continuation, null);
            if (continuation is null)
            {
                return false;
            }
            continuation();
            return true;
        }

        void IThreadPoolWorkItem.Execute() => TryRun();
    }
}
