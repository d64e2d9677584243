using Microsoft.Extensions.DependencyInjection;
using Serve.Hosting;
using Serve.Multiplexing;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Composition;

/// <summary>Unary handle calls through the deployment's router (<c>RouterHandleTarget</c>).</summary>
public sealed class HandleCallTests
{
    private static Task<LocalApplication<Probe>> RunProbe(Probe probe, int maxOngoingRequests = 5, int maxQueuedRequests = -1, int numReplicas = 1)
        => LocalTestingMode.RunAsync(
            Bind<Probe>(Define("Probe", _ => probe)).WithOptions(numReplicas: numReplicas, maxOngoingRequests: maxOngoingRequests, maxQueuedRequests: maxQueuedRequests),
            "composition");

    [Fact]
    public async Task A_second_call_waits_for_the_only_slot_when_max_ongoing_requests_is_1()
    {
        var probe = new Probe();
        await using var app = await RunProbe(probe, maxOngoingRequests: 1);
        var router = app.Deployments[0].Router;
        var release = NewSignal();
        var firstEntered = NewSignal();
        var secondEntered = NewSignal();

        var first = app.Handle.Invoke("Hold", (p, ct) => p.HoldAsync(firstEntered, release.Task, ct));
        var second = app.Handle.Invoke("Hold", (p, ct) => p.HoldAsync(secondEntered, release.Task, ct));
        await firstEntered.Task;

        Assert.Equal(1, router.Replicas[0].Ongoing);
        Assert.Equal(1, router.Queued);
        Assert.False(secondEntered.Task.IsCompleted);

        release.SetResult();
        Assert.Equal("released", await first);
        Assert.Equal("released", await second);
        Assert.Equal(2, probe.Calls);
        Assert.Equal(0, router.Replicas[0].Ongoing);
    }

    [Fact]
    public async Task A_full_queue_rejects_the_call_with_BackPressureException()
    {
        var probe = new Probe();
        await using var app = await RunProbe(probe, maxOngoingRequests: 1, maxQueuedRequests: 1);
        var release = NewSignal();
        var entered = NewSignal();
        var running = app.Handle.Invoke("Hold", (p, ct) => p.HoldAsync(entered, release.Task, ct));
        var queued = app.Handle.Invoke("Hold", (p, ct) => p.HoldAsync(NewSignal(), release.Task, ct));

        var rejected = app.Handle.Invoke("Hold", (p, ct) => p.HoldAsync(NewSignal(), release.Task, ct));
        var ex = await Assert.ThrowsAsync<BackPressureException>(async () => await rejected);

        Assert.Equal("Request dropped due to backpressure (num_queued_requests=1, max_queued_requests=1) on deployment 'Probe'.", ex.Message);
        Assert.Equal("Probe", ex.DeploymentName);
        release.SetResult();
        await running;
        await queued;
        Assert.Equal(2, probe.Calls);
    }

    [Fact]
    public async Task A_deployment_without_replicas_fails_the_call_with_DeploymentUnavailableException()
    {
        await using var app = await RunProbe(new Probe(), numReplicas: 0);
        var ex = await Assert.ThrowsAsync<DeploymentUnavailableException>(async () => await app.Handle.Invoke("Context", (p, _) => p.Context()));
        Assert.Equal("Probe", ex.DeploymentName);
    }

    [Fact]
    public async Task The_callee_context_carries_the_callers_request_id_and_its_own_route_and_application()
    {
        var probe = new Probe();
        await using var app = await RunProbe(probe);
        var caller = new ServeRequestContext("caller-request", "outer-app", "caller-model", "/pkg.Svc/Method");
        ServeRequestContext? seen;
        ServeRequestContext.SetCurrent(caller);
        try
        {
            seen = await app.Handle.Invoke("Context", (p, _) => p.Context());
            // The callee's context never leaks back into the caller.
            Assert.Same(caller, ServeRequestContext.Current);
        }
        finally
        {
            ServeRequestContext.SetCurrent(null);
        }

        Assert.NotNull(seen);
        Assert.Equal("caller-request", seen.RequestId);
        Assert.Equal("composition", seen.ApplicationName);
        Assert.Equal("Probe.Context", seen.Route);
        // The model id is the handle's, not inherited from the caller.
        Assert.Equal("", seen.MultiplexedModelId);
    }

