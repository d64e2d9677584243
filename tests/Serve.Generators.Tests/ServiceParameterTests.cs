using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Serve.Dispatch;
using static Serve.Generators.Tests.ServeGeneratorTest;

namespace Serve.Generators.Tests;

/// <summary>
/// Constructor parameters resolved from a replica's services: which parameters the generator takes out of <c>Bind</c>
/// (host types by name, <c>[FromServices]</c>, <c>[FromKeyedServices]</c>), the factory it emits resolving them from a real
/// container, the message when one is missing, and SERVE0041 for a handle marked to come from services.
/// </summary>
public class ServiceParameterTests
{
    private const string Source = """
        using System;
        using System.Net.Http;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Logging;
        using Microsoft.Extensions.Options;
        using Serve;
        using FromServices = Microsoft.AspNetCore.Mvc.FromServicesAttribute;

        namespace Services.Tests;

        public interface IStore { string Name { get; } }
        public interface IModel { string Name { get; } }
        public sealed class Store : IStore { public string Name => "store"; }
        public sealed class BigModel : IModel { public string Name => "big-model"; }
        public sealed class GpuModel : IModel { public string Name => "gpu-model"; }
        public sealed class Settings { public int Size { get; set; } }
        public enum Slot { Cpu, Gpu }

        [Deployment]
        public sealed partial class Summarizer(
            string label,
            ILogger<Summarizer> logger,
            IOptions<Settings> settings,
            TimeProvider time,
            [FromServices] IStore store,
            [FromKeyedServices("big")] IModel model,
            [FromKeyedServices(Slot.Gpu)] IModel? gpu,
            int size,
            IHttpClientFactory? clients,
            [FromServices] IModel? unkeyed = null)
        {
            public string Describe() => string.Join("|", label, logger is null ? "no-logger" : "logger", settings.Value.Size, time.GetType().Name,
                store.Name, model.Name, gpu?.Name ?? "no-gpu", size, clients is null ? "no-clients" : "clients", unkeyed is null ? "no-unkeyed" : unkeyed.Name);
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHarness.BuildAndLoad(GeneratorHarness.CompileWithAspNetCore(("Services.cs", Source))));

    private static Type Summarizer => s_assembly.Value.GetType("Services.Tests.Summarizer", throwOnError: true)!;

    [Fact]
    public void Bind_takes_only_the_parameters_that_are_not_services()
    {
        var bind = Summarizer.GetMethod("Bind")!;
        Assert.Equal(["label", "size"], bind.GetParameters().Select(p => p.Name));
        var application = (Application)bind.Invoke(null, ["summaries", 3])!;
        Assert.Equal(2, application.Deployment.BindParameterCount);
        Assert.Equal(new object?[] { "summaries", 3 }, application.Arguments);
    }

    [Fact]
    public void The_factory_resolves_host_user_keyed_and_optional_services_from_the_container()
    {
        var storeType = s_assembly.Value.GetType("Services.Tests.IStore", throwOnError: true)!;
        var modelType = s_assembly.Value.GetType("Services.Tests.IModel", throwOnError: true)!;
        var settingsType = s_assembly.Value.GetType("Services.Tests.Settings", throwOnError: true)!;
        var services = new ServiceCollection().AddLogging().AddOptions();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(storeType, Created("Services.Tests.Store"));
        services.AddKeyedSingleton(modelType, "big", Created("Services.Tests.BigModel"));
        // An enum key, as the generated code must spell it outside the user's usings.
        services.AddKeyedSingleton(modelType, Enum.ToObject(s_assembly.Value.GetType("Services.Tests.Slot", throwOnError: true)!, 1), Created("Services.Tests.GpuModel"));
        // IOptions<Settings> with Size = 7, configured through the non-generic container API the loaded type needs.
        var settings = Activator.CreateInstance(settingsType)!;
        settingsType.GetProperty("Size")!.SetValue(settings, 7);
        services.AddSingleton(typeof(Microsoft.Extensions.Options.IOptions<>).MakeGenericType(settingsType),
            typeof(Microsoft.Extensions.Options.OptionsWrapper<>).MakeGenericType(settingsType).GetConstructors()[0].Invoke([settings]));
        using var provider = services.BuildServiceProvider();

        var application = (Application)Summarizer.GetMethod("Bind")!.Invoke(null, ["summaries", 3])!;
        var instance = application.CreateInstance(provider);

        // Optional ones nobody registered (IHttpClientFactory?, an unkeyed IModel with a default) get null.
        Assert.Equal("summaries|logger|7|SystemTimeProvider|store|big-model|gpu-model|3|no-clients|no-unkeyed", Summarizer.GetMethod("Describe")!.Invoke(instance, []));
    }

    [Fact]
    public void A_missing_required_service_names_the_class_the_parameter_and_its_type()
    {
        var application = (Application)Summarizer.GetMethod("Bind")!.Invoke(null, ["summaries", 3])!;
        using var provider = new ServiceCollection().AddLogging().AddOptions().BuildServiceProvider();

        var ex = Assert.Throws<MissingDeploymentServiceException>(() => application.CreateInstance(provider));

        Assert.Equal(
            "'Services.Tests.Summarizer' cannot be constructed: no service of type 'TimeProvider' is registered for its constructor parameter 'time'. "
            + "Register it in the host's services (builder.Services with AddServe, configureServices with ServeCommandLine.RunAsync, the provider given to LocalTestingMode.RunAsync), "
            + "or give the parameter a default value to make it optional.",
            ex.Message);
    }

    [Fact]
    public void A_missing_keyed_service_names_its_key()
    {
        var storeType = s_assembly.Value.GetType("Services.Tests.IStore", throwOnError: true)!;
        var services = new ServiceCollection().AddLogging().AddOptions();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(storeType, Created("Services.Tests.Store"));
        using var provider = services.BuildServiceProvider();
        var application = (Application)Summarizer.GetMethod("Bind")!.Invoke(null, ["summaries", 3])!;

        var ex = Assert.Throws<MissingDeploymentServiceException>(() => application.CreateInstance(provider));

        Assert.StartsWith("'Services.Tests.Summarizer' cannot be constructed: no service of type 'IModel' with key \"big\" is registered for its constructor parameter 'model'.", ex.Message);
    }

    private const string Defaults = """
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Logging;
        using Serve;
        using FromServices = Microsoft.AspNetCore.Mvc.FromServicesAttribute;

