using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Serve.Batching;

namespace Serve.Runtime.Tests.Batching;

/// <summary>
/// <see cref="BatchQueue{TIn, TOut}"/>: when batches run, how many at once, lanes per model id, cancellation, errors and
/// disposal. Time only moves when a test advances the manual clock; batches are held with gates. Deadlines are failure guards.
/// </summary>
public sealed class BatchQueueTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);

    /// <summary>A batch handler that records each batch and can hold batches until the test releases them.</summary>
    private sealed class Recorder
    {
        private readonly ConcurrentQueue<Batch> _batches = new();
        private readonly Channel<Batch> _started = Channel.CreateUnbounded<Batch>();
        private int _running;
        private int _maxRunning;

        public sealed record Batch(string[] Items, ServeRequestContext? Context, string? Marker, TaskCompletionSource<bool> Release, CancellationToken Token);

        /// <summary>When true, each batch waits for its <see cref="Batch.Release"/> (or its token) before it returns.</summary>
        public bool Hold { get; init; }

        public Func<IReadOnlyList<string>, IReadOnlyList<string>?> Results { get; init; } = items => items.Select(i => i.ToUpperInvariant()).ToArray();

        public IReadOnlyList<Batch> Batches => [.. _batches];

        public int MaxRunning => Volatile.Read(ref _maxRunning);

        public static readonly AsyncLocal<string?> CallerMarker = new();

        public async ValueTask<IReadOnlyList<string>> Handle(IReadOnlyList<string> items, CancellationToken cancellationToken)
        {
            var running = Interlocked.Increment(ref _running);
            InterlockedMax(ref _maxRunning, running);
            var batch = new Batch([.. items], ServeRequestContext.Current, CallerMarker.Value, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
            _batches.Enqueue(batch);
            _started.Writer.TryWrite(batch);
            try
            {
                if (Hold)
                {
                    await batch.Release.Task.WaitAsync(cancellationToken);
                }
                return Results(items)!;
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        /// <summary>The next batch the queue started (a failure guard, not a timing assertion).</summary>
        public async Task<Batch> NextAsync() => await _started.Reader.ReadAsync().AsTask().WaitAsync(Guard);

        public bool AnyStarted => _started.Reader.TryPeek(out _);

        private static void InterlockedMax(ref int target, int value)
        {
            for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
            {
                if (Interlocked.CompareExchange(ref target, value, current) == current)
                {
                    return;
                }
            }
        }
    }

    private static BatchQueue<string, string> Queue(Recorder recorder, int maxBatchSize, TimeSpan timeout, int maxConcurrentBatches = 1, TimeProvider? time = null)
        => new("Predict", maxBatchSize, timeout, maxConcurrentBatches, recorder.Handle, time ?? new ManualTime());

    [Fact]
    public async Task A_full_batch_runs_at_once_without_waiting_for_the_timeout()
    {
        var recorder = new Recorder();
        await using var queue = Queue(recorder, 3, Long);
        var calls = new[] { "a", "b", "c" }.Select(i => queue.SubmitAsync(i).AsTask()).ToArray();
        Assert.Equal(new[] { "A", "B", "C" }, await Task.WhenAll(calls).WaitAsync(Guard));
        Assert.Equal(new[] { "a", "b", "c" }, Assert.Single(recorder.Batches).Items);

        // Two more wait: the clock never moves, so nothing flushes them.
        var waiting = new[] { "d", "e" }.Select(i => queue.SubmitAsync(i).AsTask()).ToArray();
        Assert.Equal(2, queue.QueuedCount);
        Assert.Single(recorder.Batches);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Assert.Equal(new[] { "D", "E", "F" }, await Task.WhenAll(waiting.Append(queue.SubmitAsync("f").AsTask())).WaitAsync(Guard));
    }

    [Fact]
    public async Task A_partial_batch_runs_when_its_oldest_item_has_waited_the_timeout_with_one_timer_per_queue()
    {
        var time = new ManualTime();
        var recorder = new Recorder();
        await using var queue = Queue(recorder, 10, TimeSpan.FromMilliseconds(10), time: time);
        var first = queue.SubmitAsync("a").AsTask();
        time.Advance(TimeSpan.FromMilliseconds(6));
        var second = queue.SubmitAsync("b").AsTask();
        time.Advance(TimeSpan.FromMilliseconds(3));
        Assert.Equal(2, queue.QueuedCount);
        Assert.False(recorder.AnyStarted);

        // 10 ms after "a" arrived (not after "b"): both go.
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new[] { "a", "b" }, (await recorder.NextAsync()).Items);
        Assert.Equal(new[] { "A", "B" }, await Task.WhenAll(first, second).WaitAsync(Guard));

        for (var round = 0; round < 3; round++)
        {
            var call = queue.SubmitAsync("r" + round).AsTask();
            time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.Equal("R" + round, await call.WaitAsync(Guard));
        }
        Assert.Equal(1, time.TimersCreated);
    }

    [Fact]
    public async Task A_zero_timeout_runs_what_is_queued_as_soon_as_a_batch_may_start()
    {
        var recorder = new Recorder { Hold = true };
        await using var queue = Queue(recorder, 10, TimeSpan.Zero);
        var first = queue.SubmitAsync("a").AsTask();
        var running = await recorder.NextAsync();
        Assert.Equal(new[] { "a" }, running.Items);
        // The one batch slot is taken: these queue together.
        var rest = new[] { "b", "c", "d" }.Select(i => queue.SubmitAsync(i).AsTask()).ToArray();
        Assert.Equal(3, queue.QueuedCount);
        running.Release.SetResult(true);
        var next = await recorder.NextAsync();
        Assert.Equal(new[] { "b", "c", "d" }, next.Items);
        next.Release.SetResult(true);
        Assert.Equal("A", await first.WaitAsync(Guard));
        Assert.Equal(new[] { "B", "C", "D" }, await Task.WhenAll(rest).WaitAsync(Guard));
    }

    [Fact]
    public async Task No_more_than_max_concurrent_batches_run_and_waiting_calls_fill_the_next_batch()
    {
        var recorder = new Recorder { Hold = true };
        await using var queue = Queue(recorder, 2, TimeSpan.Zero, maxConcurrentBatches: 2);
        var calls = new List<Task<string>> { queue.SubmitAsync("1").AsTask() };
        var b1 = await recorder.NextAsync();
        calls.Add(queue.SubmitAsync("2").AsTask());
        var b2 = await recorder.NextAsync();
        Assert.Equal(2, queue.RunningBatchCount);
        calls.AddRange(new[] { "3", "4", "5" }.Select(i => queue.SubmitAsync(i).AsTask()));
        Assert.Equal(3, queue.QueuedCount);
        Assert.False(recorder.AnyStarted);

        b1.Release.SetResult(true);
        var b3 = await recorder.NextAsync();
        Assert.Equal(new[] { "3", "4" }, b3.Items);
        b3.Release.SetResult(true);
        var b4 = await recorder.NextAsync();
        Assert.Equal(new[] { "5" }, b4.Items);
        b2.Release.SetResult(true);
        b4.Release.SetResult(true);

        Assert.Equal(new[] { "1", "2", "3", "4", "5" }, await Task.WhenAll(calls).WaitAsync(Guard));
        Assert.Equal(new[] { new[] { "1" }, new[] { "2" } }, new[] { b1.Items, b2.Items });
        Assert.Equal(2, recorder.MaxRunning);
    }

    [Fact]
    public async Task Batches_hold_calls_of_one_model_id_and_run_with_it_as_their_context()
    {
        var recorder = new Recorder();
        await using var queue = Queue(recorder, 2, Long);
        ValueTask<string> Submit(string item, string model, string requestId)
        {
            ServeRequestContext.SetCurrent(new ServeRequestContext(requestId, "app", model, "/svc/Predict"));
            try
            {
                return queue.SubmitAsync(item);
            }
            finally
            {
                ServeRequestContext.SetCurrent(null);
            }
        }

        var a1 = Submit("a1", "model-a", "r1").AsTask();
        var b1 = Submit("b1", "model-b", "r2").AsTask();
        Assert.Equal(2, queue.QueuedCount);
        var a2 = Submit("a2", "model-a", "r3").AsTask();
        var first = await recorder.NextAsync();
        var b2 = Submit("b2", "model-b", "r4").AsTask();
        var second = await recorder.NextAsync();
        await Task.WhenAll(a1, a2, b1, b2).WaitAsync(Guard);

        Assert.Equal(new[] { "a1", "a2" }, first.Items);
        Assert.Equal(new[] { "b1", "b2" }, second.Items);
        Assert.Equal(("model-a", "app", "/svc/Predict"), (first.Context!.MultiplexedModelId, first.Context.ApplicationName, first.Context.Route));
        Assert.Equal("model-b", second.Context!.MultiplexedModelId);
        // Each batch has a request id of its own, not one of its callers'.
        Assert.DoesNotContain(first.Context.RequestId, new[] { "r1", "r2", "r3", "r4" });
        Assert.NotEqual(first.Context.RequestId, second.Context.RequestId);
    }

    [Fact]
    public async Task The_batch_runs_off_the_callers_flow_and_its_route_is_empty_when_callers_differ()
    {
        var recorder = new Recorder();
        await using var queue = Queue(recorder, 2, Long);
        Recorder.CallerMarker.Value = "caller";
        ServeRequestContext.SetCurrent(new ServeRequestContext("r1", "app", "", "/svc/A"));
        var first = queue.SubmitAsync("x").AsTask();
        ServeRequestContext.SetCurrent(new ServeRequestContext("r2", "app", "", "/http/b"));
        var second = queue.SubmitAsync("y").AsTask();
        ServeRequestContext.SetCurrent(null);
        Recorder.CallerMarker.Value = null;
        await Task.WhenAll(first, second).WaitAsync(Guard);

        var batch = Assert.Single(recorder.Batches);
        Assert.Null(batch.Marker);
        Assert.Equal(("app", "", ""), (batch.Context!.ApplicationName, batch.Context.MultiplexedModelId, batch.Context.Route));
    }

    [Fact]
    public async Task A_call_cancelled_while_waiting_leaves_the_queue_and_never_reaches_a_batch()
    {
        var recorder = new Recorder();
        await using var queue = Queue(recorder, 2, Long);
        using var cts = new CancellationTokenSource();
        var cancelled = queue.SubmitAsync("gone", cts.Token).AsTask();
        Assert.Equal(1, queue.QueuedCount);
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Guard));
        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.Equal(0, queue.QueuedCount);

        var rest = new[] { "b", "c" }.Select(i => queue.SubmitAsync(i).AsTask()).ToArray();
        Assert.Equal(new[] { "B", "C" }, await Task.WhenAll(rest).WaitAsync(Guard));
        Assert.Equal(new[] { "b", "c" }, Assert.Single(recorder.Batches).Items);
    }

    [Fact]
    public async Task An_already_cancelled_call_is_not_queued()
    {
        var recorder = new Recorder();
        await using var queue = Queue(recorder, 2, Long);
        var call = queue.SubmitAsync("x", new CancellationToken(canceled: true));
        Assert.True(call.IsCanceled);
        Assert.Equal(0, queue.QueuedCount);
    }

    [Fact]
    public async Task A_call_cancelled_while_its_batch_runs_ends_at_once_and_the_batch_goes_on()
    {
        var recorder = new Recorder { Hold = true };
        await using var queue = Queue(recorder, 2, Long);
        using var cts = new CancellationTokenSource();
        var cancelled = queue.SubmitAsync("a", cts.Token).AsTask();
        var kept = queue.SubmitAsync("b").AsTask();
        var batch = await recorder.NextAsync();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Guard));
        Assert.False(kept.IsCompleted);
        Assert.False(batch.Token.IsCancellationRequested);

        batch.Release.SetResult(true);
        Assert.Equal("B", await kept.WaitAsync(Guard));
    }

    [Fact]
    public async Task The_batch_token_is_cancelled_only_when_every_caller_has_cancelled()
    {
        var recorder = new Recorder { Hold = true };
        await using var queue = Queue(recorder, 2, Long);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var a = queue.SubmitAsync("a", first.Token).AsTask();
        var b = queue.SubmitAsync("b", second.Token).AsTask();
        var batch = await recorder.NextAsync();
        var batchCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = batch.Token.Register(() => batchCancelled.SetResult());

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.WaitAsync(Guard));
        Assert.False(batch.Token.IsCancellationRequested);

        await second.CancelAsync();
        await batchCancelled.Task.WaitAsync(Guard);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.WaitAsync(Guard));
        Assert.Equal(0, queue.QueuedCount);
    }

    [Fact]
    public async Task When_the_method_throws_every_caller_of_the_batch_gets_the_exception()
    {
        var recorder = new Recorder { Results = items => items[0] == "a" ? throw new InvalidDataException("model exploded") : [.. items] };
        await using var queue = Queue(recorder, 2, Long);
        var calls = new[] { "a", "b" }.Select(i => queue.SubmitAsync(i).AsTask()).ToArray();
        var errors = new List<Exception>();
        foreach (var call in calls)
        {
            errors.Add(await Assert.ThrowsAsync<InvalidDataException>(() => call.WaitAsync(Guard)));
        }
        Assert.Equal("model exploded", errors[0].Message);
        Assert.Same(errors[0], errors[1]);

        // The queue goes on.
        Assert.Equal(new[] { "c", "d" }, await Task.WhenAll(queue.SubmitAsync("c").AsTask(), queue.SubmitAsync("d").AsTask()).WaitAsync(Guard));
    }

    [Theory]
    [InlineData(1, "Batched method 'Predict' doesn't preserve batch size. The input list has length 2 but the returned list has length 1.")]
    [InlineData(3, "Batched method 'Predict' doesn't preserve batch size. The input list has length 2 but the returned list has length 3.")]
    [InlineData(-1, "Batched method 'Predict' returned null instead of a list of 2 result(s).")]
    public async Task A_result_list_of_another_length_fails_every_caller(int count, string message)
    {
        var recorder = new Recorder { Results = items => count < 0 ? null : Enumerable.Repeat("r", count).ToArray() };
        await using var queue = Queue(recorder, 2, Long);
        var calls = new[] { "a", "b" }.Select(i => queue.SubmitAsync(i).AsTask()).ToArray();
        foreach (var call in calls)
        {
            Assert.Equal(message, (await Assert.ThrowsAsync<InvalidOperationException>(() => call.WaitAsync(Guard))).Message);
        }
    }

    [Fact]
    public async Task Disposing_fails_waiting_and_later_calls_with_unavailable_and_cancels_running_batches()
    {
        var recorder = new Recorder { Hold = true };
        var queue = Queue(recorder, 2, Long);
        var running = new[] { "a", "b" }.Select(i => queue.SubmitAsync(i).AsTask()).ToArray();
        var batch = await recorder.NextAsync();
        var waiting = queue.SubmitAsync("c").AsTask();
        Assert.Equal(1, queue.QueuedCount);

        await queue.DisposeAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => waiting.WaitAsync(Guard));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal("The replica stopped before batched method 'Predict' ran this call; it was not run, so it can be retried.", ex.Status.Detail);
        Assert.True(batch.Token.IsCancellationRequested);
        foreach (var call in running)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Guard));
        }
        var late = await Assert.ThrowsAsync<RpcException>(async () => await queue.SubmitAsync("d"));
        Assert.Equal(StatusCode.Unavailable, late.StatusCode);
        Assert.Equal(0, queue.QueuedCount);
        await queue.DisposeAsync();
    }

    [Fact]
    public async Task Many_concurrent_callers_each_get_their_own_result()
    {
        var recorder = new Recorder();
        await using var queue = new BatchQueue<string, string>("Predict", 8, TimeSpan.FromMilliseconds(1), 2, recorder.Handle);
        var calls = Enumerable.Range(0, 200).Select(i => Task.Run(() => queue.SubmitAsync("item" + i).AsTask())).ToArray();
        var results = await Task.WhenAll(calls).WaitAsync(Guard);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "ITEM" + i), results);
        Assert.Equal(200, recorder.Batches.Sum(b => b.Items.Length));
        Assert.All(recorder.Batches, b => Assert.InRange(b.Items.Length, 1, 8));
        Assert.InRange(recorder.MaxRunning, 1, 2);
    }

    [Fact]
    public void Settings_are_checked()
    {
        var recorder = new Recorder();
        Assert.Throws<ArgumentOutOfRangeException>(() => Queue(recorder, 0, Long));
        Assert.Throws<ArgumentOutOfRangeException>(() => Queue(recorder, 1, TimeSpan.FromTicks(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Queue(recorder, 1, Long, maxConcurrentBatches: 0));
        var queue = Queue(recorder, 4, TimeSpan.FromMilliseconds(10), 2);
        Assert.Equal(("Predict", 4, TimeSpan.FromMilliseconds(10), 2), (queue.MethodName, queue.MaxBatchSize, queue.BatchWaitTimeout, queue.MaxConcurrentBatches));
    }

    [Fact]
    public void Attribute_defaults_are_ray_serves_and_values_are_validated()
    {
        var attribute = new BatchAttribute();
        Assert.Equal((10, 0.01, 1), (attribute.MaxBatchSize, attribute.BatchWaitTimeoutS, attribute.MaxConcurrentBatches));
        attribute.BatchWaitTimeoutS = 0;
        Assert.Throws<ArgumentOutOfRangeException>(() => attribute.MaxBatchSize = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => attribute.MaxConcurrentBatches = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => attribute.BatchWaitTimeoutS = -0.001);
        Assert.Throws<ArgumentOutOfRangeException>(() => attribute.BatchWaitTimeoutS = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => attribute.BatchWaitTimeoutS = double.PositiveInfinity);
    }
}