    [Fact]
    public async Task A_call_without_a_current_context_gets_a_fresh_request_id()
    {
        await using var app = await RunProbe(new Probe());
        ServeRequestContext.SetCurrent(null);

        var first = await app.Handle.Invoke("Context", (p, _) => p.Context());
        var second = await app.Handle.Invoke("Context", (p, _) => p.Context());

        Assert.True(Guid.TryParse(first!.RequestId, out _), first.RequestId);
        Assert.True(Guid.TryParse(second!.RequestId, out _), second.RequestId);
        Assert.NotEqual(first.RequestId, second.RequestId);
        Assert.Null(ServeRequestContext.Current);
    }

    [Fact]
    public async Task The_model_id_of_the_handle_options_reaches_the_callee_and_picks_the_replica_holding_the_model()
    {
        // Of the two replicas, only the second holds the model.
        var created = 0;
        var definition = new Serve.Dispatch.DeploymentDefinition("Models", "Tests.Composition.Models", new DeploymentOptions(), 0,
            (_, _) => new ModelHolder(Interlocked.Increment(ref created) == 2 ? "m-7" : null), [], [])
        {
            MultiplexedModels = instance => ((ModelHolder)instance).Models,
        };
        await using var app = await LocalTestingMode.RunAsync(Bind<ModelHolder>(definition).WithOptions(numReplicas: 2));
        var handle = app.Handle.Options(multiplexedModelId: "m-7");

        for (var i = 0; i < 20; i++)
        {
            var (holds, context) = await handle.Invoke("Predict", (m, _) => ValueTask.FromResult((m.Models.Contains("m-7"), ServeRequestContext.Current)));
            Assert.True(holds);
            Assert.Equal("m-7", context!.MultiplexedModelId);
        }
    }

    [Fact]
    public async Task A_timed_out_call_throws_TimeoutException_cancels_the_method_token_and_keeps_the_slot_until_the_method_returns()
    {
        var probe = new Probe();
        await using var app = await RunProbe(probe, maxOngoingRequests: 1);
        var router = app.Deployments[0].Router;

        // The timeout starts with the call; double it until the method was running when it fired, so the
        // test does not depend on how fast this machine reaches the method.
        for (var timeout = TimeSpan.FromMilliseconds(50); ; timeout *= 2)
        {
            var entered = NewSignal();
            var release = NewSignal();
            var tokenCancelled = NewSignal();
            var call = app.Handle.Options(timeout: timeout).Invoke("Hold", (p, ct) => p.HoldAsync(entered, release.Task, ct, tokenCancelled));
            var ex = await Assert.ThrowsAsync<TimeoutException>(async () => await call);
            if (!entered.Task.IsCompleted)
            {
                release.SetResult();
                Assert.True(timeout < TimeSpan.FromMinutes(1), "the method never started");
                continue;
            }

            Assert.Contains("Probe.Hold", ex.Message);
            await tokenCancelled.Task;
            Assert.Equal(1, router.Replicas[0].Ongoing);
            var next = app.Handle.Invoke("Context", (p, _) => p.Context());
            Assert.Equal(1, router.Queued);
            Assert.False(next.IsCompleted);

            release.SetResult();
            // The queued call gets the slot only once the timed-out method returned it.
            Assert.NotNull(await next);
            Assert.Equal(0, router.Replicas[0].Ongoing);
            return;
        }
    }

    [Fact]
    public async Task A_calls_timeout_runs_on_the_hosts_TimeProvider()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(time).BuildServiceProvider();
        await using var app = await LocalTestingMode.RunAsync(Bind<Probe>(Define("Probe", _ => new Probe())), "composition", services);
        var entered = NewSignal();
        var release = NewSignal();
        var tokenCancelled = NewSignal();