        namespace Services.Defaults;

        public enum Slot { Cpu = 1, Gpu = 2 }

        [Deployment]
        public sealed partial class Tuned(
            ILogger logger,
            [FromServices] int retries = 3,
            [FromServices] Slot slot = Slot.Gpu,
            [FromKeyedServices("limit")] string limit = "none",
            [FromServices] int? maybe = null,
            [FromServices] long? unset = null)
        {
            public string Describe() => string.Join("|", logger is null ? "no-logger" : "logger", retries, slot, limit, maybe?.ToString() ?? "null", unset?.ToString() ?? "null");
        }
        """;

    [Fact]
    public void Declared_defaults_fill_unregistered_optional_services_and_a_plain_ILogger_comes_from_the_logger_factory()
    {
        var assembly = GeneratorHarness.BuildAndLoad(GeneratorHarness.CompileWithAspNetCore(("Defaults.cs", Defaults)));
        var tuned = assembly.GetType("Services.Defaults.Tuned", throwOnError: true)!;
        var application = (Application)tuned.GetMethod("Bind")!.Invoke(null, [])!;
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(typeof(int?), (object)7);
        using var provider = services.BuildServiceProvider();

        var instance = application.CreateInstance(provider);

        // Nothing registered for retries, slot or limit: their declared defaults; int? registered: its value.
        Assert.Equal("logger|3|Gpu|none|7|null", tuned.GetMethod("Describe")!.Invoke(instance, []));
        Assert.Equal(0, application.Deployment.BindParameterCount);
    }

    [Fact]
    public void A_plain_ILogger_without_a_logger_factory_names_what_is_missing()
    {
        var assembly = GeneratorHarness.BuildAndLoad(GeneratorHarness.CompileWithAspNetCore(("Defaults.cs", Defaults)));
        var application = (Application)assembly.GetType("Services.Defaults.Tuned", throwOnError: true)!.GetMethod("Bind")!.Invoke(null, [])!;

        var ex = Assert.Throws<MissingDeploymentServiceException>(() => application.CreateInstance(DeploymentServices.None));

        Assert.StartsWith("'Services.Defaults.Tuned' cannot be constructed: no service of type 'ILoggerFactory (for ILogger)' is registered for its constructor parameter 'logger'.", ex.Message);
    }

    [Fact]
    public Task A_constructor_parameter_by_ref_is_SERVE0013_not_a_compiler_error_in_generated_code()
        => VerifyAsync("""
            using Serve;

            namespace D;

            [Deployment]
            public partial class {|#0:Counter|}(ref int start)
            {
                public int Get() => 1;
            }
            """,
            Diagnostic("SERVE0013").WithLocation(0).WithArguments("D.Counter", "takes constructor parameter 'start' by ref or out", "take it by value (or 'in')"));

    [Fact]
    public void Output_matches_snapshot()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithAspNetCore(("Services.cs", Source)));
        Assert.Empty(diagnostics);
        Snapshot.Match("Services.Tests.Summarizer.Serve", GeneratorHarness.GeneratedSource(result, "Services.Tests.Summarizer.Serve.g.cs"));
    }

    [Fact]
    public Task SERVE0041_is_reported_on_a_handle_marked_to_come_from_services()
    {
        var test = new ServeGeneratorTest("""
            using Serve;
            using FromServices = Microsoft.AspNetCore.Mvc.FromServicesAttribute;

            namespace D;

            [Deployment] public partial class Model { public int Get() => 1; }

            [Deployment]
            public partial class Ingress({|#0:[FromServices] DeploymentHandle<Model> model|})
            {
                public int Get() => 1;
            }
            """, withProtos: false, withAspNetCore: true);
        test.ExpectedDiagnostics.Add(Diagnostic("SERVE0041").WithLocation(0).WithArguments("model", "D.Model"));
        return test.RunAsync();
    }

    /// <summary>An instance of a class of the test source.</summary>
    private static object Created(string typeName) => Activator.CreateInstance(s_assembly.Value.GetType(typeName, throwOnError: true)!)!;
}
