using System.Runtime.CompilerServices;
using Serve.Hosting;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Composition;

/// <summary>Streaming handle calls: the slot is held for the whole enumeration and given back however it ends.</summary>
public sealed class HandleStreamTests
{
    private static Task<LocalApplication<Streamer>> RunStreamer(Streamer streamer, int maxOngoingRequests = 1)
        => LocalTestingMode.RunAsync(Bind<Streamer>(Define("Streamer", _ => streamer)).WithOptions(maxOngoingRequests: maxOngoingRequests), "streams");

    [Fact]
    public async Task Nothing_runs_until_the_stream_is_enumerated()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        var replica = app.Deployments[0].Router.Replicas[0];

        var stream = app.Handle.InvokeStream("Count", (s, ct) => s.Count(3, ct));
        Assert.Equal(0, streamer.Started);
        Assert.Equal(0, replica.Ongoing);

        var items = new List<int>();
        await foreach (var item in stream)
        {
            items.Add(item);
        }
        Assert.Equal([0, 1, 2], items);
        Assert.Equal(1, streamer.Started);
        Assert.Equal(0, replica.Ongoing);
    }

    [Fact]
    public async Task The_slot_is_held_while_enumerating_and_given_back_on_break()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        var router = app.Deployments[0].Router;
        var finallyRan = NewSignal();
        Task<int>? queued = null;

        await foreach (var item in app.Handle.InvokeStream("Forever", (s, ct) => s.Forever(finallyRan, ct)))
        {
            Assert.Equal(1, router.Replicas[0].Ongoing);
            // A unary call meanwhile waits for the stream's slot.
            queued ??= app.Handle.Invoke("Started", (s, _) => ValueTask.FromResult(s.Started)).AsTask();
            Assert.Equal(1, router.Queued);
            Assert.False(queued.IsCompleted);
            if (item == 2)
            {
                break;
            }
        }

        // Leaving the loop disposed the deployment's stream and handed the slot on.
        Assert.True(finallyRan.Task.IsCompleted);
        Assert.Equal(0, router.Queued);
        Assert.Equal(1, await queued!);
        Assert.Equal(0, router.Replicas[0].Ongoing);
    }

    [Fact]
    public async Task Leaving_early_cancels_the_deployments_token_so_work_outside_its_iterator_stops_too()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        var token = new StrongBox<CancellationToken>();
        var backgroundStopped = NewSignal();

        await foreach (var item in app.Handle.InvokeStream("Capturing", (s, ct) => s.Capturing(token, 10, ct)))
        {
            // Work the deployment started beside its iterator, watching only the token.
            token.Value.Register(() => backgroundStopped.TrySetResult());
            break;
        }

        Assert.True(token.Value.IsCancellationRequested);
        await backgroundStopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_stream_read_to_its_end_is_not_cancelled()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        var token = new StrongBox<CancellationToken>();
        var cancelled = false;

        var count = 0;
        await foreach (var item in app.Handle.InvokeStream("Capturing", (s, ct) => s.Capturing(token, 3, ct)))
        {
            if (count++ == 0)
            {
                token.Value.Register(() => cancelled = true);
            }
        }

        Assert.Equal(3, count);
        Assert.False(cancelled);
    }

    [Fact]
    public async Task Disposing_a_partly_read_stream_releases_the_slot()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        var replica = app.Deployments[0].Router.Replicas[0];
        var finallyRan = NewSignal();

        var enumerator = app.Handle.InvokeStream("Forever", (s, ct) => s.Forever(finallyRan, ct)).GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        Assert.Equal(1, replica.Ongoing);

        await enumerator.DisposeAsync();

        Assert.True(finallyRan.Task.IsCompleted);
        Assert.Equal(0, replica.Ongoing);
    }

    [Fact]
    public async Task An_exception_in_the_stream_propagates_unchanged_and_releases_the_slot()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        var thrown = new InvalidDataException("bad item");
        var items = new List<int>();

        var caught = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var item in app.Handle.InvokeStream("Failing", (s, ct) => s.Failing(thrown, ct)))
            {
                items.Add(item);
            }
        });

        Assert.Same(thrown, caught);
        Assert.Equal([0], items);
        Assert.Equal(0, app.Deployments[0].Router.Replicas[0].Ongoing);
    }

    [Fact]
    public async Task Cancelling_the_enumeration_reaches_the_deployments_stream_and_releases_the_slot()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        using var cts = new CancellationTokenSource();
        var sawCancellation = NewSignal();
        var items = new List<int>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in app.Handle.InvokeStream("UntilCancelled", (s, ct) => s.UntilCancelled(sawCancellation, ct)).WithCancellation(cts.Token))
            {
                items.Add(item);
                await cts.CancelAsync();
            }
        });

        Assert.Equal([0], items);
        Assert.True(sawCancellation.Task.IsCompleted);
        Assert.Equal(0, app.Deployments[0].Router.Replicas[0].Ongoing);
    }

    [Fact]
    public async Task Every_step_of_the_stream_sees_the_callee_context()
    {
        var streamer = new Streamer();
        await using var app = await RunStreamer(streamer);
        var caller = new ServeRequestContext("stream-request", "outer", "", "/caller");
        var steps = new List<(string RequestId, string Route)>();
        ServeRequestContext.SetCurrent(caller);
        try
        {
            // After each item the consumer's flow (with the caller's context) resumes the stream.
            await foreach (var step in app.Handle.InvokeStream("Contexts", (s, ct) => s.Contexts(4, ct)))
            {
                steps.Add(step);
            }
        }
        finally
        {
            ServeRequestContext.SetCurrent(null);
        }

        Assert.Equal(4, steps.Count);
        Assert.All(steps, step => Assert.Equal(("stream-request", "Streamer.Contexts"), step));
    }

    [Fact]
    public async Task Two_streams_read_in_lockstep_produce_concurrently_at_every_step()
    {
        // Each step of each stream blocks its thread until the other stream's step arrives: a step run
        // inline in the consumer's MoveNextAsync would block the consumer before it asked the other stream.
        using var barrier = new Barrier(2);
        await using var app = await RunStreamer(new Streamer(), maxOngoingRequests: 2);
        await using var first = app.Handle.InvokeStream("Meet", (s, ct) => s.Meet(barrier, 3, ct)).GetAsyncEnumerator();
        await using var second = app.Handle.InvokeStream("Meet", (s, ct) => s.Meet(barrier, 3, ct)).GetAsyncEnumerator();

        var met = 0;
        while (true)
        {
            var a = first.MoveNextAsync();
            var b = second.MoveNextAsync();
            var hasA = await a;
            var hasB = await b;
            Assert.Equal(hasA, hasB);
            if (!hasA)
            {
                break;
            }
            Assert.True(first.Current && second.Current, $"step {met} did not meet");
            met++;
        }
        Assert.Equal(3, met);
    }

    private sealed class Streamer
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public async IAsyncEnumerable<int> Count(int n, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            for (var i = 0; i < n; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }

        public async IAsyncEnumerable<int> Forever(TaskCompletionSource finallyRan, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            try
            {
                for (var i = 0; ; i++)
                {
                    await Task.Yield();
                    yield return i;
                }
            }
            finally
            {
                finallyRan.TrySetResult();
            }
        }

        public async IAsyncEnumerable<int> Capturing(StrongBox<CancellationToken> token, int n, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            token.Value = cancellationToken;
            for (var i = 0; i < n; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }

        public async IAsyncEnumerable<int> Failing(Exception error, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return 0;
            await Task.Yield();
            throw error;
        }

        public async IAsyncEnumerable<int> UntilCancelled(TaskCompletionSource sawCancellation, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return 0;
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                sawCancellation.TrySetResult();
            }
            yield return 1;
        }

        public async IAsyncEnumerable<(string RequestId, string Route)> Contexts(int n, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < n; i++)
            {
                var context = ServeRequestContext.Current;
                yield return (context?.RequestId ?? "(none)", context?.Route ?? "(none)");
            }
            await Task.CompletedTask;
        }

        /// <summary>Synchronous steps, each waiting (blocking its thread) for another stream's step.</summary>
        public async IAsyncEnumerable<bool> Meet(Barrier barrier, int n, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < n; i++)
            {
                yield return barrier.SignalAndWait(TimeSpan.FromSeconds(10), cancellationToken);
            }
            await Task.CompletedTask;
        }
    }
}
