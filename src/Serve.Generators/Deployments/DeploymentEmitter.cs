using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Writes the partial class part of one deployment: Bind, ServeDefinition, and each feature's members by that
/// feature's emitter. Output is deterministic: ordinal order, invariant culture, '\n' line endings.
/// </summary>
internal static class DeploymentEmitter
{
    private const string DeploymentServices = CSharp.Dispatch + "DeploymentServices.";

    /// <param name="assemblyName">The compilation's assembly, which names its shared helper class.</param>
    public static string Emit(DeploymentModel model, string assemblyName)
    {
        var w = new SourceWriter();
        w.Line(CSharp.Header).Line("#nullable enable").Line();
        SharedHelpers.EmitAlias(w, model, assemblyName);
        if (model.Namespace.Length > 0)
        {
            w.Open("namespace " + model.Namespace);
        }
        foreach (var outer in model.ContainingTypes)
        {
            w.Open("partial " + outer.Keyword + " " + outer.Name);
        }
        w.Open("partial " + model.Keyword + " " + model.ClassName);

        var constructor = model.Constructor ?? EquatableArray<ParameterInfo>.Empty;
        var parameters = constructor.Where(p => p.IsBound).ToList();
        var application = "global::Serve.Application<" + model.GlobalTypeName + ">";
        var bindParameters = string.Join(", ", parameters.Select(p => (p.IsHandle ? "global::Serve.Application<" + p.HandleTarget + ">" : p.Type) + " " + p.Name));
        var bindArguments = parameters.Count == 0
            ? "global::System.Array.Empty<object?>()"
            : "new object?[] { " + string.Join(", ", parameters.Select(p => p.Name)) + " }";
        var handles = parameters.Where(p => p.IsHandle).ToList();
        w.Line("/// <summary>")
         .Line("/// Binds the deployment to the arguments its replicas are constructed with (Ray Serve's <c>bind()</c>).")
         .Line("/// Serve the returned application, or return it from an <c>[ApplicationBuilder]</c> member.");
        if (handles.Count > 0)
        {
            w.Line("/// A bound deployment passed for a <c>DeploymentHandle&lt;T&gt;</c> parameter becomes a deployment of the same")
             .Line("/// application, and each replica receives a handle to it.");
        }
        if (parameters.Count < constructor.Count)
        {
            w.Line("/// The constructor's other parameters (" + string.Join(", ", constructor.Where(p => !p.IsBound).Select(p => "<c>" + p.Name.TrimStart('@') + "</c>"))
                + ") are resolved from the host's services for each replica.");
        }
        w.Line("/// </summary>")
         .Line(CSharp.GeneratedCodeAttribute);
        if (handles.Count == 0)
        {
            w.Line("public static " + application + " Bind(" + bindParameters + ")")
             .Line("    => new " + application + "(ServeDefinition, " + bindArguments + ");");
        }
        else
        {
            w.Open("public static " + application + " Bind(" + bindParameters + ")");
            foreach (var handle in handles)
            {
                w.Open("if (" + handle.Name + " is null)")
                 .Line("throw new global::System.ArgumentNullException(nameof(" + handle.Name + "));")
                 .Close();
            }
            w.Line("return new " + application + "(ServeDefinition, " + bindArguments + ");");
            w.Close();
        }
        w.Line();

        w.Line("/// <summary>The deployment as the runtime sees it: name, options, factory" + (HttpEmitter.HasRoutes(model) ? ", gRPC dispatch table and HTTP routes" : " and gRPC dispatch table") + ".</summary>")
         .Line(CSharp.GeneratedCodeAttribute)
         .Line("public static " + CSharp.Dispatch + "DeploymentDefinition ServeDefinition { get; } = new " + CSharp.Dispatch + "DeploymentDefinition(");
        w.Line("    " + CSharp.Literal(model.DeploymentName) + ",");
        w.Line("    " + CSharp.Literal(model.FullTypeName) + ",");
        w.Line("    " + Options(model) + ",");
        w.Line("    " + parameters.Count.ToString(CultureInfo.InvariantCulture) + ",");
        if (model.Constructor is null)
        {
            w.Line("    static (args, services) => throw new global::System.InvalidOperationException(" + CSharp.Literal("Deployment '" + model.FullTypeName + "' has no usable public constructor.") + "),");
        }
        else
        {
            var bound = 0;
            var arguments = constructor.Select(p => p.Service is { } service
                ? ResolveService(model, p, service)
                : "(" + (p.IsHandle ? "global::Serve.DeploymentHandle<" + p.HandleTarget + ">" : p.Type) + ")args[" + (bound++).ToString(CultureInfo.InvariantCulture) + "]!");
            // Batch queues wait on the host's clock, which the instance keeps from its services.
            var (open, close) = BatchEmitter.HasBatches(model) ? (BatchEmitter.WithClock + "(", ", services)") : ("", "");
            if (parameters.Count == constructor.Count)
            {
                w.Line("    static (args, services) => " + open + "new " + model.GlobalTypeName + "(" + string.Join(", ", arguments) + ")" + close + ",");
            }
            else
            {
                // One argument a line: service resolutions are long.
                w.Line("    static (args, services) => " + open + "new " + model.GlobalTypeName + "(");
                var lines = arguments.ToList();
                for (var i = 0; i < lines.Count; i++)
                {
                    w.Line("        " + lines[i] + (i == lines.Count - 1 ? ")" + close + "," : ","));
                }
            }
        }
        w.Line("    " + (model.Services.Count == 0 ? "global::System.Array.Empty<string>()" : "new string[] { " + string.Join(", ", model.Services.Select(CSharp.Literal)) + " }") + ",");
        var validBatches = model.Batches.Where(b => b.IsValid).ToList();
        var hasInitializer = model.Multiplexed is not null || HttpEmitter.HasRoutes(model) || validBatches.Count > 0 || model.HealthCheck is not null;
        var end = hasInitializer ? ")" : ");";
        GrpcEmitter.EmitMethodTable(w, model, end);
        if (hasInitializer)
        {
            w.Line("{");
            if (model.Multiplexed is not null)
            {
                MultiplexingEmitter.EmitDefinitionProperty(w, model);
            }
            if (HttpEmitter.HasRoutes(model))
            {
                HttpEmitter.EmitDefinitionProperties(w, model);
            }
            if (validBatches.Count > 0)
            {
                BatchEmitter.EmitDefinitionProperty(w, model, validBatches);
            }
            if (model.HealthCheck is { } healthCheck)
            {
                HealthCheckEmitter.EmitDefinitionProperty(w, model, healthCheck);
            }
            w.Line("};");
        }

        if (model.Multiplexed is { } multiplexed)
        {
            w.Line();
            MultiplexingEmitter.EmitMembers(w, multiplexed);
        }

        if (BatchEmitter.HasBatches(model))
        {
            w.Line();
            BatchEmitter.EmitClock(w, model);
        }
        foreach (var batch in model.Batches)
        {
            w.Line();
            BatchEmitter.EmitMembers(w, batch);
        }

        if (HttpEmitter.HasRoutes(model))
        {
            HttpEmitter.EmitMembers(w, model);
        }

        w.Close();
        for (var i = 0; i < model.ContainingTypes.Count; i++)
        {
            w.Close();
        }
        if (model.Handles is { } handleExtensions)
        {
            w.Line();
            HandleEmitter.EmitHandleExtensions(w, model, handleExtensions);
        }
        if (model.Namespace.Length > 0)
        {
            w.Close();
        }
        return w.ToString();
    }

