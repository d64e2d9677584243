using Microsoft.Extensions.Time.Testing;
using Serve.Replicas;
using Serve.Routing;

namespace Serve.Runtime.Tests.Routing;

/// <summary>
/// The one path from a proxy to a replica, with a scripted call and a fake clock: every outcome a proxy maps to a
/// status comes from here, so each is checked once, without a proxy or a real deadline.
/// </summary>
public sealed class ReplicaCallRunnerTests
{
    private static ReplicaRouter Router(int replicas = 1, int maxOngoing = 1, int maxQueued = -1)
    {
        var router = new ReplicaRouter("d", maxQueued);
        router.SetReplicas(Enumerable.Range(0, replicas).Select(i => new Replica("r" + i, "d", new object(), maxOngoing)).ToArray());
        return router;
    }

    /// <summary>A call whose method is a delegate; records what the runner asked of it.</summary>
    private sealed class ScriptedCall(Func<object, CancellationToken, Task> method) : IReplicaCall
    {
        public ServeRequestContext RequestContext { get; } = new("req-1", "app", "", "/svc/M");
        public CancellationToken Token { get; private set; }
        public int Prepared { get; private set; }
        public int Released { get; private set; }
        public List<TimeSpan> DeadlineAnswers { get; } = [];
        public ServeRequestContext? ContextSeen { get; private set; }
        public bool ClientGone { get; set; }
        public bool StreamedResponses { get; set; }
        public Task Drain { get; set; } = Task.CompletedTask;
        public Func<ValueTask>? Prepare { get; set; }

        public void SetCancellationToken(CancellationToken cancellationToken) => Token = cancellationToken;

        public ValueTask PrepareAsync()
        {
            Prepared++;
            return Prepare?.Invoke() ?? default;
        }

        public async ValueTask InvokeAsync(object instance)
        {
            ContextSeen = ServeRequestContext.Current;
            await method(instance, Token);
        }

        public Task AnswerDeadlineAsync(TimeSpan timeout)
        {
            DeadlineAnswers.Add(timeout);
            return Task.CompletedTask;
        }

        public List<string> UnavailableAnswers { get; } = [];

        public Task AnswerUnavailableAsync(string message)
        {
            UnavailableAnswers.Add(message);
            return Task.CompletedTask;
        }

        public void Release() => Released++;

        public Task DrainResponsesAsync() => Drain;
    }

    [Fact]
    public async Task A_method_that_returns_completes_in_its_context_and_gives_its_slot_back()
    {
        var router = Router();
        var call = new ScriptedCall((_, _) => Task.CompletedTask);

        var outcome = await ReplicaCallRunner.RunAsync(router, call, null, TimeProvider.System, CancellationToken.None);

        Assert.Equal(ReplicaCallResult.Completed, outcome.Result);
        Assert.Null(outcome.Exception);
        Assert.False(outcome.DeadlinePassed);
        Assert.Same(call.RequestContext, call.ContextSeen);
        Assert.Equal((1, 1), (call.Prepared, call.Released));
        Assert.All(router.Replicas, r => Assert.Equal(0, r.Ongoing));
    }

    [Fact]
    public async Task The_deadline_runs_on_the_given_clock_and_is_answered_while_the_method_ignores_it()
    {
        var clock = new FakeTimeProvider();
        var release = new TaskCompletionSource();
        var call = new ScriptedCall((_, _) => release.Task);
        var router = Router();

        var running = ReplicaCallRunner.RunAsync(router, call, TimeSpan.FromSeconds(2), clock, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1.9));
        await Task.Delay(50);
        Assert.Empty(call.DeadlineAnswers);

        clock.Advance(TimeSpan.FromSeconds(0.2));
        await WaitUntilAsync(() => call.DeadlineAnswers.Count == 1);
        // The method still holds its slot until it returns.
        Assert.False(running.IsCompleted);
        Assert.Equal(1, router.Replicas[0].Ongoing);

        release.SetResult();
        var outcome = await running;
        Assert.Equal(ReplicaCallResult.DeadlineAnswered, outcome.Result);
        Assert.True(outcome.DeadlinePassed);
        Assert.Equal([TimeSpan.FromSeconds(2)], call.DeadlineAnswers);
        Assert.Equal(0, router.Replicas[0].Ongoing);
        Assert.True(call.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task A_deadline_passing_in_the_queue_is_timed_out_and_the_method_never_runs()
    {
        var clock = new FakeTimeProvider();
        var router = Router();
        var busy = await router.AcquireAsync(CancellationToken.None);
        var ran = false;
        var call = new ScriptedCall((_, _) => { ran = true; return Task.CompletedTask; });

        var running = ReplicaCallRunner.RunAsync(router, call, TimeSpan.FromSeconds(1), clock, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1));
        var outcome = await running;

        Assert.Equal(ReplicaCallResult.TimedOut, outcome.Result);
        Assert.IsAssignableFrom<OperationCanceledException>(outcome.Exception);
        Assert.True(outcome.DeadlinePassed);
        Assert.False(ran);
        Assert.Empty(call.DeadlineAnswers);
        Assert.Equal(1, call.Released);
        busy.Dispose();
    }

