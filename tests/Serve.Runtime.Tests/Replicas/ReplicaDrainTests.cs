using Microsoft.Extensions.Time.Testing;
using Serve.Replicas;

namespace Serve.Runtime.Tests.Replicas;

/// <summary>A stopping replica waits for its running requests up to the drain timeout, on the host's clock.</summary>
public sealed class ReplicaDrainTests
{
    private sealed class Disposable : IDisposable
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

        var stop = replica.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        // A request still runs: real time passing does not end the drain, nor does the fake clock short of the timeout.
        for (var i = 0; i < 29; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
        Assert.False(stop.IsCompleted);
        Assert.False(instance.Disposed);

        time.Advance(TimeSpan.FromSeconds(1));
        await stop.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(instance.Disposed);
        Assert.Equal(ReplicaState.Stopped, replica.State);
    }

    [Fact]
    public async Task A_drain_ends_as_soon_as_the_last_request_returns_its_slot()
    {
        var time = new FakeTimeProvider();
        var instance = new Disposable();
        var replica = new Replica("r", "d", instance, 1, time: time);
        Assert.True(replica.TryAcquire());

        var stop = replica.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        Assert.False(stop.IsCompleted);
        replica.Release();
        // The drain polls every 20 ms of the host's clock.
        time.Advance(TimeSpan.FromMilliseconds(20));
        await stop.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(instance.Disposed);
    }
}
