using System.ComponentModel;

namespace Serve;

/// <summary>
/// A constructor argument that contains bound deployments without being one, such as a
/// <see cref="Dag{TInput, TOutput}"/>. Its deployments join the application; each replica receives the
/// copy <see cref="BindHandles"/> returns, whose deployments are reached through handles.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public interface IDeploymentGraphArgument
{
    /// <summary>The bound deployments the argument calls, each once, in the order they were bound.</summary>
    IReadOnlyList<Application> Deployments { get; }

    /// <summary>
    /// Returns a copy of the argument that calls each deployment through the handle
    /// <paramref name="handleFor"/> returns for it. The result must be of the argument's own type.
    /// </summary>
    object BindHandles(Func<Application, object> handleFor);
}
