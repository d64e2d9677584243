using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes the definition's health check: the user's method adapted to one task that fails when unhealthy.</summary>
internal static class HealthCheckEmitter
{
    public static void EmitDefinitionProperty(SourceWriter w, DeploymentModel model, HealthCheckModel check)
    {
        var call = "((" + model.GlobalTypeName + ")instance)." + check.MethodName + "(" + (check.TakesCancellationToken ? "cancellationToken" : "") + ")";
        var name = CSharp.Literal(check.RawName);
        var body = check.Return switch
        {
            HealthCheckReturn.Void => "{ " + call + "; return default; }",
            HealthCheckReturn.Task => "new global::System.Threading.Tasks.ValueTask(" + call + ")",
            HealthCheckReturn.ValueTask => call,
            _ => "global::Serve.Dispatch.HealthCheckCalls.FromResult(" + call + ", " + name + ")",
        };
        w.Line("    HealthCheck = static (instance, cancellationToken) => " + body + ",");
    }
}
