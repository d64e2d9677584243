namespace Serve.Generators.Model;

/// <summary>What a health check returns, which decides how the emitted call adapts it.</summary>
internal enum HealthCheckReturn
{
    Void,
    Task,
    ValueTask,
    Bool,
    TaskOfBool,
    ValueTaskOfBool,
}

/// <summary>The health check the emitter wires into the deployment's definition.</summary>
/// <param name="MethodName">The method, escaped as an identifier.</param>
/// <param name="RawName">The method's name as written, for the failure message.</param>
/// <param name="TakesCancellationToken">True when it takes the check's token.</param>
/// <param name="Return">What it returns.</param>
internal sealed record HealthCheckModel(string MethodName, string RawName, bool TakesCancellationToken, HealthCheckReturn Return);
