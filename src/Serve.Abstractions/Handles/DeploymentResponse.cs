using System.Runtime.CompilerServices;

namespace Serve;

/// <summary>
/// The pending result of a handle call (Ray Serve's <c>DeploymentResponse</c>). The call starts when
/// the handle method returns; await the response for its outcome, pass it unawaited into another
/// handle call, or <see cref="Cancel"/> it.
/// </summary>
/// <remarks>
/// The call takes its replica slot as the handle method returns, in the order calls are made, and its deployment
/// method is queued to the thread pool, so that the caller's next calls never wait for it. A caller awaiting the
/// response before a pool thread took the method runs it itself (<see cref="Dispatch.DeferredStart"/>), unless a
/// <see cref="SynchronizationContext"/> or a non-default <see cref="TaskScheduler"/> is current.
/// </remarks>
public class DeploymentResponse
{
    private readonly CallCancellation _cancellation;
    private Dispatch.DeferredStart.Handoff? _deferred;

    private protected DeploymentResponse(CallCancellation cancellation) => _cancellation = cancellation;

    private protected Task TaskCore { get; private set; } = Task.CompletedTask;

    /// <summary>True once the call finished (successfully, failed or cancelled).</summary>
    public bool IsCompleted => TaskCore.IsCompleted;

    /// <summary>
    /// Cancels the call: a call still waiting for an argument or a replica is dropped; a running one
    /// sees its cancellation token cancelled. Awaiting the response then throws
    /// <see cref="OperationCanceledException"/> (unless the call finished first).
    /// </summary>
    public void Cancel() => _cancellation.CancelByCaller();

    /// <summary>The call as a task.</summary>
    public Task AsTask() => TaskCore;

    /// <summary>Awaits the call.</summary>
    public TaskAwaiter GetAwaiter() => AwaitedTask.GetAwaiter();

    /// <summary>Awaits the call, optionally without the captured context.</summary>
    public ConfiguredTaskAwaitable ConfigureAwait(bool continueOnCapturedContext) => AwaitedTask.ConfigureAwait(continueOnCapturedContext);

    /// <summary>The call's task, for a caller about to await it: a method no pool thread took yet runs here first.</summary>
    private protected Task AwaitedTask
    {
        get
        {
            if (_deferred is { } deferred && SynchronizationContext.Current is null && TaskScheduler.Current == TaskScheduler.Default)
            {
                _deferred = null;
                deferred.TryRun();
            }
            return TaskCore;
        }
    }

    /// <summary>Keeps <paramref name="task"/>, just started on this thread, and the hand-off of its deployment method if it made one.</summary>
    /// <remarks>Callers clear the thread's last hand-off (<see cref="Dispatch.DeferredStart.ResetLastDeferred"/>) before they start the task.</remarks>
    private protected void Started(Task task)
    {
        TaskCore = task;
        _deferred = Dispatch.DeferredStart.TakeLastDeferred();
    }

    /// <summary>Starts a call that returns no value; called by <see cref="DeploymentHandle{TDeployment}"/>.</summary>
    internal static DeploymentResponse Start(Func<CancellationToken, Task> body, TimeSpan? timeout, Dispatch.HandleTarget target, string method, CancellationToken cancellationToken)
    {
        var cancellation = CallCancellation.Create(timeout, target.TimeProvider, cancellationToken);
        var response = new DeploymentResponse(cancellation);
        Dispatch.DeferredStart.ResetLastDeferred();
        response.Started(RunAsync(body, cancellation, target.DeploymentName, method));
        return response;
    }

    private static async Task RunAsync(Func<CancellationToken, Task> body, CallCancellation cancellation, string deployment, string method)
    {
        Task? running = null;
        try
        {
            running = body(cancellation.Token);
            // The caller stops waiting at cancellation or timeout (WaitAsync returns the task itself once it is done);
            // the replica keeps its slot until the method returns.
            await running.WaitAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            if (Stopped(running, cancellation, deployment, method) is { } timeout)
            {
                throw timeout;
            }
            throw;
        }
        finally
        {
            cancellation.Release();
        }
    }

