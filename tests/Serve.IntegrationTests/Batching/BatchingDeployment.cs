using System.Collections.Concurrent;
using Serve.Http;

namespace Serve.IntegrationTests.Batching;

/// <summary>
/// Serves servetesting.Batcher and GET /square with [Batch] methods over lists, recording the size of every batch it
/// runs. The batch wait is long (30 s): a batch runs when it is full, so the sizes do not depend on timing.
/// </summary>
[Deployment(MaxOngoingRequests = 16)]
[GrpcService("servetesting.Batcher")]
public sealed partial class BatchingDeployment
{
    /// <summary>The size of every gRPC batch run, in order (in-process host only).</summary>
    public static ConcurrentQueue<int> DoubleSizes { get; } = new();

    /// <summary>The size of every HTTP batch run.</summary>
    public static ConcurrentQueue<int> SquareSizes { get; } = new();

    [Batch(MaxBatchSize = 4, BatchWaitTimeoutS = 30)]
    public async Task<IReadOnlyList<BatchReply>> Double(IReadOnlyList<BatchRequest> requests, CancellationToken cancellationToken)
    {
        DoubleSizes.Enqueue(requests.Count);
        await Task.Yield();
        return requests.Select(r => new BatchReply { Value = r.Value * 2, BatchSize = requests.Count }).ToList();
    }

    [Batch(MaxBatchSize = 4, BatchWaitTimeoutS = 30)]
    [HttpGet("/square")]
    public string[] Square(IReadOnlyList<int> value)
    {
        SquareSizes.Enqueue(value.Count);
        return value.Select(v => (v * v).ToString(System.Globalization.CultureInfo.InvariantCulture) + " of " + value.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
