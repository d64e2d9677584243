namespace Serve;

/// <summary>
/// Marks a deployment's health check (Ray Serve's <c>check_health</c>). Serve calls it on every replica each
/// <c>health_check_period_s</c> (default 10 s), allowing <c>health_check_timeout_s</c> (default 30 s); a replica
/// whose check throws, returns <see langword="false"/> or times out three times in a row is taken out of routing,
/// stopped and replaced.
/// </summary>
/// <remarks>
/// Without the attribute, a method named <c>CheckHealth</c> or <c>CheckHealthAsync</c> is the health check, as
/// <c>check_health</c> is in Ray. The method is an instance method taking nothing or a
/// <see cref="CancellationToken"/> (cancelled at the timeout) and returning <see langword="void"/>,
/// <see cref="Task"/>, <see cref="ValueTask"/>, <see langword="bool"/>, <see cref="Task{TResult}"/> of bool or
/// <see cref="ValueTask{TResult}"/> of bool. A deployment without one is not health-checked.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class HealthCheckAttribute : Attribute
{
}
