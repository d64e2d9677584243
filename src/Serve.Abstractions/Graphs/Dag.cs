namespace Serve;

/// <summary>
/// A deployment graph authored in code (Ray Serve's pipeline DAG): an <see cref="InputNode{T}"/>, calls
/// to bound deployments whose arguments are other nodes, and an output node. Pass it to an ingress
/// deployment's constructor (its <c>Bind</c>): the graph's deployments join the application, scale
/// independently, and the ingress runs the graph per request with <see cref="ExecuteAsync"/>, turning
/// its HTTP or gRPC request into the input. Run it without a server in local testing mode.
/// </summary>
/// <typeparam name="TInput">The graph's input.</typeparam>
/// <typeparam name="TOutput">The graph's output.</typeparam>
public sealed class Dag<TInput, TOutput> : IDeploymentGraphArgument
{
    private readonly InputNode<TInput> _input;
    private readonly DagNode<TOutput> _output;
    private readonly Dictionary<Application, object>? _handles;

    internal Dag(InputNode<TInput> input, DagNode<TOutput> output, IReadOnlyList<Application> deployments, Dictionary<Application, object>? handles)
    {
        _input = input;
        _output = output;
        Deployments = deployments;
        _handles = handles;
    }

    /// <summary>The bound deployments the graph calls, each once, in the order they are first reached.</summary>
    public IReadOnlyList<Application> Deployments { get; }

    /// <summary>True when the graph's deployments are reachable (a copy made by the runtime for a replica).</summary>
    public bool IsBound => _handles is not null;

    /// <summary>
    /// Runs the graph on <paramref name="input"/>: every call node starts as soon as its arguments are
    /// ready (independent branches run concurrently), each node runs once, and the output node's value is
    /// returned. The first failure among the calls the output depends on is thrown.
    /// </summary>
    public async Task<TOutput> ExecuteAsync(TInput input, CancellationToken cancellationToken = default)
    {
        if (_handles is null)
        {
            throw new InvalidOperationException(
                "This graph is not deployed: pass it to an ingress deployment's Bind and serve that application, or run it with LocalTestingMode.");
        }
        var execution = new DagExecution(input, _handles, cancellationToken);
        try
        {
            return await _output.Evaluate(execution).ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            execution.Dispose();
        }
    }

    /// <inheritdoc />
    object IDeploymentGraphArgument.BindHandles(Func<Application, object> handleFor)
    {
        ArgumentNullException.ThrowIfNull(handleFor);
        var handles = new Dictionary<Application, object>(ReferenceEqualityComparer.Instance);
        foreach (var deployment in Deployments)
        {
            handles[deployment] = handleFor(deployment);
        }
        return new Dag<TInput, TOutput>(_input, _output, Deployments, handles);
    }
}

/// <summary>Builds deployment graphs: <see cref="Build{TInput, TOutput}"/>, and call nodes on bound deployments.</summary>
public static class Dag
{
    /// <summary>
    /// Builds a graph: <paramref name="build"/> receives the input node (Ray's <c>with InputNode() as
    /// dag_input</c>) and returns the output node.
    /// </summary>
    /// <example><code>
    /// var dag = Dag.Build&lt;int[], int&gt;(input =&gt;
    /// {
    ///     var m1 = Model.Bind(1);
    ///     var m2 = Model.Bind(2);
    ///     return Ensemble.Bind().Call((e, a, b, c) =&gt; e.Combine(a, b, c),
    ///         m1.Call((m, x) =&gt; m.Forward(x), input.At(0)),
    ///         m2.Call((m, x) =&gt; m.Forward(x), input.At(1)),
    ///         input.At(2));
    /// });
    /// </code></example>
    public static Dag<TInput, TOutput> Build<TInput, TOutput>(Func<InputNode<TInput>, DagNode<TOutput>> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var input = new InputNode<TInput>();
        var output = build(input) ?? throw new InvalidOperationException("The graph builder returned no output node.");
        var visitor = new DagVisitor();
        output.Visit(visitor);
        if (!visitor.Contains(input))
        {
            throw new InvalidOperationException("The graph's output does not depend on its input node.");
        }
        if (visitor.InputCount > 1)
        {
            throw new InvalidOperationException("The graph uses the input node of another graph; build each graph from its own input.");
        }
        return new Dag<TInput, TOutput>(input, output, visitor.Deployments, handles: null);
    }

    /// <summary>A node calling <paramref name="deployment"/> without arguments.</summary>
    public static DagNode<TResult> Call<TDeployment, TResult>(this Application<TDeployment> deployment,
        Func<DeploymentHandle<TDeployment>, DeploymentResponse<TResult>> call)
        where TDeployment : class
    {
        ArgumentNullException.ThrowIfNull(call);
        return new CallNode<TDeployment, TResult>(Check(deployment), [], (handle, _) => call(handle));
    }

    /// <summary>A node calling <paramref name="deployment"/> with one node's value (Ray's <c>m1.forward.bind(x)</c>).</summary>
    public static DagNode<TResult> Call<TDeployment, T1, TResult>(this Application<TDeployment> deployment,
        Func<DeploymentHandle<TDeployment>, DeploymentArg<T1>, DeploymentResponse<TResult>> call, DagNode<T1> arg1)
        where TDeployment : class
    {
        ArgumentNullException.ThrowIfNull(call);
        return new CallNode<TDeployment, TResult>(Check(deployment), [Check(arg1)], (handle, e) => call(handle, arg1.Evaluate(e)));
    }

