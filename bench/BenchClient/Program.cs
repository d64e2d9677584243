// Benchmark client on grpc-dotnet's client (Grpc.Net.Client and Grpc.Tools' generated client), used for the
// measurements h2load cannot make:
//   stream    <url> <streams> <messages-per-stream> <seconds>
//       Server-streaming throughput: <streams> concurrent loops, each calling Noop/Stream(count)
//       again and again for <seconds>; every call's status must be OK. Prints
//       "msgs_per_s=<x> calls=<n>".
//   coldstart <port> <runs> <idle-ms> [--rpc package.Service/Method] <exe> [args...]
//       Starts <exe args> <runs>+1 times (the first run warms the page cache and this client and
//       is discarded). Each run: exec -> first Noop/Call (or the --rpc method, called with an empty
//       message) answered with status OK, then <idle-ms> idle, then VmRSS from /proc/<pid>/status;
//       the process is killed. Prints one "first_ok_ms=<x> rss_kb=<y>" line per measured run.
//   check     <url>
//       One unary call; exits 0 when its status is OK.
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ServeBench;

var inv = CultureInfo.InvariantCulture;
switch (args.Length > 0 ? args[0] : "")
{
    case "stream":
        return await Bench.StreamAsync(args[1], int.Parse(args[2], inv), int.Parse(args[3], inv), double.Parse(args[4], inv));
    case "coldstart":
        // --rpc: the quickstart serves no Noop; an empty message is a valid request of any RPC, and the answer
        // parses as Empty (protobuf skips unknown fields), so any unary method can be the probe.
        var rpc = args[4] == "--rpc" ? args[5] : null;
        var exeAt = rpc is null ? 4 : 6;
        return await Bench.ColdStartAsync(int.Parse(args[1], inv), int.Parse(args[2], inv), int.Parse(args[3], inv), rpc, args[exeAt], args[(exeAt + 1)..]);
    case "check":
        return await Bench.CheckAsync(args[1]);
    default:
        await Console.Error.WriteLineAsync("usage: BenchClient stream|coldstart|check ...");
        return 2;
}

internal static class Bench
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static async Task<int> CheckAsync(string url)
    {
        using var channel = GrpcChannel.ForAddress(url);
        var client = new Noop.NoopClient(channel);
        using var call = client.CallAsync(new Empty());
        await call.ResponseAsync;
        var status = call.GetStatus();
        Console.WriteLine($"status={status.StatusCode}");
        return status.StatusCode == StatusCode.OK ? 0 : 1;
    }

    public static async Task<int> StreamAsync(string url, int streams, int perStream, double seconds)
    {
        using var channel = GrpcChannel.ForAddress(url);
        var client = new Noop.NoopClient(channel);
        // Warm-up: JIT on both sides, connection established.
        for (var i = 0; i < 20; i++)
        {
            await RunOneAsync(client, perStream);
        }

        long messages = 0, calls = 0;
        var sw = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        var loops = Enumerable.Range(0, streams).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed < until)
            {
                var n = await RunOneAsync(client, perStream);
                Interlocked.Add(ref messages, n);
                Interlocked.Increment(ref calls);
            }
        })).ToArray();
        await Task.WhenAll(loops);
        var elapsed = sw.Elapsed.TotalSeconds;
        Console.WriteLine(string.Format(s_inv, "msgs_per_s={0:F0} calls={1} seconds={2:F2}", messages / elapsed, calls, elapsed));
        return 0;
    }

    private static async Task<int> RunOneAsync(Noop.NoopClient client, int count)
    {
        using var call = client.Stream(new StreamRequest { Count = count });
        var n = 0;
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
            n++;
        }
        var status = call.GetStatus();
        if (status.StatusCode != StatusCode.OK || n != count)
        {
            throw new InvalidOperationException($"stream call failed: {status.StatusCode} {status.Detail}, {n}/{count} messages");
        }
        return n;
    }

    public static async Task<int> ColdStartAsync(int port, int runs, int idleMs, string? rpc, string exe, string[] exeArgs)
    {
        var url = $"http://127.0.0.1:{port}";
        var empty = Marshallers.Create(static (Empty m) => m.ToByteArray(), Empty.Parser.ParseFrom);
        var probe = rpc is null ? null : new Method<Empty, Empty>(MethodType.Unary, rpc[..rpc.IndexOf('/')], rpc[(rpc.IndexOf('/') + 1)..], empty, empty);
        for (var run = 0; run <= runs; run++)
        {
            var start = new ProcessStartInfo(exe)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in exeArgs)
            {
                start.ArgumentList.Add(a);
            }
            // grpc-dotnet waits InitialReconnectBackoff (1 s by default) after a refused connection before it tries
            // again: polling a server that is still starting would measure that wait, not the start.
            using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
            {
                InitialReconnectBackoff = TimeSpan.FromMilliseconds(1),
                MaxReconnectBackoff = TimeSpan.FromMilliseconds(1),
            });
            var client = new Noop.NoopClient(channel);
            var sw = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            double firstOk = -1;
            try
            {
                while (sw.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
                {
                    try
                    {
                        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5));
                        using var call = probe is null ? client.CallAsync(new Empty(), options) : channel.CreateCallInvoker().AsyncUnaryCall(probe, null, options, new Empty());
                        await call.ResponseAsync;
                        if (call.GetStatus().StatusCode == StatusCode.OK)
                        {
                            firstOk = sw.Elapsed.TotalMilliseconds;
                            break;
                        }
                    }
                    catch (Exception ex) when (ex is RpcException or HttpRequestException or IOException or OperationCanceledException)
                    {
                        // Not listening yet.
                    }
                    await Task.Delay(1);
                }
                if (firstOk < 0)
                {
                    await Console.Error.WriteLineAsync($"run {run}: no OK response (exited: {process.HasExited})");
                    return 1;
                }
                await Task.Delay(idleMs);
                var rssKb = ReadRssKb(process.Id);
                if (run > 0)
                {
                    Console.WriteLine(string.Format(s_inv, "first_ok_ms={0:F1} rss_kb={1}", firstOk, rssKb));
                }
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }
                await process.WaitForExitAsync();
            }
        }
        return 0;
    }

    private static long ReadRssKb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), s_inv);
            }
        }
        return -1;
    }
}
