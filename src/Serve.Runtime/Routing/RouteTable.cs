using System.Collections.Frozen;
using Serve.Control;

namespace Serve.Routing;

/// <summary>
/// An immutable snapshot of the running applications. The controller publishes a new one on every
/// change; proxies read the current one without locks.
/// </summary>
internal sealed class RouteTable
{
    public static RouteTable NotPopulated { get; } = new([], populated: false);

    /// <param name="applications">The applications, in config order.</param>
    /// <param name="populated">False only for the table before the first config.</param>
    /// <param name="claimsPrefix">Whether the config in force gives an application the prefix it runs at (see
    /// <see cref="ByRoutePrefix"/>); null when every one does.</param>
    public RouteTable(IReadOnlyList<ApplicationState> applications, bool populated = true, Func<ApplicationState, bool>? claimsPrefix = null)
    {
        Populated = populated;
        Applications = applications.ToFrozenDictionary(a => a.Name, StringComparer.Ordinal);
        ByRoutePrefix = RoutesByPrefix(applications, claimsPrefix);
        ApplicationNames = applications.Select(a => a.Name).ToArray();
        Single = applications.Count == 1 ? applications[0] : null;
    }

    /// <summary>
    /// The config keeps route prefixes unique, but a running application whose redeploy to another prefix failed keeps
    /// serving at its old one, which the same config may give to another application: that one gets the prefix.
    /// </summary>
    private static FrozenDictionary<string, ApplicationState> RoutesByPrefix(IReadOnlyList<ApplicationState> applications, Func<ApplicationState, bool>? claimsPrefix)
    {
        var byPrefix = new Dictionary<string, ApplicationState>(applications.Count, StringComparer.Ordinal);
        foreach (var app in applications)
        {
            if (app.RoutePrefix is not { } prefix)
            {
                continue;
            }
            if (!byPrefix.TryGetValue(prefix, out var other) || (claimsPrefix is not null && claimsPrefix(app) && !claimsPrefix(other)))
            {
                byPrefix[prefix] = app;
            }
        }
        return byPrefix.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>False until the controller deployed the config for the first time.</summary>
    public bool Populated { get; }

    public FrozenDictionary<string, ApplicationState> Applications { get; }

    /// <summary>The applications exposed over HTTP, by route prefix (unique, as the config requires).</summary>
    public FrozenDictionary<string, ApplicationState> ByRoutePrefix { get; }

    /// <summary>Application names in config order.</summary>
    public IReadOnlyList<string> ApplicationNames { get; }

    /// <summary>The only application, when exactly one is deployed.</summary>
    public ApplicationState? Single { get; }
}
