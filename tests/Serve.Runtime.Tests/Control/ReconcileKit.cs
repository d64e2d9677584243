using System.Collections.Concurrent;
using System.Text.Json;
using Serve.Config;
using Serve.Control;
using Serve.Dispatch;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Control;

/// <summary>
/// Deployments for the reconcile tests: every instance records its construction, each user_config it
/// receives and its disposal in a shared journal, and can hold a call until the test releases it.
/// </summary>
internal sealed class Journal
{
    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>Deployment names whose ReconfigureAsync throws.</summary>
    public ConcurrentDictionary<string, bool> FailReconfigure { get; } = new(StringComparer.Ordinal);

    /// <summary>Deployment names whose constructor throws.</summary>
    public ConcurrentDictionary<string, bool> FailConstructor { get; } = new(StringComparer.Ordinal);

    /// <summary>What every ReconfigureAsync waits for before it returns: a test holds an apply in progress with it.</summary>
    public Task ReconfigureGate { get; set; } = Task.CompletedTask;

    public int Count(string entry) => Events.Count(e => e == entry);

    public string[] Starting(string prefix) => [.. Events.Where(e => e.StartsWith(prefix, StringComparison.Ordinal))];
}

/// <summary>A reconfigurable deployment that takes any number of child handles.</summary>
internal sealed class Tracked(string name, object?[] handles, Journal journal) : IReconfigurable, IDisposable
{
    private int _calls;

    public string Name => name;

    public object?[] Handles => handles;

    /// <summary>The user_configs received, as compact JSON, in order.</summary>
    public ConcurrentQueue<string> Configs { get; } = new();

    public bool Disposed { get; private set; }

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask ReconfigureAsync(JsonElement userConfig, CancellationToken cancellationToken)
    {
        var text = JsonSerializerless(userConfig);
        journal.Events.Enqueue($"reconfigured {name} {text}");
        await journal.ReconfigureGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (journal.FailReconfigure.ContainsKey(name))
        {
            throw new InvalidOperationException("bad user_config " + text);
        }
        Configs.Enqueue(text);
    }

    /// <summary>Enters, then waits for <paramref name="release"/>; returns the user_config this replica has.</summary>
    public async ValueTask<string> HoldAsync(TaskCompletionSource entered, Task release)
    {
        Interlocked.Increment(ref _calls);
        entered.TrySetResult();
        await release.ConfigureAwait(false);
        return Configs.LastOrDefault() ?? "";
    }

    public void Dispose()
    {
        Disposed = true;
        journal.Events.Enqueue("disposed " + name);
    }

    /// <summary>Compact JSON without a serializer: the same value always gives the same text.</summary>
    private static string JsonSerializerless(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            element.WriteTo(writer);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>A plain deployment: no IReconfigurable.</summary>
internal sealed class Plain : IDisposable
{
    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;
}

internal sealed class ReconcileKit(Journal journal)
{
    public Journal Journal => journal;

    public DeploymentDefinition Definition(string name, int children = 0, DeploymentOptions? options = null)
        => Define(name, args =>
        {
            if (journal.FailConstructor.ContainsKey(name))
            {
                throw new InvalidDataException("no weights for " + name);
            }
            journal.Events.Enqueue("created " + name);
            return new Tracked(name, args, journal);
        }, options, children);

    // A fresh object?[]: an Application[] passed as the arguments would reject the handles (array covariance).
    public Application<Tracked> Bound(string name, params Application[] children)
        => Bind<Tracked>(Definition(name, children.Length), [.. children]);

    /// <summary>Registers <paramref name="build"/> under a fresh import path and returns the path.</summary>
    public static string Register(Func<Application> build)
    {
        var importPath = "Tests.Control.Reconcile:App" + Guid.NewGuid().ToString("N");
        ServeRegistry.AddApplicationBuilder(importPath, _ => build());
        return importPath;
    }

    public static ApplicationConfig App(string name, string importPath, params DeploymentConfig[] deployments)
        => new() { Name = name, RoutePrefix = "/" + name, ImportPath = importPath, Deployments = deployments };

    public static ServeConfig ConfigOf(params ApplicationConfig[] apps)
    {
        var config = new ServeConfig { Applications = apps };
        config.Validate();
        return config;
    }

    /// <summary>Each deployment's replica ids, by deployment name.</summary>
    public static Dictionary<string, string[]> ReplicaIds(ServeController controller, string app)
        => controller.Applications.Single(a => a.Name == app).Deployments.ToDictionary(d => d.Name, d => d.Router.Replicas.Select(r => r.Id).ToArray());

    /// <summary>Every replica's instance, in deployment and replica order.</summary>
    public static object[] Instances(ServeController controller, string app)
        => [.. controller.Applications.Single(a => a.Name == app).Deployments.SelectMany(d => d.Router.Replicas).Select(r => r.Instance)];

    public static DeploymentState Deployment(ServeController controller, string app, string deployment)
        => controller.Applications.Single(a => a.Name == app).Deployments.Single(d => d.Name == deployment);
}
