using System.Collections.Concurrent;
using System.ComponentModel;

namespace Serve.Dispatch;

/// <summary>
/// The deployments and application builders of the loaded assemblies, filled by generated module
/// initializers. The host reads it when it resolves a config's <c>import_path</c>; it is never
/// consulted on the request path.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class ServeRegistry
{
    private static readonly ConcurrentDictionary<string, DeploymentDefinition> s_deployments = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Func<ApplicationArgs, Application>> s_builders = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Func<Google.Protobuf.Reflection.FileDescriptor>, bool> s_fileDescriptors = new();

    /// <summary>Registers a deployment under its class's full name; called by generated code.</summary>
    public static void AddDeployment(DeploymentDefinition deployment)
        => s_deployments[deployment.TypeName] = deployment;

    /// <summary>Registers an application builder under <paramref name="importPath"/>; called by generated code.</summary>
    public static void AddApplicationBuilder(string importPath, Func<ApplicationArgs, Application> build)
        => s_builders[importPath] = build;

    /// <summary>
    /// Registers a compiled <c>.proto</c> file's descriptor (lazily: it is built only when asked for);
    /// called by generated code. Server reflection serves these.
    /// </summary>
    public static void AddFileDescriptor(Func<Google.Protobuf.Reflection.FileDescriptor> descriptor)
        => s_fileDescriptors.TryAdd(descriptor, true);

    /// <summary>The descriptors of every registered <c>.proto</c> file.</summary>
    public static IReadOnlyList<Google.Protobuf.Reflection.FileDescriptor> FileDescriptors
        => s_fileDescriptors.Keys.Select(d => d()).Distinct().OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Every registered deployment, by class full name.</summary>
    public static IReadOnlyDictionary<string, DeploymentDefinition> Deployments => s_deployments;

    /// <summary>Every registered application builder, by import path.</summary>
    public static IReadOnlyDictionary<string, Func<ApplicationArgs, Application>> ApplicationBuilders => s_builders;

    /// <summary>
    /// Resolves an <c>import_path</c>: <c>Namespace.Type:Member</c> names an
    /// <see cref="ApplicationBuilderAttribute"/> member; <c>Namespace.Type</c> names a deployment
    /// class whose <c>Bind</c> takes no arguments (services its constructor takes are resolved), bound as is.
    /// </summary>
    public static bool TryBuild(string importPath, ApplicationArgs args, out Application? application, out string? error)
    {
        if (s_builders.TryGetValue(importPath, out var build))
        {
            application = build(args);
            error = null;
            return true;
        }
        if (s_deployments.TryGetValue(importPath, out var deployment))
        {
            if (deployment.BindParameterCount == 0)
            {
                application = new Application(deployment, []);
                error = null;
                return true;
            }
            application = null;
            error = $"Deployment '{importPath}' takes {deployment.BindParameterCount} Bind argument(s); name an [ApplicationBuilder] member that binds them "
                + "instead, or mark [FromServices] the constructor parameters that are services of the host.";
            return false;
        }
        application = null;
        var known = string.Join(", ", s_builders.Keys.Concat(s_deployments.Where(d => d.Value.BindParameterCount == 0).Select(d => d.Key)).Order(StringComparer.Ordinal));
        error = $"Import path '{importPath}' names no application builder or deployment. Known: {(known.Length == 0 ? "(none)" : known)}.";
        return false;
    }
}
