using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serve.Config;
using Serve.Control;
using Serve.Dashboard;
using Serve.Replicas;
using static Serve.Runtime.Tests.Composition.CompositionKit;
using static Serve.Runtime.Tests.Control.ReconcileKit;

namespace Serve.Runtime.Tests.Control;

/// <summary>
/// Replica recovery on the controller, on a fake clock: health checks every <c>health_check_period_s</c> within
/// <c>health_check_timeout_s</c>, a replica failing three in a row taken out of routing, drained and replaced (the
/// deployment UNHEALTHY meanwhile), Ray's constructor retries at deploy and unlimited ones for a replacement, and the
/// callers of requests that outlive a stopped replica's drain answered UNAVAILABLE instead of waiting forever.
/// </summary>
public sealed class HealthCheckTests : IAsyncLifetime
{
    /// <summary>Turns a hang (a regression) into a failure; never reached when the code works.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private const string UnhealthyMessage = "A replica's health check failed. This deployment will be UNHEALTHY until the replica recovers or a new deploy happens.";

    /// <summary>Ray's DEPLOY_FAILED message for <paramref name="failures"/> failed starts, up to the last error.</summary>
    private static string StartFailed(int failures)
        => $"The deployment failed to start {failures} times in a row. This may be due to a problem with its constructor or initial health check failing. See controller logs for details. Error:{Environment.NewLine}";

    private readonly Ward _ward = new();
    private readonly WatchedClock _clock = new();
    private readonly LogCapture _log = new();
    private readonly ServiceProvider _services;
    private readonly ServeController _controller;
    private readonly string _path;

