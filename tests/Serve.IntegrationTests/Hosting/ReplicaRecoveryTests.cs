using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests.Hosting;

/// <summary>
/// Replica recovery on a real host, with real clients: a replica whose health check fails is found out, taken out of
/// routing and replaced while the other keeps serving, the REST API says UNHEALTHY until the replacement runs, and the
/// requests wedged on the failed replica end UNAVAILABLE (gRPC) and 503 (HTTP) after its grace period, not at their
/// deadline or never.
/// </summary>
public sealed class ReplicaRecoveryTests
{
    /// <summary>Bounds every wait: a regression fails the test instead of hanging it.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private const string Deployment = "RecoveringDeployment";

    private static readonly Metadata s_app = new() { { "application", "recovery" } };

    private static ServeConfig Config() => new()
    {
        HttpOptions = new HttpOptions { Port = 0 },
        GrpcOptions = new GrpcOptions { Port = 0, GrpcServicerFunctions = ["servetesting.recovery.Recovery"] },
        Applications =
        [
            new ApplicationConfig
            {
                Name = "recovery",
                RoutePrefix = "/recovery",
                ImportPath = "Serve.IntegrationTests.Hosting.RecoveringDeployment",
                Deployments =
                [
                    new DeploymentConfig
                    {
                        Name = Deployment,
                        HealthCheckPeriodS = 0.1,
                        HealthCheckTimeoutS = 2,
                        GracefulShutdownTimeoutS = 0.5,
                        GracefulShutdownWaitLoopS = 0.1,
                    },
                ],
            },
        ],
    };

    [Fact]
    public async Task An_unhealthy_replica_is_replaced_while_the_other_serves_and_its_wedged_requests_end_unavailable()
    {
        RuntimeHelpers.RunModuleConstructor(typeof(ReplicaRecoveryTests).Module.ModuleHandle);
        RecoveryWard.Reset();
        var host = ServeHost.Create(Config(), logging => logging.SetMinimumLevel(LogLevel.Warning), new ServeHostOptions { DashboardPort = 0 });
        try
        {
            await host.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}"), Timeout = Guard };
            using var rest = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.DashboardPort}"), Timeout = Guard };
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{host.GrpcPort}");
            var client = new Recovery.RecoveryClient(channel);

            // The two replicas, as the clients see them.
            var replicas = new HashSet<string>();
            for (var i = 0; i < 200 && replicas.Count < 2; i++)
            {
                replicas.Add(await http.GetStringAsync("/recovery/whoami"));
            }
            Assert.Equal(2, replicas.Count);
            var bad = replicas.First();
            var good = replicas.Single(r => r != bad);
            var deployment = Find(await StatusAsync(rest), out _);
            Assert.Equal("HEALTHY", deployment.GetProperty("status").GetString());
            var started = Running(deployment);
            Assert.Equal(2, started.Length);

            // A gRPC call (with a deadline far off) and an HTTP call (without one) wedge on the replica about to fail.
            // Calls reaching the other one park there meanwhile, so that it is not always the less loaded.
            RecoveryWard.WedgeOn = bad;
            RecoveryWard.ParkOn = good;
            var parked = new List<Task<string>>();
            var wedgedGrpc = await WedgeAsync(async () => (await client.WedgeAsync(new WhoRequest(), s_app, DateTime.UtcNow + Guard)).Replica, parked);
            var wedgedHttp = await WedgeAsync(() => http.GetAsync("/recovery/wedge"), parked);
            RecoveryWard.Unpark.TrySetResult();
            Assert.All(await Task.WhenAll(parked).WaitAsync(Guard), replica => Assert.Equal(good, replica));

            // Traffic from both clients all along; none of it may fail.
            using var stopTraffic = new CancellationTokenSource();
            var traffic = Task.Run(async () =>
            {
                var answers = new List<string>();
                while (!stopTraffic.IsCancellationRequested)
                {
                    answers.Add(await http.GetStringAsync("/recovery/whoami"));
                    answers.Add((await client.WhoamiAsync(new WhoRequest(), s_app, DateTime.UtcNow + Guard)).Replica);
                }
                return answers;
            });

            // Replacements wait for the test before they pass their first check: the deployment is seen mid-replacement.
            RecoveryWard.HoldNewcomers = true;
            RecoveryWard.Sick[bad] = true;

            var unhealthy = await StatusUntilAsync(rest, d => d.GetProperty("status").GetString() == "UNHEALTHY");
            deployment = Find(unhealthy, out var app);
            Assert.Equal("HEALTH_CHECK_FAILED", deployment.GetProperty("status_trigger").GetString());
            Assert.Equal("A replica's health check failed. This deployment will be UNHEALTHY until the replica recovers or a new deploy happens.",
                deployment.GetProperty("message").GetString());
            Assert.Equal("UNHEALTHY", app.GetProperty("status").GetString());
            Assert.Equal($"The deployments ['{Deployment}'] are UNHEALTHY.", app.GetProperty("message").GetString());
            // Only the healthy replica is routed to.
            var routed = Assert.Single(Running(deployment));
            Assert.Contains(routed, started);

