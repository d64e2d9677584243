using Microsoft.CodeAnalysis;

namespace Serve.Generators;

/// <summary>Recognizes a deployment's health check by Ray's name, before the binder checks its signature.</summary>
internal static class HealthCheckParser
{
    /// <summary>The names that make a method the health check without <c>[HealthCheck]</c> (Ray's <c>check_health</c>).</summary>
    public static bool HasCheckName(string name) => name is "CheckHealth" or "CheckHealthAsync";

    /// <summary>
    /// True for an instance method named <c>CheckHealth</c> or <c>CheckHealthAsync</c> that takes nothing or one
    /// <see cref="System.Threading.CancellationToken"/>: the health check by name. One taking anything else (an RPC
    /// of the same name, say) is not.
    /// </summary>
    public static bool IsNamedCheck(IMethodSymbol method)
        => HasCheckName(method.Name)
           && !method.IsStatic
           && (method.Parameters.Length == 0
               || (method.Parameters.Length == 1 && method.Parameters[0].RefKind == RefKind.None && WellKnownTypes.CancellationToken.Matches(method.Parameters[0].Type)));
}
