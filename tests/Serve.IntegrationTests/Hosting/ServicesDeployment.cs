using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serve.Http;
using FromServices = Microsoft.AspNetCore.Mvc.FromServicesAttribute;

namespace Serve.IntegrationTests.Hosting;

/// <summary>A user's own service, registered by the test host.</summary>
public interface IGreetingStore
{
    string Greeting { get; }
}

public sealed class GreetingStore(string greeting) : IGreetingStore
{
    public string Greeting => greeting;
}

/// <summary>Registered scoped: each replica gets its own, disposed when the replica stops.</summary>
public sealed class ReplicaScope : IDisposable
{
    private static int s_disposed;

    public static int Disposed => Volatile.Read(ref s_disposed);

    public string Id { get; } = Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => Interlocked.Increment(ref s_disposed);
}

public sealed class GreeterOptions
{
    public string Punctuation { get; set; } = ".";
}

/// <summary>Never registered: a deployment that takes it cannot start.</summary>
public interface IUnregistered;

/// <summary>
/// A deployment whose constructor takes services of every kind next to one bound argument: what the host always
/// has (inferred from the type), the user's own (<c>[FromServices]</c>), a keyed one and an optional one nobody
/// registered.
/// </summary>
[Deployment(NumReplicas = 2)]
public sealed partial class ServicesDeployment(
    string suffix,
    ILogger<ServicesDeployment> logger,
    IOptions<GreeterOptions> options,
    IHttpClientFactory httpClients,
    TimeProvider time,
    [FromServices] IGreetingStore store,
    [FromServices] ReplicaScope scope,
    [FromKeyedServices("shout")] Func<string, string> shout,
    [FromServices] IUnregistered? optional = null)
{
    [HttpGet("/greet/{name}")]
    public string Greet(string name)
    {
        logger.LogInformation("greeting {Name}", name);
        using var client = httpClients.CreateClient();
        return string.Join("|", shout($"{store.Greeting} {name}{options.Value.Punctuation}"), suffix, time.GetType().Name,
            client.Timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), optional is null ? "no-optional" : "optional", scope.Id);
    }
}

/// <summary>A deployment whose constructor takes a service nobody registered.</summary>
[Deployment]
public sealed partial class NeedsUnregistered(ILogger<NeedsUnregistered> logger, [FromServices] IUnregistered unregistered)
{
    [HttpGet("/")]
    public string Get() => logger.GetType().Name + unregistered.GetType().Name;
}

public static class ServicesApplications
{
    [ApplicationBuilder]
    public static Application Greeter(ApplicationArgs args) => ServicesDeployment.Bind(args.GetString("suffix", "none")!);
}

/// <summary>
/// The tests that run <see cref="ServicesDeployment"/>: one at a time, since <see cref="ReplicaScope.Disposed"/> counts the
/// scopes of every host in the process.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ServicesDeploymentCollection
{
    public const string Name = "ServicesDeployment hosts";
}
