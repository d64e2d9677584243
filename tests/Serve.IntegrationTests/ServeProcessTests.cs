using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Net.Client;
using Userdefinedprotos;

namespace Serve.IntegrationTests;

/// <summary>The sample as a user runs it: `GrpcQuickstart run single-app.yaml`, stopped with SIGTERM.</summary>
public sealed partial class ServeProcessTests
{
    [Fact]
    public async Task Sigterm_lets_the_running_stream_finish_then_exits_zero()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "GrpcQuickstart.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "run", Paths.Sample("single-app.yaml"), "--grpc-port", "0", "--http-port", "0" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var running = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { return; }
            lock (output) { output.AppendLine(e.Data); }
            var match = RunningLine().Match(e.Data);
            if (match.Success) { running.TrySetResult(match); }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var started = await running.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var grpcPort = started.Groups["grpc"].Value;
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var client = new UserDefinedService.UserDefinedServiceClient(channel);

            // A stream that takes about a second is running when the signal arrives.
            using var call = client.Streaming(new UserDefinedMessage { Name = "foo", Origin = "bar", Num = 30 });
            var messages = new List<UserDefinedResponse>();
            var reading = Task.Run(async () =>
            {
                await foreach (var m in call.ResponseStream.ReadAllAsync())
                {
                    messages.Add(m);
                    if (messages.Count == 2)
                    {
                        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
                    }
                }
            });
            await reading.WaitAsync(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(10, messages.Count);
            Assert.Equal(0, process.ExitCode);
            lock (output)
            {
                Assert.Contains("Serve shut down cleanly.", output.ToString());
                // The console log as collectors read it: one entry per line, no colour codes when redirected.
                Assert.Matches(LogLine(), output.ToString());
                Assert.DoesNotContain('\u001b', output.ToString());
            }
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            lock (output)
            {
                throw new Xunit.Sdk.XunitException($"{ex}\nServe output:\n{output}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task A_taken_port_is_one_line_on_stderr_exit_code_one_and_no_stack_trace()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "GrpcQuickstart.dll"), "run", Paths.Sample("single-app.yaml"), "--grpc-port", "0", "--http-port", port, "--dashboard-port", "-1" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(1, process.ExitCode);
        Assert.Equal($"Could not start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", (await stderr).TrimEnd());
        var output = await stdout;
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"gRPC proxy: [^:]+:(?<grpc>\d+); HTTP proxy: [^:]+:(?<http>\d+)")]
    private static partial Regex RunningLine();

    [GeneratedRegex(@"(?m)^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} info: Serve\[\d+\] Serve shut down cleanly\.\r?$")]
    private static partial Regex LogLine();
}
