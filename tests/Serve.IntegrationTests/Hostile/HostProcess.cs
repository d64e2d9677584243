using Serve.IntegrationTests.Composition;

namespace Serve.IntegrationTests.Hostile;

/// <summary>
/// A sample host program (<c>GrpcQuickstart</c>, <c>Sentiment</c>) run as its own process with <c>run</c> on free ports
/// of 127.0.0.1, in a temporary folder of its own that goes with it: a probe that crashes or bloats it cannot take the
/// test run down, and its memory and console can be read.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private HostProcess(string directory, ServeProcess serve)
    {
        Directory = directory;
        Serve = serve;
    }

    /// <summary>The process's working folder, for files a test writes.</summary>
    public string Directory { get; }

    public ServeProcess Serve { get; }

    /// <summary>The program's path in the test output (<c>&lt;name&gt;.dll</c>).</summary>
    public static string Program(string name) => Path.Combine(AppContext.BaseDirectory, name + ".dll");

    /// <summary>Runs <paramref name="program"/> with the config file at <paramref name="configPath"/>.</summary>
    public static Task<HostProcess> StartAsync(string program, string configPath) => StartAsync(program, configPath, yaml: null);

    /// <summary>Runs <paramref name="program"/> with a config written from <paramref name="yaml"/>.</summary>
    public static Task<HostProcess> StartWithConfigAsync(string program, string yaml) => StartAsync(program, configPath: null, yaml);

    private static async Task<HostProcess> StartAsync(string program, string? configPath, string? yaml)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"serve-{program.ToLowerInvariant()}-").FullName;
        try
        {
            if (yaml is not null)
            {
                configPath = Path.Combine(directory, "config.yaml");
                await File.WriteAllTextAsync(configPath, yaml);
            }
            var serve = await ServeProcess.StartAsync(Program(program),
                ["run", configPath!, "--http-port", "0", "--grpc-port", "0", "--dashboard-port", "0"], directory);
            return new HostProcess(directory, serve);
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Waits (at most a minute) until the process wrote <paramref name="text"/>; fails with its output otherwise.</summary>
    public async Task WaitForOutputAsync(string text)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!Serve.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < until, $"The host never wrote \"{text}\":\n{Serve.Output}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Serve.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
