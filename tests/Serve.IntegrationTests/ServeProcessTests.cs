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
        var (process, output, running) = StartSample(RunningLine(), "run", Paths.Sample("single-app.yaml"), "--grpc-port", "0", "--http-port", "0");
        using var _ = process;
        try
        {
            var started = await running.WaitAsync(TimeSpan.FromSeconds(60));
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

    /// <summary>
    /// Ray's <c>serve start</c> then <c>serve deploy</c>: the instance starts with no application and the options given on
    /// the command line; a config deployed to it afterwards is served, and <c>config</c> prints what was deployed.
    /// </summary>
    [Fact]
    public async Task Start_then_deploy_serves_the_applications_deployed_to_it()
    {
        var (process, output, running) = StartSample(StartedLine(), "start", "--http-port", "0", "--grpc-port", "0", "--dashboard-port", "0",
            "--grpc-servicer-functions", "user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server");
        using var _ = process;
        try
        {
            var started = await running.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("(none)", started.Groups["apps"].Value);
            var address = $"http://127.0.0.1:{started.Groups["dashboard"].Value}";

            using var none = new StringWriter();
            Assert.Equal(0, await Serve.Hosting.ServeCommandLine.BuildRootCommand().Parse(["config", "--address", address])
                .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = none, Error = none }));
            Assert.Equal("No configuration was found." + Environment.NewLine, none.ToString());

            // The sample's file says port 8000 and 9000: as in Ray, a running instance keeps its own and warns.
            using var deployOut = new StringWriter();
            using var deployErr = new StringWriter();
            var deployed = await Serve.Hosting.ServeCommandLine.BuildRootCommand().Parse(["deploy", Paths.Sample("single-app.yaml"), "--address", address])
                .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = deployOut, Error = deployErr });
            Assert.True(deployed == 0, deployErr.ToString());

            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{started.Groups["grpc"].Value}");
            var reply = await new UserDefinedService.UserDefinedServiceClient(channel)
                .__call__Async(new UserDefinedMessage { Name = "foo", Origin = "bar", Num = 3 }, deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal(("Hello foo from bar", 6), (reply.Greeting, reply.Num));

            using var config = new StringWriter();
            Assert.Equal(0, await Serve.Hosting.ServeCommandLine.BuildRootCommand().Parse(["config", "--address", address])
                .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = config, Error = config }));
            Assert.Contains("name: app1", config.ToString());
            Assert.Contains("import_path: GrpcQuickstart.Applications:App1", config.ToString());

            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
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

    [GeneratedRegex(@"gRPC proxy: [^:]+:(?<grpc>\d+); HTTP proxy: [^:]+:(?<http>\d+); REST API: http://[^:]+:(?<dashboard>\d+); applications: (?<apps>.+)\.$")]
    private static partial Regex StartedLine();

    /// <summary>The sample started as a user starts it, its output collected, and the first line matching <paramref name="line"/>.</summary>
    private static (Process Process, StringBuilder Output, Task<Match> Started) StartSample(Regex line, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GrpcQuickstart.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start)!;
        var output = new StringBuilder();
        var started = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { return; }
            lock (output) { output.AppendLine(e.Data); }
            var match = line.Match(e.Data);
            if (match.Success) { started.TrySetResult(match); }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output, started.Task);
    }

    [GeneratedRegex(@"gRPC proxy: [^:]+:(?<grpc>\d+); HTTP proxy: [^:]+:(?<http>\d+)")]
    private static partial Regex RunningLine();

    [GeneratedRegex(@"(?m)^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} info: Serve\[\d+\] Serve shut down cleanly\.\r?$")]
    private static partial Regex LogLine();
}
