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
