using Serve.Replicas;
using Serve.Routing;

namespace Serve.Runtime.Tests.Routing;

public sealed class ReplicaRouterTests
{
    private static Replica NewReplica(string id, int maxOngoing) => new(id, "d", new object(), maxOngoing);

    [Fact]
    public async Task No_replica_is_reported_as_such()
    {
        var router = new ReplicaRouter("d", -1);
        var ex = await Assert.ThrowsAsync<DeploymentUnavailableException>(async () => await router.AcquireAsync(CancellationToken.None));
        Assert.Contains("'d' has no running replica", ex.Message);
    }

    [Fact]
    public async Task Slots_never_exceed_max_ongoing_requests()
    {
        var replicas = new[] { NewReplica("a", 2), NewReplica("b", 2) };
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas(replicas);

        var leases = new List<ReplicaLease>();
        for (var i = 0; i < 4; i++)
        {
            leases.Add(await router.AcquireAsync(CancellationToken.None));
        }
        Assert.All(replicas, r => Assert.Equal(2, r.Ongoing));

        var fifth = router.AcquireAsync(CancellationToken.None);
        Assert.False(fifth.IsCompleted);
        Assert.Equal(1, router.Queued);

        leases[0].Dispose();
        var lease = await fifth;
        // The freed slot passed straight to the waiter: the count on that replica stays at the limit.
        Assert.Same(leases[0].Replica, lease.Replica);
        Assert.Equal(2, lease.Replica.Ongoing);
        Assert.Equal(0, router.Queued);

        lease.Dispose();
        foreach (var l in leases.Skip(1))
        {
            l.Dispose();
        }
        Assert.All(replicas, r => Assert.Equal(0, r.Ongoing));
    }

    [Fact]
    public async Task Waiters_are_served_in_arrival_order()
    {
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas([NewReplica("a", 1)]);
        var first = await router.AcquireAsync(CancellationToken.None);
        var second = router.AcquireAsync(CancellationToken.None).AsTask();
        var third = router.AcquireAsync(CancellationToken.None).AsTask();

        first.Dispose();
        var secondLease = await second;
        Assert.False(third.IsCompleted);
        secondLease.Dispose();
        (await third).Dispose();
        Assert.Equal(0, router.Replicas[0].Ongoing);
    }

