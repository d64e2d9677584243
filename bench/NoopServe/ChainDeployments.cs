using Google.Protobuf;
using Serve;
using ServeBench;

namespace NoopServe;

/// <summary>
/// One stage of the composition benchmark's work: a few rounds of FNV-1a over the payload, written back
/// into a copy. Small and CPU-bound, like a light preprocessing step; the same in both apps.
/// </summary>
public static class Stage
{
    /// <summary>Rounds per stage: about a microsecond of work on a 16-byte payload.</summary>
    public const int Rounds = 64;

    /// <summary>The payload after one stage.</summary>
    public static byte[] Apply(ReadOnlySpan<byte> input, uint salt)
    {
        var output = input.ToArray();
        var hash = 2166136261u ^ salt;
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < output.Length; i++)
            {
                hash = (hash ^ output[i]) * 16777619u;
                output[i] = (byte)hash;
            }
        }
        return output;
    }
}

/// <summary>App "single": the three stages in one deployment.</summary>
[Deployment]
[GrpcService("servebench.Chain")]
public sealed partial class SingleStageDeployment
{
    /// <summary>Runs stages 1, 2 and 3 in place.</summary>
    public Blob Run(Blob request)
        => new() { Data = UnsafeByteOperations.UnsafeWrap(Stage.Apply(Stage.Apply(Stage.Apply(request.Data.Span, 1), 2), 3)) };
}

/// <summary>App "chain": the ingress runs stage 1, then hands the bytes to stage 2, which hands them to stage 3.</summary>
[Deployment]
[GrpcService("servebench.Chain")]
public sealed partial class ChainIngressDeployment(DeploymentHandle<ChainMiddleDeployment> next)
{
    /// <summary>Stage 1 here, stages 2 and 3 downstream.</summary>
    public async Task<Blob> Run(Blob request, CancellationToken cancellationToken)
        => new() { Data = UnsafeByteOperations.UnsafeWrap(await next.Apply(Stage.Apply(request.Data.Span, 1), cancellationToken)) };
}

/// <summary>Stage 2 of the chain.</summary>
[Deployment]
public sealed partial class ChainMiddleDeployment(DeploymentHandle<ChainLastDeployment> next)
{
    /// <summary>Stage 2 here, stage 3 downstream.</summary>
    public async Task<byte[]> Apply(byte[] data, CancellationToken cancellationToken)
        => await next.Apply(Stage.Apply(data, 2), cancellationToken);
}

/// <summary>Stage 3 of the chain.</summary>
[Deployment]
public sealed partial class ChainLastDeployment
{
    /// <summary>Stage 3.</summary>
    public byte[] Apply(byte[] data) => Stage.Apply(data, 3);
}
