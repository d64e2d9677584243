using System.Runtime.CompilerServices;

namespace Serve.IntegrationTests.Composition;

/// <summary>What a <see cref="Counter"/> replica's stream did, for a test to wait on (passed in through <c>Bind</c>).</summary>
public sealed class CounterSignals
{
    /// <summary>Set when a <c>Count</c> stream sees its cancellation token fire.</summary>
    public TaskCompletionSource TokenFired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set with the number of values produced when a <c>Count</c> stream ends, however it ends.</summary>
    public TaskCompletionSource<int> Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A child deployment with a streaming method: 0, 1, …, n-1, one value per step.</summary>
[Deployment]
public sealed partial class Counter(CounterSignals signals)
{
    /// <summary>Streams 0 … <paramref name="n"/>-1; records when its token fires and when it stops.</summary>
    public async IAsyncEnumerable<int> Count(int n, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static s => ((CounterSignals)s!).TokenFired.TrySetResult(), signals);
        var produced = 0;
        try
        {
            for (var i = 0; i < n; i++)
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                produced++;
                yield return i;
            }
        }
        finally
        {
            signals.Stopped.TrySetResult(produced);
        }
    }
}

/// <summary>An ingress that streams its child's <see cref="Counter.Count"/> through the generated handle method.</summary>
[Deployment]
public sealed partial class CountingIngress(DeploymentHandle<Counter> counter)
{
    /// <summary>The child's values, each multiplied by <paramref name="factor"/>, as they arrive.</summary>
    public async IAsyncEnumerable<int> Relay(int n, int factor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var value in counter.Count(n, cancellationToken))
        {
            yield return value * factor;
        }
    }
}

/// <summary>The request context a child deployment saw.</summary>
/// <param name="RequestId">Its request id.</param>
/// <param name="ApplicationName">Its application.</param>
/// <param name="Route">Its route, <c>Deployment.Method</c>.</param>
public sealed record SeenContext(string RequestId, string ApplicationName, string Route);

/// <summary>A child deployment that answers with the request context it was called with.</summary>
[Deployment]
public sealed partial class ContextReporter
{
    /// <summary>The caller's text is ignored; the context is the answer.</summary>
    public SeenContext Report(string text, ServeRequestContext context) => new(context.RequestId, context.ApplicationName, context.Route);
}

/// <summary>servetesting.composition.Relay: asks its child through a handle and returns what both saw.</summary>
[Deployment]
[GrpcService("servetesting.composition.Relay")]
public sealed partial class RelayIngress(DeploymentHandle<ContextReporter> reporter)
{
    public async Task<RelayReply> Ask(RelayRequest request, ServeRequestContext context, CancellationToken cancellationToken)
    {
        var seen = await reporter.Report(request.Text, cancellationToken);
        return new RelayReply
        {
            Text = request.Text,
            IngressRequestId = context.RequestId,
            ChildRequestId = seen.RequestId,
            ChildApplication = seen.ApplicationName,
            ChildRoute = seen.Route,
        };
    }
}

/// <summary>Application builders of the composition tests.</summary>
public static class CompositionApplications
{
    /// <summary><c>Serve.IntegrationTests.Composition.CompositionApplications:Relay</c>: the relay and its child.</summary>
    [ApplicationBuilder]
    public static Application Relay() => RelayIngress.Bind(ContextReporter.Bind());
}
