// In-process handle hop vs a direct method call, in the same run (issue 6's benchmark).
//   HandleHop [repetitions] [calls-per-repetition]
// Prints one JSON line per measurement for bench/run.sh: suite "hop", target direct|handle,
// params sequential (one caller awaiting each call) or concurrent=64 (64 callers at once).
using System.Diagnostics;
using System.Globalization;
using HandleHop;
using Serve;
using Serve.Hosting;

var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var calls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
const int Callers = 64;

// One replica with room for every caller: what is measured is the hop, not queueing.
await using var local = await LocalTestingMode.RunAsync(Adder.Bind().WithOptions(maxOngoingRequests: Callers * 2));
var handle = local.Handle;
var direct = new Adder();

// Warm up both paths (tiered JIT, thread pool).
await Sequential(i => new ValueTask<int>(direct.Add(i)), calls / 4);
await Sequential(async i => await handle.Add(i), calls / 4);

for (var rep = 1; rep <= repetitions; rep++)
{
    Report("direct", "sequential", rep, calls, await Sequential(i => new ValueTask<int>(direct.Add(i)), calls));
    Report("handle", "sequential", rep, calls, await Sequential(async i => await handle.Add(i), calls));
    Report("direct", $"concurrent={Callers}", rep, calls, await Concurrent(i => new ValueTask<int>(direct.Add(i)), calls));
    Report("handle", $"concurrent={Callers}", rep, calls, await Concurrent(async i => await handle.Add(i), calls));
}
return 0;

static async Task<TimeSpan> Sequential(Func<int, ValueTask<int>> call, int count)
{
    var sum = 0L;
    var started = Stopwatch.GetTimestamp();
    for (var i = 0; i < count; i++)
    {
        sum += await call(i);
    }
    var elapsed = Stopwatch.GetElapsedTime(started);
    Check(sum, count);
    return elapsed;
}

static async Task<TimeSpan> Concurrent(Func<int, ValueTask<int>> call, int count)
{
    var per = count / Callers;
    var started = Stopwatch.GetTimestamp();
    var workers = new Task<long>[Callers];
    for (var w = 0; w < Callers; w++)
    {
        workers[w] = Task.Run(async () =>
        {
            var sum = 0L;
            for (var i = 0; i < per; i++)
            {
                sum += await call(i);
            }
            return sum;
        });
    }
    var sums = await Task.WhenAll(workers);
    var elapsed = Stopwatch.GetElapsedTime(started);
    foreach (var sum in sums)
    {
        Check(sum, per);
    }
    return elapsed;
}

// Every call's result is checked: sum of (i + 1) for i < count.
static void Check(long sum, int count)
{
    var expected = (long)count * (count + 1) / 2;
    if (sum != expected)
    {
        throw new InvalidOperationException($"Wrong results: sum {sum}, expected {expected}.");
    }
}

static void Report(string target, string parameters, int rep, int count, TimeSpan elapsed)
    => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"suite\":\"hop\",\"target\":\"{target}\",\"rep\":{rep},\"params\":\"{parameters}\",\"ns_per_call\":{elapsed.TotalNanoseconds / count:0.0},\"calls_per_s\":{count / elapsed.TotalSeconds:0}}}"));

namespace HandleHop
{
    /// <summary>The measured deployment: as little work as a method can do.</summary>
    [Deployment]
    public sealed partial class Adder
    {
        /// <summary>Its input plus one.</summary>
        public int Add(int value) => value + 1;
    }
}
