using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serve.Replicas;

namespace Serve.Runtime.Tests.Replicas;

/// <summary>
/// A stopping replica waits for its running requests up to the drain timeout, on the host's clock, and ends as soon
/// as the last one returns; its DI scope ends with it, even when the deployment's Dispose throws.
/// </summary>
public sealed class ReplicaDrainTests
{
    // Far longer than any real wait below: a drain that ran on the wall clock instead would fail these tests.
    private static readonly TimeSpan s_drain = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(10);

    private sealed class Disposable : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private sealed class ThrowingDispose : IDisposable
    {
        public void Dispose() => throw new InvalidOperationException("the deployment's dispose bug");
    }

    private sealed class Scoped : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task The_drain_timeout_runs_on_the_hosts_TimeProvider()
    {
        var time = new FakeTimeProvider();
        var instance = new Disposable();
        var replica = new Replica("r", "d", instance, 1, time: time);
        Assert.True(replica.TryAcquire());

        var stop = replica.StopAsync(s_drain, CancellationToken.None).AsTask();
        // A request still runs: the fake clock short of the timeout does not end the drain.
        time.Advance(s_drain - TimeSpan.FromSeconds(1));
        await Task.Delay(50);
        Assert.False(stop.IsCompleted);
        Assert.False(instance.Disposed);

        time.Advance(TimeSpan.FromSeconds(1));
        await stop.WaitAsync(s_guard);
        Assert.True(instance.Disposed);
        Assert.Equal(ReplicaState.Stopped, replica.State);
    }

    /// <summary>
    /// graceful_shutdown_wait_loop_s: every loop period the stopping replica says how many requests it still waits for;
    /// at graceful_shutdown_timeout_s it stops anyway, saying so, and the requests' callers are released (Abandoned).
    /// </summary>
    [Fact]
    public async Task A_drain_reports_every_wait_loop_and_abandons_what_is_left_at_the_timeout()
    {
        var time = new FakeTimeProvider();
        var log = new LogCapture();
        var instance = new Disposable();
        var replica = new Replica("app#d#1", "d", instance, 1, time: time, logger: log.CreateLogger("Serve.Replicas"));
        Assert.True(replica.TryAcquire());

        var stop = replica.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None, waitLoop: TimeSpan.FromSeconds(2)).AsTask();
        for (var reports = 1; reports <= 2; reports++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            await WaitUntilAsync(() => log.Messages.Count == reports);
            Assert.Equal("Replica 'app#d#1': waiting for an additional 2s to shut down because there are 1 ongoing requests.", log.Messages[^1]);
        }
        Assert.False(replica.Abandoned.IsCancellationRequested);

        // The last second of the timeout: no third report, the replica stops with its request still running.
        time.Advance(TimeSpan.FromSeconds(1));
        await stop.WaitAsync(s_guard);
        Assert.Equal(3, log.Messages.Count);
        Assert.StartsWith("Replica 'app#d#1' did not shut down after its grace period", log.Messages[^1]);
        Assert.True(replica.Abandoned.IsCancellationRequested);
        Assert.True(instance.Disposed);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + s_guard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition was not met in time");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task A_drain_ends_when_the_last_request_returns_its_slot_without_the_clock_moving()
    {
        var time = new FakeTimeProvider();
        var instance = new Disposable();
        var replica = new Replica("r", "d", instance, 2, time: time);
        Assert.True(replica.TryAcquire());
        Assert.True(replica.TryAcquire());

        var stop = replica.StopAsync(s_drain, CancellationToken.None).AsTask();
        replica.Release();
        await Task.Delay(50);
        Assert.False(stop.IsCompleted);
        replica.Release();
        await stop.WaitAsync(s_guard);
        Assert.True(instance.Disposed);
    }

    [Fact]
    public async Task Cancelling_the_stop_ends_the_drain_at_once()
    {
        var time = new FakeTimeProvider();
        var replica = new Replica("r", "d", new Disposable(), 1, time: time);
        Assert.True(replica.TryAcquire());
        using var cancel = new CancellationTokenSource();

        var stop = replica.StopAsync(s_drain, cancel.Token).AsTask();
        cancel.Cancel();
        await stop.WaitAsync(s_guard);
        Assert.Equal(ReplicaState.Stopped, replica.State);
    }

    [Fact]
    public async Task The_scope_ends_even_when_the_deployments_Dispose_throws()
    {
        await using var provider = new ServiceCollection().AddScoped<Scoped>().BuildServiceProvider();
        var scope = provider.CreateAsyncScope();
        var scoped = scope.ServiceProvider.GetRequiredService<Scoped>();
        var replica = new Replica("r", "d", new ThrowingDispose(), 1, serviceScope: scope);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await replica.StopAsync(TimeSpan.Zero, CancellationToken.None));

        Assert.Equal("the deployment's dispose bug", ex.Message);
        Assert.True(scoped.Disposed);
        Assert.Equal(ReplicaState.Stopped, replica.State);
    }
}
