using System.ComponentModel;

namespace Serve.Dispatch;

/// <summary>
/// Turns a deployment's health check, whatever its return type, into the one shape the runtime calls: a task that
/// fails when the replica is unhealthy. Called by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HealthCheckCalls
{
    /// <summary>A check returning <see langword="bool"/>: <see langword="false"/> fails it.</summary>
    /// <param name="healthy">What the check returned.</param>
    /// <param name="method">The method's name, for the failure message.</param>
    public static ValueTask FromResult(bool healthy, string method)
        => healthy ? default : ValueTask.FromException(Unhealthy(method));

    /// <summary>A check returning <c>Task&lt;bool&gt;</c>: <see langword="false"/> fails it.</summary>
    /// <param name="check">The running check.</param>
    /// <param name="method">The method's name, for the failure message.</param>
    public static ValueTask FromResult(Task<bool> check, string method)
        => FromResult(new ValueTask<bool>(check), method);

    /// <summary>A check returning <c>ValueTask&lt;bool&gt;</c>: <see langword="false"/> fails it.</summary>
    /// <param name="check">The running check.</param>
    /// <param name="method">The method's name, for the failure message.</param>
    public static ValueTask FromResult(ValueTask<bool> check, string method)
    {
        if (check.IsCompletedSuccessfully)
        {
            return FromResult(check.Result, method);
        }
        return Await(check, method);

        static async ValueTask Await(ValueTask<bool> check, string method)
        {
            if (!await check.ConfigureAwait(false))
            {
                throw Unhealthy(method);
            }
        }
    }

    private static InvalidOperationException Unhealthy(string method) => new($"{method} returned false.");
}