    [Fact]
    public async Task A_full_queue_raises_backpressure()
    {
        var router = new ReplicaRouter("d", maxQueuedRequests: 1);
        router.SetReplicas([NewReplica("a", 1)]);
        using var running = await router.AcquireAsync(CancellationToken.None);
        var queued = router.AcquireAsync(CancellationToken.None);

        var ex = await Assert.ThrowsAsync<BackPressureException>(async () => await router.AcquireAsync(CancellationToken.None));
        Assert.Equal("Request dropped due to backpressure (num_queued_requests=1, max_queued_requests=1) on deployment 'd'.", ex.Message);
        Assert.False(queued.IsCompleted);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_does_not_take_a_slot()
    {
        var router = new ReplicaRouter("d", maxQueuedRequests: 1);
        var replica = NewReplica("a", 1);
        router.SetReplicas([replica]);
        var running = await router.AcquireAsync(CancellationToken.None);

        using var cts = new CancellationTokenSource();
        var waiting = router.AcquireAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, router.Queued);

        running.Dispose();
        Assert.Equal(0, replica.Ongoing);
        // The queue has room again.
        (await router.AcquireAsync(CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task New_replicas_serve_queued_requests()
    {
        var router = new ReplicaRouter("d", -1);
        var a = NewReplica("a", 1);
        router.SetReplicas([a]);
        using var running = await router.AcquireAsync(CancellationToken.None);
        var waiting = router.AcquireAsync(CancellationToken.None).AsTask();

        var b = NewReplica("b", 1);
        router.SetReplicas([a, b]);
        var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Same(b, lease.Replica);
        lease.Dispose();
    }

    [Fact]
    public async Task Concurrent_requests_never_exceed_max_ongoing_and_release_every_slot()
    {
        var replicas = Enumerable.Range(0, 4).Select(i => NewReplica($"r{i}", 5)).ToArray();
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas(replicas);
        var served = 0;
        var peak = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
        {
            using var lease = await router.AcquireAsync(ct);
            InterlockedMax(ref peak, lease.Replica.Ongoing);
            Interlocked.Increment(ref served);
            await Task.Yield();
        });

        Assert.Equal(2000, served);
        Assert.True(peak <= 5, $"peak ongoing {peak} exceeded max_ongoing_requests");
        Assert.All(replicas, r => Assert.Equal(0, r.Ongoing));
    }

    [Fact]
    public async Task When_both_sampled_replicas_are_full_the_request_goes_to_any_replica_with_room_alike()
    {
        // r1 and r2 take nothing, so one sample in six finds both full. Those requests must spread over r0 and
        // r3 evenly; a scan in list order, or onward from a sampled replica, sends them all to one side.
        var replicas = Enumerable.Range(0, 4).Select(i => NewReplica($"r{i}", 1000)).ToArray();
        replicas[1].MaxOngoingRequests = 0;
        replicas[2].MaxOngoingRequests = 0;
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas(replicas);
        var served = new int[replicas.Length];

        for (var i = 0; i < 4000; i++)
        {
            using var lease = await router.AcquireAsync(CancellationToken.None);
            served[Array.IndexOf(replicas, lease.Replica)]++;
        }

        // Even: 2000 each (σ ≈ 32). Either one-sided fallback: about 2333 and 1667.
        Assert.True(served[0] > 1800 && served[3] > 1800, $"unbalanced: {string.Join(",", served)}");
        Assert.Equal(0, served[1] + served[2]);
    }

    [Fact]
    public async Task Load_spreads_over_replicas_while_some_are_busy()
    {
        // Requests in flight are simulated on one thread (hold up to 10 of the 20 slots, release a random one), so the
        // spread measures the router's choices, not how the thread pool happened to schedule the requests.
        var replicas = Enumerable.Range(0, 4).Select(i => NewReplica($"r{i}", 5)).ToArray();
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas(replicas);
        var served = new int[replicas.Length];
        var held = new List<ReplicaLease>();
        var random = new Random(7);

        for (var i = 0; i < 4000; i++)
        {
            if (held.Count == 10)
            {
                var release = random.Next(held.Count);
                held[release].Dispose();
                held.RemoveAt(release);
            }
            var lease = await router.AcquireAsync(CancellationToken.None);
            served[Array.IndexOf(replicas, lease.Replica)]++;
            held.Add(lease);
        }
        held.ForEach(l => l.Dispose());

        // A fair share is 1000; the bound leaves room for chance, not for a replica the router neglects.
        Assert.All(served, count => Assert.True(count > 700, $"unbalanced: {string.Join(",", served)}"));
        Assert.All(replicas, r => Assert.Equal(0, r.Ongoing));
    }

    [Fact]
    public async Task A_stopping_replica_takes_no_new_slot_and_is_disposed_after_its_running_request()
    {
        var instance = new DisposeProbe();
        var replica = new Replica("a", "d", instance, 2);
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas([replica]);
        var lease = await router.AcquireAsync(CancellationToken.None);

        var stopping = replica.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();

        Assert.True(replica.IsStopping);
        Assert.False(replica.TryAcquire());
        Assert.Equal(1, replica.Ongoing);
        Assert.False(instance.Disposed);
        lease.Dispose();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(instance.Disposed);
        Assert.Equal(ReplicaState.Stopped, replica.State);
    }

    [Fact]
    public async Task A_slot_freed_on_a_draining_replica_is_not_passed_to_a_waiter()
    {
        var (a, b) = (NewReplica("a", 1), NewReplica("b", 1));
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas([a, b]);
        var first = await router.AcquireAsync(CancellationToken.None);
        var second = await router.AcquireAsync(CancellationToken.None);
        var onA = first.Replica == a ? first : second;
        var onB = first.Replica == a ? second : first;
        var waiter = router.AcquireAsync(CancellationToken.None).AsTask();

        // What a scale-down does: out of the router, then stopping.
        router.SetReplicas([b]);
        var stopping = a.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        onA.Dispose();

        Assert.False(waiter.IsCompleted);
        Assert.Equal(1, router.Queued);
        onB.Dispose();
        var lease = await waiter.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Same(b, lease.Replica);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        lease.Dispose();
        Assert.Equal((0, 0), (a.Ongoing, b.Ongoing));
    }

    [Fact]
    public async Task A_lowered_max_queued_requests_refuses_new_waiters_and_keeps_those_waiting()
    {
        var router = new ReplicaRouter("d", -1);
        router.SetReplicas([NewReplica("a", 1)]);
        var running = await router.AcquireAsync(CancellationToken.None);
        var waiting = new[] { router.AcquireAsync(CancellationToken.None).AsTask(), router.AcquireAsync(CancellationToken.None).AsTask() };

        router.MaxQueuedRequests = 1;

        var ex = await Assert.ThrowsAsync<BackPressureException>(async () => await router.AcquireAsync(CancellationToken.None));
        Assert.Contains("max_queued_requests=1", ex.Message);
        running.Dispose();
        (await waiting[0].WaitAsync(TimeSpan.FromSeconds(30))).Dispose();
        (await waiting[1].WaitAsync(TimeSpan.FromSeconds(30))).Dispose();
    }

    private sealed class DisposeProbe : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}