    /// <summary>The expression that resolves one service parameter from <c>services</c>, the replica's provider.</summary>
    private static string ResolveService(DeploymentModel model, ParameterInfo parameter, ServiceParameterInfo service)
    {
        var name = CSharp.Literal(parameter.Name.TrimStart('@'));
        var deployment = CSharp.Literal(model.FullTypeName);
        if (service.LoggerCategory is { } category)
        {
            // A non-generic ILogger: the factory's logger named for the class, as ILogger<T> is.
            const string Factory = "global::Microsoft.Extensions.Logging.ILoggerFactory";
            return service.IsOptional
                ? DeploymentServices + "Optional<" + Factory + ">(services)?.CreateLogger(" + CSharp.Literal(category) + ")!"
                : DeploymentServices + "Required<" + Factory + ">(services, " + deployment + ", " + name + ", \"ILoggerFactory (for ILogger)\").CreateLogger(" + CSharp.Literal(category) + ")";
        }
        var type = service.TypeWithoutAnnotation;
        // The declared default when nothing is registered; null or none: default.
        var fallback = service.Fallback is { } value ? ", " + value : "";
        if (service.Key is null)
        {
            return service.IsOptional
                ? DeploymentServices + "Optional<" + type + ">(services" + fallback + ")!"
                : DeploymentServices + "Required<" + type + ">(services, " + deployment + ", " + name + ", " + CSharp.Literal(service.TypeDisplay) + ")";
        }
        var lookup = "(services as global::Microsoft.Extensions.DependencyInjection.IKeyedServiceProvider)?.GetKeyedService(typeof(" + type + "), " + service.Key + ")";
        return service.IsOptional
            ? DeploymentServices + "OptionalKeyed<" + type + ">(" + lookup + fallback + ")!"
            : DeploymentServices + "RequiredKeyed<" + type + ">(" + lookup + ", " + deployment + ", " + name + ", "
                + CSharp.Literal(service.TypeDisplay) + ", " + CSharp.Literal(service.KeyDisplay ?? service.Key) + ")";
    }

    private static string Options(DeploymentModel model)
    {
        var settings = new List<string>();
        if (model.HasExplicitName)
        {
            settings.Add("Name = " + CSharp.Literal(model.DeploymentName));
        }
        if (model.NumReplicas is int numReplicas)
        {
            settings.Add("NumReplicas = " + numReplicas.ToString(CultureInfo.InvariantCulture));
        }
        if (model.MaxOngoingRequests is int maxOngoing)
        {
            settings.Add("MaxOngoingRequests = " + maxOngoing.ToString(CultureInfo.InvariantCulture));
        }
        if (model.MaxQueuedRequests is int maxQueued)
        {
            settings.Add("MaxQueuedRequests = " + maxQueued.ToString(CultureInfo.InvariantCulture));
        }
        return settings.Count == 0 ? "new global::Serve.DeploymentOptions()" : "new global::Serve.DeploymentOptions { " + string.Join(", ", settings) + " }";
    }

    /// <summary>How every deployment's generated file name ends (the CA1822 suppressor recognises them by it).</summary>
    public const string DeploymentFileSuffix = ".Serve.g.cs";

    /// <summary>A hint name for AddSource: the text with every character outside [A-Za-z0-9_.] replaced.</summary>
    public static string HintName(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsLetterOrDigit(chars[i]) && chars[i] < 128) && chars[i] != '.' && chars[i] != '_')
            {
                chars[i] = '_';
            }
        }
        return new string(chars);
    }
}