            // The wedged requests end once the failed replica's grace period is over: UNAVAILABLE and 503, not a hang.
            var rpc = await Assert.ThrowsAsync<RpcException>(() => wedgedGrpc.WaitAsync(Guard));
            Assert.Equal(StatusCode.Unavailable, rpc.StatusCode);
            Assert.Matches($"^Replica 'recovery#{Deployment}#[0-9a-f]{{8}}' of deployment '{Deployment}' was stopped before the request finished; retry it\\.$", rpc.Status.Detail);
            using (var response = await wedgedHttp.WaitAsync(Guard))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal(rpc.Status.Detail, await response.Content.ReadAsStringAsync());
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            }
            await WaitUntilAsync(() => RecoveryWard.Disposed.ContainsKey(bad));

            // Still UNHEALTHY: the replacement waits. The healthy replica alone serves meanwhile.
            deployment = Find(await StatusAsync(rest), out _);
            Assert.Equal("UNHEALTHY", deployment.GetProperty("status").GetString());
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(good, await http.GetStringAsync("/recovery/whoami"));
                Assert.Equal(good, (await client.WhoamiAsync(new WhoRequest(), s_app, DateTime.UtcNow + Guard)).Replica);
            }

            RecoveryWard.Admit.TrySetResult();
            // HEALTHY once the replacement runs; the failed replica is listed no more.
            var healthy = await StatusUntilAsync(rest, d => d.GetProperty("status").GetString() == "HEALTHY" && Replicas(d).Length == 2);
            deployment = Find(healthy, out app);
            Assert.Equal("UNSPECIFIED", deployment.GetProperty("status_trigger").GetString());
            Assert.Equal(("RUNNING", ""), (app.GetProperty("status").GetString(), app.GetProperty("message").GetString()));
            // The healthy replica and a new one: the failed one is gone.
            var running = Running(deployment);
            Assert.Equal(2, running.Length);
            Assert.Equal([routed], running.Intersect(started));

            // Both replicas serve again: the healthy one and the replacement, never the failed one.
            var serving = new HashSet<string>();
            for (var i = 0; i < 200 && serving.Count < 2; i++)
            {
                serving.Add(await http.GetStringAsync("/recovery/whoami"));
            }
            Assert.Equal(2, serving.Count);
            Assert.Contains(good, serving);
            Assert.DoesNotContain(bad, serving);

            await stopTraffic.CancelAsync();
            var answers = await traffic.WaitAsync(Guard);
            Assert.NotEmpty(answers);
        }
        finally
        {
            RecoveryWard.Admit.TrySetResult();
            RecoveryWard.Unwedge.TrySetResult();
            await host.DisposeAsync();
        }
    }

    /// <summary>
    /// Sends calls until one wedges on the replica the ward names; those reaching the other one park there (and are
    /// added to <paramref name="parked"/>, as the id they will answer with), which makes it the more loaded. Returns
    /// the wedged call.
    /// </summary>
    private static async Task<Task<T>> WedgeAsync<T>(Func<Task<T>> send, List<Task<string>> parked)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            RecoveryWard.ExpectWedge();
            var (wedged, parking) = (RecoveryWard.Wedged.Task, RecoveryWard.Parked.Task);
            var call = send();
            var first = await Task.WhenAny(call, wedged, parking).WaitAsync(Guard);
            if (first == wedged)
            {
                return call;
            }
            Assert.Same(parking, first);
            parked.Add(AnswerOf(call));
        }
        throw new InvalidOperationException("No call reached the replica to wedge in 50 attempts.");

        static async Task<string> AnswerOf(Task<T> call) => await call switch
        {
            string replica => replica,
            HttpResponseMessage response => await ReadAsync(response),
            var other => throw new InvalidOperationException($"Unexpected answer {other}."),
        };

        static async Task<string> ReadAsync(HttpResponseMessage response)
        {
            using (response)
            {
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadAsStringAsync();
            }
        }
    }

    private static async Task<JsonElement> StatusAsync(HttpClient rest)
    {
        using var document = JsonDocument.Parse(await rest.GetStringAsync("/api/serve/applications/"));
        return document.RootElement.Clone();
    }

    /// <summary>Polls the REST API until the deployment's status satisfies <paramref name="done"/>.</summary>
    private static async Task<JsonElement> StatusUntilAsync(HttpClient rest, Func<JsonElement, bool> done)
    {
        using var timeout = new CancellationTokenSource(Guard);
        while (true)
        {
            var status = await StatusAsync(rest);
            if (done(Find(status, out _)))
            {
                return status;
            }
            await Task.Delay(10, timeout.Token);
        }
    }

    private static JsonElement Find(JsonElement status, out JsonElement app)
    {
        app = status.GetProperty("applications").GetProperty("recovery");
        return app.GetProperty("deployments").GetProperty(Deployment);
    }

    private static (string Id, string State)[] Replicas(JsonElement deployment)
        => [.. deployment.GetProperty("replicas").EnumerateArray().Select(r => (r.GetProperty("replica_id").GetString()!, r.GetProperty("state").GetString()!))];

    /// <summary>The ids (Serve's, not the instances' own) of the RUNNING replicas.</summary>
    private static string[] Running(JsonElement deployment) => [.. Replicas(deployment).Where(r => r.State == "RUNNING").Select(r => r.Id)];

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Guard);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