    public HealthCheckTests()
    {
        _services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_clock)
            .AddLogging(logging => logging.AddProvider(_log).SetMinimumLevel(LogLevel.Trace))
            .BuildServiceProvider();
        _controller = new ServeController(NullLogger<ServeController>.Instance, _services);
        _path = Register(() => _ward.Bound());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _ward.EndAll();
        await _controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        _controller.Dispose();
        await _services.DisposeAsync();
    }

    /// <summary>
    /// The patient deployment's options. By default the loop's period is an hour, which no test advances the clock
    /// by: the tests that call <see cref="RoundAsync"/> themselves run each round alone.
    /// </summary>
    private static DeploymentConfig PatientConfig(double period = 3600, double timeout = 1, double graceful = 5, int replicas = 1, int? retries = null) => new()
    {
        Name = "Patient",
        NumReplicas = replicas,
        HealthCheckPeriodS = period,
        HealthCheckTimeoutS = timeout,
        GracefulShutdownTimeoutS = graceful,
        // Longer than the drain: one timer per drain, which the tests advance past at once.
        GracefulShutdownWaitLoopS = 100,
        MaxConstructorRetryCount = retries,
    };

    private ServeConfig Config(DeploymentConfig patient) => ConfigOf(App("app", _path, patient));

    private async Task<DeploymentState> DeployAsync(DeploymentConfig patient)
    {
        await _controller.ApplyAsync(Config(patient)).WaitAsync(Guard);
        return Deployment(_controller, "app", "Patient");
    }

    /// <summary>One round of checks, as the loop runs it.</summary>
    private static Task RoundAsync(DeploymentState deployment) => deployment.Supervisor.CheckAllAsync(CancellationToken.None).WaitAsync(Guard);

    /// <summary>Advances the clock to the loop's next round (its period is 10 s, ±10%) and waits until it checked <paramref name="patient"/>.</summary>
    private async Task LoopRoundAsync(Patient patient)
    {
        var checks = patient.Checks;
        using var guard = new CancellationTokenSource(Guard);
        var due = await _clock.NextTimerAsync(d => d >= TimeSpan.FromSeconds(9) && d <= TimeSpan.FromSeconds(11), guard.Token);
        _clock.Advance(due);
        await Eventually(() => patient.Checks > checks);
    }

    /// <summary>
    /// Advances the clock through every pause between start attempts (100 ms, doubling, at most 5 s) until
    /// <paramref name="work"/> ends; returns the pauses.
    /// </summary>
    private async Task<List<TimeSpan>> ThroughRetriesAsync(Task work)
    {
        var pauses = new List<TimeSpan>();
        using var guard = new CancellationTokenSource(Guard);
        while (true)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(guard.Token);
            var next = _clock.NextTimerAsync(d => d >= TimeSpan.FromMilliseconds(100) && d <= TimeSpan.FromSeconds(5), stop.Token);
            if (await Task.WhenAny(work, next) == work)
            {
                await stop.CancelAsync();
                await work;
                return pauses;
            }
            var pause = await next;
            pauses.Add(pause);
            _clock.Advance(pause);
        }
    }

    private static DeploymentHandle<Patient> Handle(DeploymentState deployment) => new(deployment.HandleTarget);

    /// <summary>The deployment as <c>GET /api/serve/applications/</c> shows it.</summary>
    private JsonElement DeploymentJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ServeDetailsJson.Write(writer, _controller.GetStatus(), 8000, null);
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.GetProperty("applications").GetProperty("app").GetProperty("deployments").GetProperty("Patient").Clone();
    }

    private static (string Id, string State)[] ReplicasIn(JsonElement deployment)
        => [.. deployment.GetProperty("replicas").EnumerateArray().Select(r => (r.GetProperty("replica_id").GetString()!, r.GetProperty("state").GetString()!))];

    private ApplicationStatusView AppStatus() => Assert.Single(_controller.GetStatus().Applications);

    private string[] CheckFailures() => [.. _log.Messages.Where(m => m.StartsWith("Health check for replica", StringComparison.Ordinal))];

    [Fact]
    public async Task A_replica_failing_three_checks_in_a_row_is_replaced_and_the_statuses_say_so_until_it_is()
    {
        // The replacement's first check waits for the test: the deployment is caught mid-replacement.
        _ward.Admit = index => index == 0 ? Checkup.Pass : Checkup.Gate;
        var deployment = await DeployAsync(PatientConfig(period: 10, timeout: 1000));
        var sick = Assert.Single(deployment.Router.Replicas);
        Assert.Equal((DeploymentStatus.Healthy, ApplicationStatus.Running), (deployment.Status, AppStatus().Status));
        // A request runs on the replica through the whole replacement.
        var (entered, release) = (NewSignal(), NewSignal());
        var held = Handle(deployment).Invoke("Hold", (p, _) => p.HoldAsync(entered, release.Task)).AsTask();
        await entered.Task.WaitAsync(Guard);

        _ward[0].Checkup = Checkup.Throw;
        await LoopRoundAsync(_ward[0]);
        await LoopRoundAsync(_ward[0]);
        // Two failures: the replica still serves, and nothing is reported yet.
        await Eventually(() => sick.HealthCheckFailures == 2);
        Assert.Equal([sick], deployment.Router.Replicas);
        Assert.Equal((DeploymentStatus.Healthy, ApplicationStatus.Running), (deployment.Status, AppStatus().Status));

        await LoopRoundAsync(_ward[0]);
        await Eventually(() => deployment.Starting.Count == 1);

        // Out of routing, draining its request, a new replica starting; UNHEALTHY with Ray's trigger and messages.
        Assert.Empty(deployment.Router.Replicas);
        Assert.Equal([sick], deployment.Draining);
        Assert.Equal(ReplicaState.Stopping, sick.State);
        Assert.Equal((DeploymentStatus.Unhealthy, DeploymentStatusTrigger.HealthCheckFailed, UnhealthyMessage),
            (deployment.Status, deployment.StatusTrigger, deployment.Message));
        var status = AppStatus();
        Assert.Equal((ApplicationStatus.Unhealthy, "The deployments ['Patient'] are UNHEALTHY."), (status.Status, status.Message));
        var json = DeploymentJson();
        Assert.Equal(("UNHEALTHY", "HEALTH_CHECK_FAILED", UnhealthyMessage),
            (json.GetProperty("status").GetString(), json.GetProperty("status_trigger").GetString(), json.GetProperty("message").GetString()));
        Assert.Equal("""{"STARTING":1,"STOPPING":1}""", json.GetProperty("replica_states").GetRawText());
        var starting = deployment.Starting[0].Id;
        Assert.Equal([(starting, "STARTING"), (sick.Id, "STOPPING")], ReplicasIn(json));
        Assert.NotEqual(sick.Id, starting);
        Assert.Equal(
            [
                $"Health check for replica '{sick.Id}' failed (1 in a row): InvalidOperationException: patient 0 is sick",
                $"Health check for replica '{sick.Id}' failed (2 in a row): InvalidOperationException: patient 0 is sick",
                $"Health check for replica '{sick.Id}' failed (3 in a row): InvalidOperationException: patient 0 is sick",
            ],
            CheckFailures());

        _ward.Gate.SetResult();
        // Routed to, then reported: both under the replica lock, read here without it.
        await Eventually(() => deployment.Router.Replicas.Count == 1 && deployment.Status == DeploymentStatus.Healthy);

        // The new replica serves, with the id it was STARTING under; HEALTHY with no particular trigger, as in Ray.
        var replacement = deployment.Router.Replicas[0];
        Assert.Equal(starting, replacement.Id);
        Assert.Equal(1, await Handle(deployment).Invoke("Whoami", (p, _) => p.Whoami()).AsTask().WaitAsync(Guard));
        Assert.Equal((DeploymentStatus.Healthy, DeploymentStatusTrigger.Unspecified, ""), (deployment.Status, deployment.StatusTrigger, deployment.Message));
        Assert.Equal((ApplicationStatus.Running, ""), (AppStatus().Status, AppStatus().Message));
        Assert.Empty(deployment.Starting);
        // The old one still drains its request, and is gone once it finished.
        Assert.Equal([(replacement.Id, "RUNNING"), (sick.Id, "STOPPING")], ReplicasIn(DeploymentJson()));
        Assert.False(_ward[0].Disposed);

        release.SetResult();
        Assert.Equal("done by 0", await held.WaitAsync(Guard));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.True(_ward[0].Disposed);
        Assert.Equal(ReplicaState.Stopped, sick.State);
        Assert.Empty(deployment.Draining);
        Assert.Equal([(replacement.Id, "RUNNING")], ReplicasIn(DeploymentJson()));
        Assert.Equal("""{"RUNNING":1}""", DeploymentJson().GetProperty("replica_states").GetRawText());
        Assert.False(_ward[1].Disposed);
    }

    [Fact]
    public async Task A_passing_check_resets_the_count_so_only_three_failures_in_a_row_replace_a_replica()
    {
        var deployment = await DeployAsync(PatientConfig());
        var replica = deployment.Router.Replicas[0];

        _ward[0].Checkup = Checkup.Throw;
        await RoundAsync(deployment);
        await RoundAsync(deployment);
        Assert.Equal(2, replica.HealthCheckFailures);
        _ward[0].Checkup = Checkup.Pass;
        await RoundAsync(deployment);
        Assert.Equal(0, replica.HealthCheckFailures);
        Assert.Contains($"Replica '{replica.Id}' passed the health check after 2 consecutive failures.", _log.Messages);

        _ward[0].Checkup = Checkup.Throw;
        await RoundAsync(deployment);
        await RoundAsync(deployment);
        Assert.Equal([replica], deployment.Router.Replicas);
        Assert.Equal(DeploymentStatus.Healthy, deployment.Status);
        Assert.Equal(1, _ward.Attempts);

        await RoundAsync(deployment);
        Assert.NotSame(replica, Assert.Single(deployment.Router.Replicas));
        Assert.Equal(2, _ward.Attempts);
    }

    [Theory]
    [InlineData(Checkup.Throw, "InvalidOperationException: patient 0 is sick")]
    [InlineData(Checkup.ReturnFalse, "InvalidOperationException: CheckHealthAsync returned false.")]
    [InlineData(Checkup.Hang, "no response within health_check_timeout_s=1s")]
    [InlineData(Checkup.Block, "no response within health_check_timeout_s=1s")]
    public async Task A_check_that_throws_returns_false_never_answers_or_blocks_its_thread_fails(Checkup checkup, string reason)
    {
        var deployment = await DeployAsync(PatientConfig(timeout: 1));
        var replica = deployment.Router.Replicas[0];
        _ward[0].Checkup = checkup;

        for (var round = 1; round <= 3; round++)
        {
            var checks = _ward[0].Checks;
            // Off the test's thread: a check that blocked it would hang the test instead of failing it.
            var running = Task.Run(() => deployment.Supervisor.CheckAllAsync(CancellationToken.None));
            await Eventually(() => _ward[0].Checks > checks);
            if (checkup is Checkup.Hang or Checkup.Block)
            {
                // The check's timeout runs on the host's clock: only this ends the round.
                _clock.Advance(TimeSpan.FromSeconds(1));
            }
            await running.WaitAsync(Guard);
            Assert.Equal($"Health check for replica '{replica.Id}' failed ({round} in a row): {reason}", CheckFailures()[^1]);
        }

        Assert.NotSame(replica, Assert.Single(deployment.Router.Replicas));
        Assert.Equal(3, CheckFailures().Length);
    }

    [Fact]
    public async Task User_methods_that_throw_on_every_call_do_not_make_a_replica_unhealthy()
    {
        var deployment = await DeployAsync(PatientConfig());
        var replica = deployment.Router.Replicas[0];
        var handle = Handle(deployment);

        for (var round = 0; round < 3; round++)
        {
            for (var call = 0; call < 5; call++)
            {
                var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => handle.Invoke("Broken", (p, _) => p.Broken()).AsTask().WaitAsync(Guard));
                Assert.Equal("patient 0's method bug", ex.Message);
            }
            await RoundAsync(deployment);
        }

        Assert.Equal([replica], deployment.Router.Replicas);
        Assert.Equal(0, replica.HealthCheckFailures);
        Assert.Equal((DeploymentStatus.Healthy, ApplicationStatus.Running), (deployment.Status, AppStatus().Status));
        Assert.Empty(CheckFailures());
        Assert.Equal(1, _ward.Attempts);
    }

    [Fact]
    public async Task A_replacement_whose_constructor_fails_is_retried_with_growing_pauses_until_it_starts()
    {
        _ward.Admit = index => index == 0 ? Checkup.Pass : Checkup.Gate;
        var deployment = await DeployAsync(PatientConfig(timeout: 30, graceful: 20));
        var sick = deployment.Router.Replicas[0];
        _ward[0].Checkup = Checkup.Throw;
        await RoundAsync(deployment);
        await RoundAsync(deployment);
        // Attempt 1 was the deploy's; the replacement's first three fail. A running deployment has no retry limit.
        _ward.FailAttempt = attempt => attempt is >= 2 and <= 4;

        var replacing = RoundAsync(deployment);
        // Done once the instance of the replacement's fourth attempt exists and its first check waits.
        var pauses = await ThroughRetriesAsync(Task.Run(async () => await Eventually(() => _ward.Patients.TryGetValue(1, out var patient) && patient.Checks == 1)));

        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)], pauses);
        Assert.Equal(5, _ward.Attempts);
        Assert.Equal(3, _log.Messages.Count(m => m.StartsWith("App 'app': a replica of deployment 'Patient' failed to start. Retrying. Error: Replica 0 of deployment 'Patient' failed to start: System.IO.InvalidDataException: no weights (attempt ", StringComparison.Ordinal)));
        // The replacement's fourth attempt constructed an instance whose first check runs: STARTING, and UNHEALTHY all along.
        Assert.Empty(deployment.Router.Replicas);
        Assert.Equal(DeploymentStatus.Unhealthy, deployment.Status);
        Assert.Equal("""{"STARTING":1}""", DeploymentJson().GetProperty("replica_states").GetRawText());
        Assert.Equal(ApplicationStatus.Unhealthy, AppStatus().Status);

        _ward.Gate.SetResult();
        await replacing;
        var replacement = Assert.Single(deployment.Router.Replicas);
        Assert.NotEqual(sick.Id, replacement.Id);
        Assert.Equal(1, await Handle(deployment).Invoke("Whoami", (p, _) => p.Whoami()).AsTask().WaitAsync(Guard));
        Assert.Equal((DeploymentStatus.Healthy, DeploymentStatusTrigger.Unspecified), (deployment.Status, deployment.StatusTrigger));
        Assert.Equal(ApplicationStatus.Running, AppStatus().Status);
    }

    [Fact]
    public async Task A_constructor_failing_twice_then_succeeding_deploys()
    {
        _ward.FailAttempt = attempt => attempt <= 2;

        var pauses = await ThroughRetriesAsync(_controller.ApplyAsync(Config(PatientConfig(timeout: 30))));

        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], pauses);
        Assert.Equal(3, _ward.Attempts);
        Assert.Equal(ApplicationStatus.Running, AppStatus().Status);
        var deployment = Deployment(_controller, "app", "Patient");
        Assert.Equal((DeploymentStatus.Healthy, 1), (deployment.Status, deployment.Router.Replicas.Count));
        var retries = _log.Messages.Where(m => m.StartsWith("App 'app': a replica", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, retries.Length);
        Assert.StartsWith("App 'app': a replica of deployment 'Patient' failed to start. Retrying 2 more time(s). Error: Replica 0 of deployment 'Patient' failed to start: System.IO.InvalidDataException: no weights (attempt 1)" + Environment.NewLine, retries[0]);
        Assert.StartsWith("App 'app': a replica of deployment 'Patient' failed to start. Retrying 1 more time(s). Error: Replica 0 of deployment 'Patient' failed to start: System.IO.InvalidDataException: no weights (attempt 2)" + Environment.NewLine, retries[1]);
    }

    [Theory]
    // Ray's budget: min(max_constructor_retry_count, 3 × num_replicas), max_constructor_retry_count 20 by default.
    [InlineData(1, null, 3)]
    [InlineData(2, null, 6)]
    [InlineData(7, null, 20)]
    [InlineData(3, 4, 4)]
    [InlineData(2, 1, 1)]
    public async Task A_constructor_that_always_fails_is_DEPLOY_FAILED_after_Rays_number_of_attempts_with_the_last_error(int replicas, int? retries, int attempts)
    {
        _ward.FailAttempt = _ => true;

        await ThroughRetriesAsync(_controller.ApplyAsync(Config(PatientConfig(timeout: 30, replicas: replicas, retries: retries))));

        Assert.Equal(attempts, _ward.Attempts);
        var status = AppStatus();
        Assert.Equal(ApplicationStatus.DeployFailed, status.Status);
        Assert.StartsWith(StartFailed(attempts)
            + $"Replica 0 of deployment 'Patient' failed to start: System.IO.InvalidDataException: no weights (attempt {attempts}){Environment.NewLine}", status.Message);
        Assert.Equal(status.Message, _controller.FailedApplications["app"]);
        Assert.Empty(_controller.Applications);
    }

    [Fact]
    public async Task Once_a_replica_started_start_failures_are_retried_beyond_the_budget()
    {
        // Two replicas: a budget of 6 failures, but the first replica started, so the second is retried until it starts.
        _ward.FailAttempt = attempt => attempt is >= 2 and <= 12;

        await ThroughRetriesAsync(_controller.ApplyAsync(Config(PatientConfig(timeout: 30, replicas: 2))));

        Assert.Equal(13, _ward.Attempts);
        Assert.Equal(ApplicationStatus.Running, AppStatus().Status);
        Assert.Equal(2, Deployment(_controller, "app", "Patient").Router.Replicas.Count);
    }

    [Fact]
    public async Task A_first_health_check_failing_at_start_is_a_start_failure()
    {
        // Instances 0 and 1 fail their first check; instance 2 passes it and serves.
        _ward.Admit = index => index < 2 ? Checkup.ReturnFalse : Checkup.Pass;

        var pauses = await ThroughRetriesAsync(_controller.ApplyAsync(Config(PatientConfig(timeout: 30))));

        Assert.Equal(2, pauses.Count);
        var deployment = Deployment(_controller, "app", "Patient");
        Assert.Equal(2, await Handle(deployment).Invoke("Whoami", (p, _) => p.Whoami()).AsTask().WaitAsync(Guard));
        Assert.True(_ward[0].Disposed);
        Assert.True(_ward[1].Disposed);
        Assert.Equal(1, _ward[0].Checks);

        // Failing it every time fails the deploy, saying why.
        _ward.Admit = _ => Checkup.ReturnFalse;
        await ThroughRetriesAsync(_controller.ApplyAsync(ConfigOf(App("other", Register(() => _ward.Bound()), PatientConfig(timeout: 30)))));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        var failed = Assert.Single(_controller.GetStatus().Applications);
        Assert.Equal(("other", ApplicationStatus.DeployFailed), (failed.Name, failed.Status));
        Assert.Equal(StartFailed(3)
            + "Replica 0 of deployment 'Patient' failed its first health check: InvalidOperationException: CheckHealthAsync returned false.", failed.Message);
        Assert.All(_ward.Patients.Values, p => Assert.True(p.Disposed));
    }

    [Fact]
    public async Task A_request_outliving_a_replaced_replicas_graceful_shutdown_timeout_gets_DeploymentUnavailableException()
    {
        var deployment = await DeployAsync(PatientConfig(graceful: 5));
        var sick = deployment.Router.Replicas[0];
        var entered = NewSignal();
        // Never released: the method is wedged.
        var wedged = Handle(deployment).Invoke("Hold", (p, _) => p.HoldAsync(entered, new TaskCompletionSource().Task)).AsTask();
        await entered.Task.WaitAsync(Guard);
        using var guard = new CancellationTokenSource(Guard);

        _ward[0].Checkup = Checkup.Throw;
        for (var round = 0; round < 3; round++)
        {
            await RoundAsync(deployment);
        }
        Assert.Equal([sick], deployment.Draining);
        var drain = await _clock.NextTimerAsync(d => d == TimeSpan.FromSeconds(5), guard.Token);
        _clock.Advance(drain - TimeSpan.FromMilliseconds(1));
        Assert.False(wedged.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        var ex = await Assert.ThrowsAsync<DeploymentUnavailableException>(() => wedged.WaitAsync(Guard));
        Assert.Equal($"Replica '{sick.Id}' of deployment 'Patient' was stopped before the request finished; retry it.", ex.Message);
        Assert.Equal("Patient", ex.DeploymentName);
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.True(_ward[0].Disposed);
        Assert.Empty(deployment.Draining);
        Assert.Contains(_log.Messages, m => m.StartsWith($"Replica '{sick.Id}' did not shut down after its grace period (graceful_shutdown_timeout_s); stopping it with 1 request(s) still running", StringComparison.Ordinal));
        // The replacement serves.
        Assert.Equal(1, await Handle(deployment).Invoke("Whoami", (p, _) => p.Whoami()).AsTask().WaitAsync(Guard));
    }

    [Fact]
    public async Task A_request_finishing_within_a_replaced_replicas_graceful_shutdown_timeout_completes_normally()
    {
        var deployment = await DeployAsync(PatientConfig(graceful: 5));
        var (entered, release) = (NewSignal(), NewSignal());
        var held = Handle(deployment).Invoke("Hold", (p, _) => p.HoldAsync(entered, release.Task)).AsTask();
        await entered.Task.WaitAsync(Guard);

        _ward[0].Checkup = Checkup.Throw;
        for (var round = 0; round < 3; round++)
        {
            await RoundAsync(deployment);
        }
        Assert.False(held.IsCompleted);
        release.SetResult();

        // No clock moved: the drain ended when the request returned.
        Assert.Equal("done by 0", await held.WaitAsync(Guard));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.True(_ward[0].Disposed);
        Assert.DoesNotContain(_log.Messages, m => m.Contains("did not shut down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_new_health_check_timeout_applies_to_the_next_check_without_restarting_the_replica()
    {
        var deployment = await DeployAsync(PatientConfig(timeout: 30));
        var ids = ReplicaIds(_controller, "app");

        await _controller.ApplyAsync(Config(PatientConfig(timeout: 2))).WaitAsync(Guard);

        Assert.Equal(ids, ReplicaIds(_controller, "app"));
        Assert.Equal(1, _ward.Attempts);
        Assert.Equal(2, DeploymentJson().GetProperty("deployment_config").GetProperty("health_check_timeout_s").GetDouble());
        _ward[0].Checkup = Checkup.Hang;
        var round = RoundAsync(deployment);
        // Two seconds, not thirty, end the check.
        _clock.Advance(TimeSpan.FromSeconds(2));
        await round;
        Assert.Equal($"Health check for replica '{ids["Patient"][0]}' failed (1 in a row): no response within health_check_timeout_s=2s", Assert.Single(CheckFailures()));
    }

    [Fact]
    public async Task A_shorter_health_check_period_applies_to_the_running_loop_without_restarting_the_replica()
    {
        // An hour between checks, then ten seconds.
        await DeployAsync(PatientConfig(period: 3600, timeout: 1000));
        var ids = ReplicaIds(_controller, "app");

        await _controller.ApplyAsync(Config(PatientConfig(period: 10, timeout: 1000))).WaitAsync(Guard);

        Assert.Equal(ids, ReplicaIds(_controller, "app"));
        Assert.Equal(1, _ward.Attempts);
        Assert.Equal(10, DeploymentJson().GetProperty("deployment_config").GetProperty("health_check_period_s").GetDouble());
        Assert.Equal(1, _ward[0].Checks);
        // The loop, which was waiting for its hour, checks within the new period (±10%) and then every period.
        _clock.Advance(TimeSpan.FromSeconds(11));
        await Eventually(() => _ward[0].Checks == 2);
        _clock.Advance(TimeSpan.FromSeconds(11));
        await Eventually(() => _ward[0].Checks == 3);
    }

    [Fact]
    public async Task Removing_the_application_stops_its_health_checks()
    {
        await DeployAsync(PatientConfig(period: 10, timeout: 1000));
        await LoopRoundAsync(_ward[0]);
        Assert.Equal(2, _ward[0].Checks);

        await _controller.DeleteAllAsync().WaitAsync(Guard);
        await _controller.WhenStoppedAsync().WaitAsync(Guard);

        Assert.True(_ward[0].Disposed);
        _clock.Advance(TimeSpan.FromHours(1));
        await Task.Delay(50);
        Assert.Equal(2, _ward[0].Checks);
    }

    [Fact]
    public async Task Removing_the_application_while_a_replacement_starts_disposes_the_half_started_replica()
    {
        // The replacement's first check never answers (and ignores its token); its timeout is far off.
        _ward.Admit = index => index == 0 ? Checkup.Pass : Checkup.Hang;
        var deployment = await DeployAsync(PatientConfig(period: 10, timeout: 1000));
        _ward[0].Checkup = Checkup.Throw;
        for (var round = 0; round < 3; round++)
        {
            await LoopRoundAsync(_ward[0]);
        }
        await Eventually(() => deployment.Starting.Count == 1 && _ward.Patients.ContainsKey(1));

        await _controller.DeleteAllAsync().WaitAsync(Guard);
        await _controller.WhenStoppedAsync().WaitAsync(Guard);

        Assert.True(_ward[0].Disposed);
        Assert.True(_ward[1].Disposed);
        Assert.Empty(deployment.Starting);
        Assert.Empty(deployment.Router.Replicas);
        Assert.Equal(2, _ward.Attempts);
    }
}