    /// <summary>
    /// The caller stopped waiting: a method still running may fail later with no one to report to, so its failure is
    /// observed. Returns the error a timeout surfaces as, or null to rethrow the cancellation.
    /// </summary>
    private protected static TimeoutException? Stopped(Task? running, CallCancellation cancellation, string deployment, string method)
    {
        if (running is { IsCompleted: false })
        {
            _ = running.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        // Built only now: a description per call would cost every call an allocation.
        return cancellation.TimedOut ? cancellation.TimeoutError(deployment + "." + method) : null;
    }

    /// <summary>
    /// A call's cancellation: the caller's token, <see cref="Cancel"/>, or the call's timeout. Tells the
    /// timeout apart so that it surfaces as a <see cref="TimeoutException"/>.
    /// </summary>
    private protected sealed class CallCancellation : CancellationTokenSource
    {
        private readonly TimeSpan? _timeout;
        private readonly CancellationTokenRegistration _callerRegistration;
        private volatile bool _byCaller;

        /// <summary>A call without a timeout: no timer (the base class would make one even for an infinite delay).</summary>
        private CallCancellation(CancellationToken callerToken)
        {
            _callerRegistration = Register(callerToken);
        }

        /// <summary>A call with a timeout on <paramref name="time"/>'s clock.</summary>
        private CallCancellation(TimeSpan timeout, TimeProvider time, CancellationToken callerToken)
            : base(timeout, time)
        {
            _timeout = timeout;
            _callerRegistration = Register(callerToken);
        }

        /// <param name="timeout">The call's timeout; null for none.</param>
        /// <param name="time">The clock the timeout runs on.</param>
        /// <param name="callerToken">The caller's token.</param>
        public static CallCancellation Create(TimeSpan? timeout, TimeProvider time, CancellationToken callerToken)
            // A timer holds at most int.MaxValue ms (about 24.8 days): a longer timeout is no practical limit.
            => timeout is { } t && t.TotalMilliseconds <= int.MaxValue ? new(t, time, callerToken) : new(callerToken);

        private CancellationTokenRegistration Register(CancellationToken callerToken)
            => callerToken.CanBeCanceled ? callerToken.UnsafeRegister(static state => ((CallCancellation)state!).CancelByCaller(), this) : default;

        /// <summary>True when the timeout, not the caller, cancelled the call.</summary>
        public bool TimedOut => _timeout is not null && IsCancellationRequested && !_byCaller;

        public void CancelByCaller()
        {
            _byCaller = true;
            try
            {
                Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The call already finished: nothing left to cancel.
            }
        }

        public TimeoutException TimeoutError(string description)
            => new($"The call to {description} timed out after {_timeout!.Value.TotalSeconds:0.###} s.");

        /// <summary>
        /// Ends the call's use of the caller's token. The source itself is disposed only when it was not
        /// cancelled: after a timeout or cancellation the replica may still be running the method with its
        /// token, which must stay usable; a cancelled source holds no timer any more.
        /// </summary>
        public void Release()
        {
            _callerRegistration.Dispose();
            if (!IsCancellationRequested)
            {
                Dispose();
            }
        }
    }
}

/// <summary>The pending result of a handle call that returns a <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The deployment method's result type.</typeparam>
public sealed class DeploymentResponse<T> : DeploymentResponse
{
    private DeploymentResponse(CallCancellation cancellation)
        : base(cancellation)
    {
    }

    /// <summary>The call as a task.</summary>
    public new Task<T> AsTask() => (Task<T>)TaskCore;

    /// <summary>Awaits the call's result.</summary>
    public new TaskAwaiter<T> GetAwaiter() => ((Task<T>)AwaitedTask).GetAwaiter();

    /// <summary>Awaits the call's result, optionally without the captured context.</summary>
    public new ConfiguredTaskAwaitable<T> ConfigureAwait(bool continueOnCapturedContext) => ((Task<T>)AwaitedTask).ConfigureAwait(continueOnCapturedContext);

    /// <summary>Starts a call; called by <see cref="DeploymentHandle{TDeployment}"/>.</summary>
    internal static DeploymentResponse<T> Start(Func<CancellationToken, Task<T>> body, TimeSpan? timeout, Dispatch.HandleTarget target, string method, CancellationToken cancellationToken)
    {
        var cancellation = CallCancellation.Create(timeout, target.TimeProvider, cancellationToken);
        var response = new DeploymentResponse<T>(cancellation);
        Dispatch.DeferredStart.ResetLastDeferred();
        response.Started(RunAsync(body, cancellation, target.DeploymentName, method));
        return response;
    }

    private static async Task<T> RunAsync(Func<CancellationToken, Task<T>> body, CallCancellation cancellation, string deployment, string method)
    {
        Task<T>? running = null;
        try
        {
            running = body(cancellation.Token);
            // The caller stops waiting at cancellation or timeout (WaitAsync returns the task itself once it is done);
            // the replica keeps its slot until the method returns.
            return await running.WaitAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            if (Stopped(running, cancellation, deployment, method) is { } timeout)
            {
                throw timeout;
            }
            throw;
        }
        finally
        {
            cancellation.Release();
        }
    }
}
