using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests.Hosting;

/// <summary>
/// Autoscaling on a real host (Kestrel on 127.0.0.1, the REST API on its own port) with real HTTP clients: a deployment
/// whose requests take 50–80 ms scales up under concurrent load, back to zero when the load is gone, wakes for the next
/// request, and loses no request while a config scales it down under steady load.
/// </summary>
public sealed class AutoscalingEndToEndTests : IAsyncLifetime
{
    private const string App = "auto";
    private const string Deployment = "ProbeDeployment";

    /// <summary>Every wait's bound: far beyond what each takes (a few seconds), so only a regression reaches it.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private ServeTestHost _host = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    private static ServeConfig Config(DeploymentConfig deployment) => new()
    {
        HttpOptions = new HttpOptions { Host = "127.0.0.1", Port = 0 },
        GrpcOptions = new GrpcOptions { Port = 0, GrpcServicerFunctions = ["servetesting.Probe"] },
        LoggingConfig = new LoggingConfig { EnableAccessLog = false },
        Applications =
        [
            new ApplicationConfig
            {
                Name = App,
                RoutePrefix = "/" + App,
                ImportPath = "Serve.IntegrationTests.Probe.ProbeApplications:Probe",
                Deployments = [deployment],
            },
        ],
    };

    /// <summary>Small delays and a fresh reading every 0.1 s over the last second: the whole cycle takes seconds.</summary>
    private static AutoscalingConfig Policy(int min = 0, int max = 4, int? initial = null) => new()
    {
        MinReplicas = min,
        MaxReplicas = max,
        InitialReplicas = initial,
        TargetOngoingRequests = 1,
        MetricsIntervalS = 0.1,
        LookBackPeriodS = 1,
        UpscaleDelayS = 0.2,
        DownscaleDelayS = 0.5,
        DownscaleToZeroDelayS = 0.5,
    };

    private async Task StartAsync(DeploymentConfig deployment)
    {
        _host = await ServeTestHost.StartAsync(Config(deployment), new ServeHostOptions { DashboardPort = 0 });
    }

    private Uri Api => new($"http://127.0.0.1:{_host.Host.DashboardPort}/api/serve/applications/");

    private Uri Sleep(int ms, string text) => new($"http://127.0.0.1:{_host.Host.HttpPort}/{App}/sleep?ms={ms}&text={text}");

