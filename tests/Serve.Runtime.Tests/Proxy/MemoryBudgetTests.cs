using Serve.Proxy;

namespace Serve.Runtime.Tests.Proxy;

public sealed class MemoryBudgetTests
{
    [Fact]
    public async Task Bodies_wait_in_arrival_order_and_get_room_as_others_give_it_back()
    {
        var budget = new MemoryBudget(100);
        await budget.AcquireAsync(60, CancellationToken.None);

        var first = budget.AcquireAsync(50, CancellationToken.None).AsTask();
        var second = budget.AcquireAsync(10, CancellationToken.None).AsTask();

        // The second would fit, but does not overtake the first; nor does a body that does not wait.
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        Assert.False(budget.TryAcquire(10));

        budget.Release(60);
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(40, budget.Available);
    }

    [Fact]
    public async Task A_cancelled_waiter_takes_nothing_and_lets_the_next_one_in()
    {
        var budget = new MemoryBudget(100);
        await budget.AcquireAsync(60, CancellationToken.None);
        using var leave = new CancellationTokenSource();
        var blocked = budget.AcquireAsync(80, leave.Token).AsTask();
        var small = budget.AcquireAsync(30, CancellationToken.None).AsTask();
        Assert.False(small.IsCompleted);

        await leave.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        await small.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(10, budget.Available);
        budget.Release(60);
        budget.Release(30);
        Assert.Equal(100, budget.Available);
    }

    [Fact]
    public void Try_acquire_takes_what_is_free_without_waiting()
    {
        var budget = new MemoryBudget(100);

        Assert.True(budget.TryAcquire(70));
        Assert.False(budget.TryAcquire(40));
        Assert.True(budget.TryAcquire(30));
        Assert.Equal(0, budget.Available);
    }

    [Fact]
    public async Task Many_bodies_at_once_never_hold_more_than_the_limit()
    {
        var budget = new MemoryBudget(1000);
        var held = 0L;
        var most = 0L;
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            var bytes = 1 + (i * 37 % 400);
            using var timeout = new CancellationTokenSource(i % 7 == 0 ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromSeconds(30));
            try
            {
                await budget.AcquireAsync(bytes, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var now = Interlocked.Add(ref held, bytes);
            InterlockedMax(ref most, now);
            await Task.Yield();
            Interlocked.Add(ref held, -bytes);
            budget.Release(bytes);
        })));

        Assert.InRange(most, 1, 1000);
        Assert.Equal(1000, budget.Available);
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}