    /// <summary>A node calling <paramref name="deployment"/> with two nodes' values.</summary>
    public static DagNode<TResult> Call<TDeployment, T1, T2, TResult>(this Application<TDeployment> deployment,
        Func<DeploymentHandle<TDeployment>, DeploymentArg<T1>, DeploymentArg<T2>, DeploymentResponse<TResult>> call, DagNode<T1> arg1, DagNode<T2> arg2)
        where TDeployment : class
    {
        ArgumentNullException.ThrowIfNull(call);
        return new CallNode<TDeployment, TResult>(Check(deployment), [Check(arg1), Check(arg2)],
            (handle, e) => call(handle, arg1.Evaluate(e), arg2.Evaluate(e)));
    }

    /// <summary>A node calling <paramref name="deployment"/> with three nodes' values.</summary>
    public static DagNode<TResult> Call<TDeployment, T1, T2, T3, TResult>(this Application<TDeployment> deployment,
        Func<DeploymentHandle<TDeployment>, DeploymentArg<T1>, DeploymentArg<T2>, DeploymentArg<T3>, DeploymentResponse<TResult>> call,
        DagNode<T1> arg1, DagNode<T2> arg2, DagNode<T3> arg3)
        where TDeployment : class
    {
        ArgumentNullException.ThrowIfNull(call);
        return new CallNode<TDeployment, TResult>(Check(deployment), [Check(arg1), Check(arg2), Check(arg3)],
            (handle, e) => call(handle, arg1.Evaluate(e), arg2.Evaluate(e), arg3.Evaluate(e)));
    }

    /// <summary>A node calling <paramref name="deployment"/> with four nodes' values.</summary>
    public static DagNode<TResult> Call<TDeployment, T1, T2, T3, T4, TResult>(this Application<TDeployment> deployment,
        Func<DeploymentHandle<TDeployment>, DeploymentArg<T1>, DeploymentArg<T2>, DeploymentArg<T3>, DeploymentArg<T4>, DeploymentResponse<TResult>> call,
        DagNode<T1> arg1, DagNode<T2> arg2, DagNode<T3> arg3, DagNode<T4> arg4)
        where TDeployment : class
    {
        ArgumentNullException.ThrowIfNull(call);
        return new CallNode<TDeployment, TResult>(Check(deployment), [Check(arg1), Check(arg2), Check(arg3), Check(arg4)],
            (handle, e) => call(handle, arg1.Evaluate(e), arg2.Evaluate(e), arg3.Evaluate(e), arg4.Evaluate(e)));
    }

    /// <summary>A node whose value is the element at <paramref name="index"/> of this node's array (Ray's <c>dag_input[0]</c>).</summary>
    public static DagNode<T> At<T>(this DagNode<T[]> node, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return node.Select(values => index < values.Length
            ? values[index]
            : throw new ArgumentException($"The graph reads element {index} of its input, which has {values.Length} element(s).", nameof(index)));
    }

    /// <summary>A node whose value is the element at <paramref name="index"/> of this node's list.</summary>
    public static DagNode<T> At<T>(this DagNode<IReadOnlyList<T>> node, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return node.Select(values => index < values.Count
            ? values[index]
            : throw new ArgumentException($"The graph reads element {index} of its input, which has {values.Count} element(s).", nameof(index)));
    }

    private static T Check<T>(T value) where T : class => value ?? throw new ArgumentNullException(nameof(value));
}

/// <summary>Walks a graph once: its deployments in first-reached order, and whether it reaches a given node.</summary>
internal sealed class DagVisitor
{
    private readonly HashSet<DagNode> _nodes = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Application> _seenDeployments = new(ReferenceEqualityComparer.Instance);
    private readonly List<Application> _deployments = [];

    public IReadOnlyList<Application> Deployments => _deployments;

    /// <summary>How many input nodes the graph reaches: more than one means nodes of another graph were mixed in.</summary>
    public int InputCount { get; private set; }

    public bool Contains(DagNode node) => _nodes.Contains(node);

    public void Add(DagNode node, Application? deployment)
    {
        if (!_nodes.Add(node))
        {
            return;
        }
        if (node is IInputNode)
        {
            InputCount++;
        }
        if (deployment is not null && _seenDeployments.Add(deployment))
        {
            _deployments.Add(deployment);
        }
    }
}

/// <summary>Marks input nodes, whatever their type argument.</summary>
internal interface IInputNode;

/// <summary>One run of a graph: its input, each node's value so far, and the handles to its deployments.</summary>
internal sealed class DagExecution(object? input, Dictionary<Application, object> handles, CancellationToken cancellationToken) : IDisposable
{
    private readonly Dictionary<DagNode, object> _values = new(ReferenceEqualityComparer.Instance);
    private List<CancellationTokenRegistration>? _registrations;

    public object? Input => input;

    public bool TryGet(DagNode node, out object value) => _values.TryGetValue(node, out value!);

    public void Remember(DagNode node, object value) => _values[node] = value;

    public object HandleFor(Application deployment)
        => handles.TryGetValue(deployment, out var handle)
            ? handle
            : throw new InvalidOperationException($"Deployment '{deployment.Name}' is not part of this graph.");

    /// <summary>Cancels a started call when the execution is cancelled.</summary>
    public void Track(DeploymentResponse response)
    {
        if (cancellationToken.CanBeCanceled)
        {
            (_registrations ??= []).Add(cancellationToken.UnsafeRegister(static state => ((DeploymentResponse)state!).Cancel(), response));
        }
    }

    public void Dispose()
    {
        if (_registrations is not null)
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }
        }
    }
}