        // An hour on the fake clock: a timeout that ran on the wall clock would never fire within the test.
        var call = app.Handle.Options(timeout: TimeSpan.FromHours(1)).Invoke("Hold", (p, ct) => p.HoldAsync(entered, release.Task, ct, tokenCancelled));
        await entered.Task;
        time.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(50);
        Assert.False(call.AsTask().IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));
        var ex = await Assert.ThrowsAsync<TimeoutException>(async () => await call.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("The call to Probe.Hold timed out after 3600 s.", ex.Message);
        await tokenCancelled.Task;
        // Disposing drains on the fake clock too: it ends when the method returns its slot.
        release.SetResult();
    }

    [Fact]
    public async Task Cancelling_the_response_cancels_the_running_method()
    {
        var probe = new Probe();
        await using var app = await RunProbe(probe, maxOngoingRequests: 1);
        var entered = NewSignal();
        var sawCancellation = NewSignal();
        var call = app.Handle.Invoke("Wait", (p, ct) => p.WaitForCancellationAsync(entered, sawCancellation, ct));
        await entered.Task;

        call.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.AsTask());
        await sawCancellation.Task;
        // The only slot comes back once the cancelled method has ended.
        Assert.NotNull(await app.Handle.Invoke("Context", (p, _) => p.Context()));
    }

    [Fact]
    public async Task Cancelling_the_callers_token_cancels_the_running_method()
    {
        var probe = new Probe();
        await using var app = await RunProbe(probe);
        using var cts = new CancellationTokenSource();
        var entered = NewSignal();
        var sawCancellation = NewSignal();
        var call = app.Handle.Invoke("Wait", (p, ct) => p.WaitForCancellationAsync(entered, sawCancellation, ct), cts.Token);
        await entered.Task;

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.AsTask());
        await sawCancellation.Task;
    }

    [Fact]
    public async Task A_call_cancelled_while_queued_never_runs_and_leaves_the_queue()
    {
        var probe = new Probe();
        await using var app = await RunProbe(probe, maxOngoingRequests: 1);
        var router = app.Deployments[0].Router;
        var release = NewSignal();
        var entered = NewSignal();
        var running = app.Handle.Invoke("Hold", (p, ct) => p.HoldAsync(entered, release.Task, ct));
        var queued = app.Handle.Invoke("Context", (p, _) => p.Context());
        Assert.Equal(1, router.Queued);

        queued.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.AsTask());
        // The caller stops waiting at once; the router counts the waiter out when its own callback ran.
        await Eventually(() => router.Queued == 0);
        release.SetResult();
        await running;
        await app.Handle.Invoke("Context", (p, _) => p.Context());
        // The running call and the last one; the cancelled call never reached the method.
        Assert.Equal(2, probe.Calls);
    }

    [Fact]
    public async Task An_unawaited_response_passed_as_an_argument_is_awaited_before_the_call_takes_a_slot()
    {
        var calculator = new Calculator();
        await using var app = await LocalTestingMode.RunAsync(Bind<Calculator>(Define("Calculator", _ => calculator)));
        var router = app.Deployments[0].Router;
        var upstream = NewSignal<int>();

        var pending = app.Handle.Invoke("Slow", (c, _) => c.Slow(upstream.Task));
        DeploymentArg<int> argument = pending;
        var sum = app.Handle.Call("Add", async call =>
        {
            var a = await argument.ResolveAsync(call.CancellationToken);
            return await call.InvokeAsync((c, _) => c.Add(a, 3));
        }, CancellationToken.None);

        Assert.False(sum.IsCompleted);
        // Only the upstream call holds a slot while the argument is pending.
        Assert.Equal(1, router.Replicas[0].Ongoing);
        Assert.Equal(0, calculator.Adds);

        upstream.SetResult(4);
        Assert.Equal(7, await sum);
        Assert.Equal(1, calculator.Adds);
    }

    [Fact]
    public async Task The_caller_never_runs_deployment_code_inline()
    {
        // Each call blocks its thread until both calls arrive: run inline, the first would block the
        // caller before it could make the second.
        using var barrier = new Barrier(2);
        await using var app = await RunProbe(new Probe());
        var callerThread = Environment.CurrentManagedThreadId;

        var first = app.Handle.Invoke("Meet", (_, ct) => ValueTask.FromResult(barrier.SignalAndWait(TimeSpan.FromSeconds(10), ct)));
        var second = app.Handle.Invoke("Meet", (_, ct) => ValueTask.FromResult(barrier.SignalAndWait(TimeSpan.FromSeconds(10), ct)));

        Assert.True(await first);
        Assert.True(await second);
        Assert.NotEqual(callerThread, await app.Handle.Invoke("Thread", (_, _) => ValueTask.FromResult(Environment.CurrentManagedThreadId)));
    }

    [Fact]
    public async Task A_caller_awaiting_a_call_no_pool_thread_took_yet_runs_it_without_a_hop()
    {
        await using var app = await RunProbe(new Probe());
        // Whoever comes first runs it: on a busy machine an idle pool thread may steal the work item before the
        // caller awaits, so one attempt proves nothing either way. Some attempt out of many must run inline, and
        // every attempt must run the call exactly once on some thread.
        var ranInline = false;
        for (var attempt = 0; attempt < 200 && !ranInline; attempt++)
        {
            // Outside the test framework's synchronization context, as in a server.
            var (caller, completedOnAwait, ran) = await Task.Run(() =>
            {
                var response = app.Handle.Invoke("Thread", (_, _) => ValueTask.FromResult(Environment.CurrentManagedThreadId));
                var awaiter = response.GetAwaiter();
                // Complete with this thread's id only if this thread ran it inside GetAwaiter: a pool thread finishing
                // it first reports its own id, and a hop to this thread later would leave it incomplete here.
                return (Environment.CurrentManagedThreadId, awaiter.IsCompleted, awaiter.IsCompleted ? awaiter.GetResult() : -1);
            });
            ranInline = completedOnAwait && ran == caller;
        }
        Assert.True(ranInline, "no attempt ran the call on the awaiting caller's thread");
    }

    [Fact]
    public async Task Unawaited_calls_still_run_side_by_side_and_a_call_never_awaited_still_runs()
    {
        using var barrier = new Barrier(2);
        await using var app = await RunProbe(new Probe());
        var unobserved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await Task.Run(async () =>
        {
            // The first is awaited (and may run on this thread); the second must run elsewhere meanwhile, or the
            // barrier would never meet.
            var first = app.Handle.Invoke("Meet", (_, ct) => ValueTask.FromResult(barrier.SignalAndWait(TimeSpan.FromSeconds(10), ct)));
            var second = app.Handle.Invoke("Meet", (_, ct) => ValueTask.FromResult(barrier.SignalAndWait(TimeSpan.FromSeconds(10), ct)));
            Assert.True(await first);
            Assert.True(await second);

            _ = app.Handle.Invoke("Signal", (_, _) =>
            {
                unobserved.SetResult();
                return ValueTask.FromResult(true);
            });
        });

        await unobserved.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually(() => app.Deployments[0].Router.Replicas[0].Ongoing == 0);
    }

    [Fact]
    public async Task User_exceptions_propagate_unchanged_and_release_the_slot()
    {
        await using var app = await RunProbe(new Probe(), maxOngoingRequests: 1);
        var thrownSync = new InvalidDataException("sync");
        var thrownAsync = new FormatException("async");

        var caughtSync = await Assert.ThrowsAsync<InvalidDataException>(async () => await app.Handle.Invoke<Probe, int>("Fail", (_, _) => throw thrownSync));
        var caughtAsync = await Assert.ThrowsAsync<FormatException>(async () => await app.Handle.Invoke<Probe, int>("Fail", async (_, _) =>
        {
            await Task.Yield();
            throw thrownAsync;
        }));

        Assert.Same(thrownSync, caughtSync);
        Assert.Same(thrownAsync, caughtAsync);
        Assert.Equal(0, app.Deployments[0].Router.Replicas[0].Ongoing);
    }

    [Fact]
    public async Task Errors_of_a_nested_call_reach_the_outer_caller_unchanged()
    {
        var leafDefinition = Define("Leaf", _ => new Probe());
        var frontDefinition = Define("Front", args => new Front((DeploymentHandle<Probe>)args[0]!), constructorParameters: 1);
        await using var app = await LocalTestingMode.RunAsync(Bind<Front>(frontDefinition, Bind<Probe>(leafDefinition).WithOptions(numReplicas: 0)));

        var ex = await Assert.ThrowsAsync<DeploymentUnavailableException>(async () => await app.Handle.Invoke("Call", (f, ct) => f.CallLeafAsync(ct)));
        Assert.Equal("Leaf", ex.DeploymentName);
    }

    private sealed class ModelHolder(string? model)
    {
        public IMultiplexedModelSet Models { get; } = new FixedModels(model);
    }

    private sealed class FixedModels(string? model) : IMultiplexedModelSet
    {
        public int Count => model is null ? 0 : 1;

        public int Capacity => 3;

        public bool Contains(string modelId) => modelId == model;

        public IReadOnlyList<string> ModelIds => model is null ? [] : [model];
    }

    private sealed class Calculator
    {
        private int _adds;

        public int Adds => Volatile.Read(ref _adds);

        public async ValueTask<int> Slow(Task<int> value) => await value;

        public ValueTask<int> Add(int a, int b)
        {
            Interlocked.Increment(ref _adds);
            return ValueTask.FromResult(a + b);
        }
    }

    private sealed class Front(DeploymentHandle<Probe> leaf)
    {
        public async ValueTask<int> CallLeafAsync(CancellationToken cancellationToken)
        {
            await leaf.Invoke("Context", (p, _) => p.Context(), cancellationToken);
            return 1;
        }
    }
}