    [Fact]
    public async Task A_full_queue_is_back_pressure_and_no_replica_is_unavailable()
    {
        var router = Router(maxQueued: 0);
        var busy = await router.AcquireAsync(CancellationToken.None);
        var full = await ReplicaCallRunner.RunAsync(router, new ScriptedCall((_, _) => Task.CompletedTask), null, TimeProvider.System, CancellationToken.None);
        Assert.Equal(ReplicaCallResult.BackPressure, full.Result);
        Assert.IsType<BackPressureException>(full.Exception);
        busy.Dispose();

        var empty = await ReplicaCallRunner.RunAsync(Router(replicas: 0), new ScriptedCall((_, _) => Task.CompletedTask), null, TimeProvider.System, CancellationToken.None);
        Assert.Equal(ReplicaCallResult.Unavailable, empty.Result);
        Assert.IsType<DeploymentUnavailableException>(empty.Exception);
    }

    [Fact]
    public async Task A_departed_client_wins_over_the_exception_it_caused()
    {
        using var aborted = new CancellationTokenSource();
        var call = new ScriptedCall((_, token) => { aborted.Cancel(); token.ThrowIfCancellationRequested(); return Task.CompletedTask; });

        var outcome = await ReplicaCallRunner.RunAsync(Router(), call, TimeSpan.FromMinutes(1), TimeProvider.System, aborted.Token);

        Assert.Equal(ReplicaCallResult.ClientGone, outcome.Result);
        Assert.False(outcome.DeadlinePassed);
    }

    [Fact]
    public async Task An_io_error_is_the_clients_departure_only_when_it_left()
    {
        var gone = new ScriptedCall((_, _) => throw new IOException("reset")) { ClientGone = true };
        Assert.Equal(ReplicaCallResult.ClientGone, (await ReplicaCallRunner.RunAsync(Router(), gone, null, TimeProvider.System, CancellationToken.None)).Result);

        var failed = new ScriptedCall((_, _) => throw new IOException("disk"));
        var outcome = await ReplicaCallRunner.RunAsync(Router(), failed, null, TimeProvider.System, CancellationToken.None);
        Assert.Equal(ReplicaCallResult.Failed, outcome.Result);
        Assert.Equal("disk", outcome.Exception!.Message);
    }

    [Fact]
    public async Task A_failing_read_is_failed_and_takes_no_replica()
    {
        var router = Router();
        var call = new ScriptedCall((_, _) => Task.CompletedTask) { Prepare = () => throw new InvalidDataException("bad frame") };

        var outcome = await ReplicaCallRunner.RunAsync(router, call, null, TimeProvider.System, CancellationToken.None);

        Assert.Equal(ReplicaCallResult.Failed, outcome.Result);
        Assert.IsType<InvalidDataException>(outcome.Exception);
        Assert.Null(call.ContextSeen);
        Assert.Equal(1, call.Released);
        Assert.Equal(0, router.Replicas[0].Ongoing);
    }

    [Fact]
    public async Task A_lagging_reader_gets_the_rest_within_the_deadline_after_the_slot_is_free()
    {
        var clock = new FakeTimeProvider();
        var drain = new TaskCompletionSource();
        var router = Router();
        var call = new ScriptedCall((_, _) => Task.CompletedTask) { StreamedResponses = true, Drain = drain.Task };

        var running = ReplicaCallRunner.RunAsync(router, call, TimeSpan.FromSeconds(5), clock, CancellationToken.None);
        await WaitUntilAsync(() => router.Replicas[0].Ongoing == 0 && call.Released == 1);
        Assert.False(running.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(5));
        var outcome = await running;
        Assert.Equal(ReplicaCallResult.DeadlineAnswered, outcome.Result);
        Assert.Equal([TimeSpan.FromSeconds(5)], call.DeadlineAnswers);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_method_still_running_when_its_replica_stops_is_answered_unavailable_at_once_with_or_without_a_deadline(bool deadline)
    {
        var clock = new FakeTimeProvider();
        var (entered, release) = (new TaskCompletionSource(), new TaskCompletionSource());
        var router = Router();
        var replica = router.Replicas[0];
        var call = new ScriptedCall((_, _) =>
        {
            entered.TrySetResult();
            return release.Task;
        });

        // A deadline far off on a clock that never moves: only the stopped replica can end the wait.
        var running = ReplicaCallRunner.RunAsync(router, call, deadline ? TimeSpan.FromMinutes(10) : null, clock, CancellationToken.None).AsTask();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Replaced: out of the router, then stopped without a drain, the method still running.
        router.SetReplicas([]);
        await replica.StopAsync(TimeSpan.Zero, CancellationToken.None);

        await WaitUntilAsync(() => call.UnavailableAnswers.Count == 1);
        Assert.Equal(["Replica 'r0' of deployment 'd' was stopped before the request finished; retry it."], call.UnavailableAnswers);
        Assert.Empty(call.DeadlineAnswers);
        // The client has its answer; the request buffers are given back only once the method returned.
        Assert.Equal(0, call.Released);
        release.SetResult();
        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ReplicaCallResult.UnavailableAnswered, outcome.Result);
        Assert.False(outcome.DeadlinePassed);
        Assert.Equal(1, call.Released);
        Assert.Equal(["Replica 'r0' of deployment 'd' was stopped before the request finished; retry it."], call.UnavailableAnswers);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