    /// <summary>The deployment as <c>GET /api/serve/applications/</c> shows it.</summary>
    private async Task<JsonElement> StatusAsync()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(Api));
        return document.RootElement.GetProperty("applications").GetProperty(App).GetProperty("deployments").GetProperty(Deployment).Clone();
    }

    private static int Running(JsonElement deployment)
        => deployment.GetProperty("replica_states").TryGetProperty("RUNNING", out var running) ? running.GetInt32() : 0;

    /// <summary>Polls the REST API until <paramref name="condition"/> holds; fails with the last status after <see cref="Guard"/>.</summary>
    private async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (true)
        {
            var status = await StatusAsync();
            if (condition(status))
            {
                return status;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Not {what} within {Guard.TotalSeconds} s. Last status: {status}");
            await Task.Delay(50);
        }
    }

    /// <summary>PUTs a config to the REST API, as <c>serve deploy</c> does; it must be accepted.</summary>
    private async Task DeployAsync(DeploymentConfig deployment)
    {
        using var body = new StringContent(ServeConfigWriter.Write(Config(deployment)), Encoding.UTF8, "application/yaml");
        using var response = await _http.PutAsync(Api, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Replicas_rise_under_concurrent_load_fall_to_zero_when_it_is_gone_and_one_request_wakes_the_deployment()
    {
        await StartAsync(new DeploymentConfig { Name = Deployment, AutoscalingConfig = Policy(min: 0, max: 4) });
        // min_replicas 0 and no initial_replicas: nothing runs until a request comes.
        var idle = await StatusAsync();
        Assert.Equal(0, idle.GetProperty("autoscaling_detail").GetProperty("current_num_replicas").GetInt32());

        // Eight clients, one 80 ms request at a time each: 8 ongoing requests against a target of 1 per replica.
        await using (var load = Load.Start(_http, Sleep(80, "load"), clients: 8))
        {
            var scaled = await WaitForStatusAsync(s => Running(s) == 4, "at 4 running replicas under load");
            Assert.Equal(4, scaled.GetProperty("autoscaling_detail").GetProperty("current_num_replicas").GetInt32());
            Assert.Equal(4, scaled.GetProperty("target_num_replicas").GetInt32());
            // It stays within max_replicas while the load goes on.
            await load.RunForAsync(TimeSpan.FromSeconds(0.5));
            Assert.Equal(4, Running(await StatusAsync()));
            await load.StopAsync();
            load.AssertNoneFailed(atLeast: 16);
        }

        // No load: down to one after downscale_delay_s, to zero after downscale_to_zero_delay_s.
        var zero = await WaitForStatusAsync(
            s => s.GetProperty("target_num_replicas").GetInt32() == 0 && s.GetProperty("replicas").GetArrayLength() == 0, "at zero replicas when idle");
        Assert.Equal(("HEALTHY", "DOWNSCALE_COMPLETED"), (zero.GetProperty("status").GetString(), zero.GetProperty("status_trigger").GetString()));
        var decisions = zero.GetProperty("autoscaling_detail").GetProperty("decisions").EnumerateArray()
            .Select(d => (From: d.GetProperty("from_num_replicas").GetInt32(), To: d.GetProperty("to_num_replicas").GetInt32())).ToList();
        Assert.Equal((0, 1), decisions[0]);
        Assert.Contains(decisions, d => d.To == 4);
        Assert.Equal((1, 0), decisions[^1]);

        // One request at zero: held while the deployment wakes, then served.
        using var woken = await _http.GetAsync(Sleep(1, "wake"));
        Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
        Assert.Equal("wake", await woken.Content.ReadAsStringAsync());
        var awake = await StatusAsync();
        Assert.Equal(1, Running(awake));
        var last = awake.GetProperty("autoscaling_detail").GetProperty("decisions").EnumerateArray().Last();
        Assert.Equal((0, 1), (last.GetProperty("from_num_replicas").GetInt32(), last.GetProperty("to_num_replicas").GetInt32()));
    }

    [Fact]
    public async Task No_request_fails_while_configs_scale_the_deployment_from_4_to_1_under_steady_load()
    {
        await StartAsync(new DeploymentConfig { Name = Deployment, AutoscalingConfig = Policy(min: 0, max: 4, initial: 4) });
        Assert.Equal(4, Running(await StatusAsync()));

        await using var load = Load.Start(_http, Sleep(50, "steady"), clients: 8);
        await load.RunForAsync(TimeSpan.FromSeconds(0.5));
        Assert.Equal(4, Running(await StatusAsync()));

        // The autoscaler's bound goes down to 1: 3 replicas leave the router and drain their requests.
        await DeployAsync(new DeploymentConfig { Name = Deployment, AutoscalingConfig = Policy(min: 0, max: 1) });
        await WaitForStatusAsync(s => Running(s) == 1 && !s.GetProperty("replica_states").TryGetProperty("STOPPING", out _), "at 1 replica");
        await load.RunForAsync(TimeSpan.FromSeconds(0.5));

        // Then without autoscaling: a fixed 4, and a fixed 1 again, with the clients still sending.
        await DeployAsync(new DeploymentConfig { Name = Deployment, NumReplicas = 4 });
        await WaitForStatusAsync(s => Running(s) == 4, "at a fixed 4 replicas");
        await load.RunForAsync(TimeSpan.FromSeconds(0.5));
        await DeployAsync(new DeploymentConfig { Name = Deployment, NumReplicas = 1 });
        var one = await WaitForStatusAsync(s => Running(s) == 1 && !s.GetProperty("replica_states").TryGetProperty("STOPPING", out _), "at a fixed 1 replica");
        Assert.False(one.TryGetProperty("autoscaling_detail", out _));
        await load.RunForAsync(TimeSpan.FromSeconds(0.5));

        await load.StopAsync();
        load.AssertNoneFailed(atLeast: 100);
    }

    /// <summary>Clients that each send one request at a time until stopped, counting answers other than 200 with the expected body.</summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _failures = new();
        private Task[] _clients = [];
        private volatile bool _stopping;
        private int _succeeded;

        public int Succeeded => Volatile.Read(ref _succeeded);

        public static Load Start(HttpClient http, Uri uri, int clients)
        {
            var load = new Load();
            var expected = uri.Query.Split("text=")[1];
            load._clients = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(() => load.RunAsync(http, uri, expected)))];
            return load;
        }

        private async Task RunAsync(HttpClient http, Uri uri, string expected)
        {
            // A request once sent is always awaited to its answer: stopping never cancels one, so every failure counted is real.
            while (!_stopping)
            {
                try
                {
                    using var response = await http.GetAsync(uri);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK && body == expected)
                    {
                        Interlocked.Increment(ref _succeeded);
                    }
                    else
                    {
                        _failures.Enqueue($"{(int)response.StatusCode}: {body}");
                    }
                }
                catch (Exception ex)
                {
                    _failures.Enqueue(ex.GetType().Name + ": " + ex.Message);
                }
            }
        }

        /// <summary>Lets the clients send for <paramref name="duration"/> (load, not an assertion: nothing is checked here).</summary>
        public async Task RunForAsync(TimeSpan duration)
        {
            await Task.Delay(duration);
            Assert.All(_clients, c => Assert.False(c.IsCompleted));
        }

        public async Task StopAsync()
        {
            _stopping = true;
            await Task.WhenAll(_clients).WaitAsync(Guard);
        }

        public void AssertNoneFailed(int atLeast)
        {
            Assert.True(_failures.IsEmpty, $"{_failures.Count} request(s) failed (of {Succeeded + _failures.Count}): {string.Join(" | ", _failures.Take(5))}");
            Assert.True(Succeeded >= atLeast, $"Only {Succeeded} requests were served; the load was too light to test anything.");
        }

        public async ValueTask DisposeAsync() => await StopAsync();
    }
}
