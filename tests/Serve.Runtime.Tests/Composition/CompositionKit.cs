using Serve.Dispatch;

namespace Serve.Runtime.Tests.Composition;

/// <summary>
/// Deployments defined by hand, as the generator would define them, and the low-level handle calls a
/// generated handle method makes.
/// </summary>
internal static class CompositionKit
{
    public static DeploymentDefinition Define(string name, Func<object?[], object> factory, DeploymentOptions? options = null, int constructorParameters = 0)
        => new(name, "Tests.Composition." + name, options ?? new DeploymentOptions(), constructorParameters, (args, _) => factory(args), [], []);

    public static Application<T> Bind<T>(DeploymentDefinition definition, params object?[] arguments)
        where T : class
        => new(definition, arguments);

    /// <summary>A unary call without handle arguments: what <c>handle.Method(...)</c> expands to.</summary>
    public static DeploymentResponse<TResult> Invoke<T, TResult>(this DeploymentHandle<T> handle, string method, Func<T, CancellationToken, ValueTask<TResult>> invoke, CancellationToken cancellationToken = default)
        where T : class
        => handle.Call(method, call => call.InvokeAsync(invoke), cancellationToken);

    /// <summary>A streaming call: what <c>handle.StreamingMethod(...)</c> expands to.</summary>
    public static DeploymentResponseStream<TItem> InvokeStream<T, TItem>(this DeploymentHandle<T> handle, string method, Func<T, CancellationToken, IAsyncEnumerable<TItem>> invoke, CancellationToken cancellationToken = default)
        where T : class
        => handle.Stream(method, call => new ValueTask<IAsyncEnumerable<TItem>>(call.InvokeStream(invoke)), cancellationToken);

    /// <summary>Waits for a condition that another thread makes true soon; fails after 10 s.</summary>
    public static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 10 s.");
            await Task.Delay(1);
        }
    }

    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TaskCompletionSource<T> NewSignal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A deployment the handle tests drive: its methods wait on gates the test opens.</summary>
internal sealed class Probe : IDisposable
{
    private int _calls;

    /// <summary>Method bodies entered so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public bool Disposed { get; private set; }

    /// <summary>Enters, then waits for <paramref name="release"/> whatever its token says.</summary>
    public async ValueTask<string> HoldAsync(TaskCompletionSource entered, Task release, CancellationToken cancellationToken, TaskCompletionSource? tokenCancelled = null)
    {
        Interlocked.Increment(ref _calls);
        using var registration = tokenCancelled is null ? default : cancellationToken.Register(() => tokenCancelled.TrySetResult());
        entered.TrySetResult();
        await release.ConfigureAwait(false);
        return "released";
    }

    /// <summary>Enters, then waits until its token is cancelled.</summary>
    public async ValueTask<string> WaitForCancellationAsync(TaskCompletionSource entered, TaskCompletionSource sawCancellation, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        entered.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return "not cancelled";
        }
        catch (OperationCanceledException)
        {
            sawCancellation.TrySetResult();
            throw;
        }
    }

    public ValueTask<ServeRequestContext?> Context()
    {
        Interlocked.Increment(ref _calls);
        return ValueTask.FromResult(ServeRequestContext.Current);
    }

    public void Dispose() => Disposed = true;
}
