using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Serve.IntegrationTests.Composition;

/// <summary>
/// A host program started with <c>dotnet &lt;dll&gt; run …</c> as a child process, until its
/// "Serve is running" line reports the bound ports. Disposing kills it if it is still running.
/// </summary>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private ServeProcess(Process process, StringBuilder output, Match started)
    {
        _process = process;
        _output = output;
        GrpcPort = started.Groups["grpc"].Success ? int.Parse(started.Groups["grpc"].Value, CultureInfo.InvariantCulture) : 0;
        HttpPort = int.Parse(started.Groups["http"].Value, CultureInfo.InvariantCulture);
        DashboardAddress = started.Groups["dashboard"].Value;
    }

    /// <summary>The gRPC proxy's port; 0 when the config starts no gRPC proxy.</summary>
    public int GrpcPort { get; }

    public int HttpPort { get; }

    /// <summary>The REST API's base address, as <c>--address</c> takes it.</summary>
    public string DashboardAddress { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The process id, for reading its memory from /proc.</summary>
    public int Id => _process.Id;

    /// <summary>Everything the process wrote so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServeProcess> StartAsync(string dll, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
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
            var first = await Task.WhenAny(running.Task, process.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(90));
            if (first != running.Task)
            {
                process.WaitForExit();
                lock (output)
                {
                    throw new InvalidOperationException($"Serve exited with {process.ExitCode} before it was running. Output:\n{output}");
                }
            }
            return new ServeProcess(process, output, await running.Task);
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
            throw;
        }
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().WaitAsync(timeout);
        }
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            _process.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"gRPC proxy: (?:off[^;]*|[^;]*:(?<grpc>\d+)); HTTP proxy: [^;]*:(?<http>\d+); REST API: (?<dashboard>http://[^;]+:\d+);")]
    private static partial Regex RunningLine();
}
