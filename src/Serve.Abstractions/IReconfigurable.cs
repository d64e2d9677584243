using System.Text.Json;

namespace Serve;

/// <summary>
/// A deployment that takes a <c>user_config</c> (Ray Serve's <c>reconfigure</c> method). Serve calls
/// <see cref="ReconfigureAsync"/> on every new replica before it takes requests, and on every running
/// replica when a redeploy changes only the <c>user_config</c>, without restarting it.
/// </summary>
public interface IReconfigurable
{
    /// <summary>Applies <paramref name="userConfig"/>: the deployment's <c>user_config</c>, parsed from the config file or code.</summary>
    ValueTask ReconfigureAsync(JsonElement userConfig, CancellationToken cancellationToken);
}
