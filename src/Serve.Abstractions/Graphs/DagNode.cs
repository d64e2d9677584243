namespace Serve;

/// <summary>
/// A node of a deployment graph authored in code (Ray Serve's DAG API): the graph's input, a part
/// of another node's value, or a call to a bound deployment whose arguments are other nodes. Nodes
/// describe work; a <see cref="Dag{TInput, TOutput}"/> runs them, each node once per execution.
/// </summary>
public abstract class DagNode
{
    private protected DagNode()
    {
    }

    /// <summary>Adds the nodes this node depends on, then itself, to <paramref name="visitor"/>.</summary>
    internal abstract void Visit(DagVisitor visitor);
}

/// <inheritdoc cref="DagNode"/>
/// <typeparam name="T">The node's value type.</typeparam>
public abstract class DagNode<T> : DagNode
{
    private protected DagNode()
    {
    }

    /// <summary>A node whose value is <paramref name="selector"/> applied to this node's value (e.g. a field of the input).</summary>
    public DagNode<TResult> Select<TResult>(Func<T, TResult> selector)
        => new SelectNode<T, TResult>(this, selector ?? throw new ArgumentNullException(nameof(selector)));

    /// <summary>This node's value in <paramref name="execution"/>: a value, or the pending result of a call.</summary>
    internal DeploymentArg<T> Evaluate(DagExecution execution)
    {
        if (execution.TryGet(this, out var known))
        {
            return (DeploymentArg<T>)known;
        }
        var value = EvaluateCore(execution);
        execution.Remember(this, value);
        return value;
    }

    private protected abstract DeploymentArg<T> EvaluateCore(DagExecution execution);
}

/// <summary>
/// The graph's input: the value passed to <see cref="Dag{TInput, TOutput}.ExecuteAsync"/> (Ray's
/// <c>InputNode</c>). The ingress that runs the graph turns an HTTP or gRPC request into it.
/// </summary>
/// <typeparam name="T">The input type.</typeparam>
public sealed class InputNode<T> : DagNode<T>, IInputNode
{
    internal InputNode()
    {
    }

    private protected override DeploymentArg<T> EvaluateCore(DagExecution execution) => new((T)execution.Input!);

    internal override void Visit(DagVisitor visitor) => visitor.Add(this, deployment: null);
}

internal sealed class SelectNode<TSource, TResult>(DagNode<TSource> source, Func<TSource, TResult> selector) : DagNode<TResult>
{
    private protected override DeploymentArg<TResult> EvaluateCore(DagExecution execution)
    {
        var value = source.Evaluate(execution);
        return value.IsValue
            ? new DeploymentArg<TResult>(selector(value.Value))
            : new DeploymentArg<TResult>(SelectAsync(value.AsTask()));
    }

    private async Task<TResult> SelectAsync(Task<TSource> pending) => selector(await pending.ConfigureAwait(false));

    internal override void Visit(DagVisitor visitor)
    {
        source.Visit(visitor);
        visitor.Add(this, deployment: null);
    }
}

/// <summary>A call to a bound deployment's method; its arguments are other nodes.</summary>
internal sealed class CallNode<TDeployment, TResult>(
    Application<TDeployment> deployment,
    DagNode[] dependencies,
    Func<DeploymentHandle<TDeployment>, DagExecution, DeploymentResponse<TResult>> call) : DagNode<TResult>
    where TDeployment : class
{
    private protected override DeploymentArg<TResult> EvaluateCore(DagExecution execution)
    {
        var handle = (DeploymentHandle<TDeployment>)execution.HandleFor(deployment);
        var response = call(handle, execution);
        execution.Track(response);
        return new DeploymentArg<TResult>(response);
    }

    internal override void Visit(DagVisitor visitor)
    {
        foreach (var dependency in dependencies)
        {
            dependency.Visit(visitor);
        }
        visitor.Add(this, deployment);
    }
}
