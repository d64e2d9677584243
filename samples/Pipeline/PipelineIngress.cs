using Grpc.Core;
using Pipeline.Protos;
using Serve;
using Serve.Http;

namespace Pipeline;

/// <summary>
/// The pipeline's ingress: turns an HTTP or gRPC request into the graph's input (the seed's input
/// preprocessor) and runs the graph. It also holds handles to the two models, so that per-request
/// control flow (<see cref="Choose"/>) is ordinary code.
/// </summary>
[Deployment]
[GrpcService("pipeline.Pipeline")]
[JsonContext(typeof(PipelineJson))]
public sealed partial class PipelineIngress(Dag<int[], int> dag, DeploymentHandle<Model> m1, DeploymentHandle<Model> m2)
{
    /// <summary><c>POST /pipeline</c> with a JSON array <c>[1, 2, 3]</c> → <c>8</c> (1*1 + 2*2 + 3).</summary>
    [HttpPost("/")]
    public Task<int> Run([FromBody] int[] input, CancellationToken cancellationToken)
        => dag.ExecuteAsync(CheckInput(input, static message => new HttpException(422, message)), cancellationToken);

    /// <summary>
    /// <c>POST /pipeline/choose</c> with <c>{"model": "m2", "value": 5}</c> → <c>10</c>: the request picks
    /// the branch.
    /// </summary>
    [HttpPost("/choose")]
    public Task<int> Choose([FromBody] ChooseInput input, CancellationToken cancellationToken)
        => Pick(input.Model, static message => new HttpException(422, message)).Forward(input.Value, cancellationToken).AsTask();

    /// <summary>gRPC <c>pipeline.Pipeline/Run</c>: the graph on the request's three values.</summary>
    [GrpcMethod("Run")]
    public async Task<RunReply> RunRpc(RunRequest request, CancellationToken cancellationToken)
    {
        var input = CheckInput([.. request.Values], static message => new RpcException(new Status(StatusCode.InvalidArgument, message)));
        return new RunReply { Value = await dag.ExecuteAsync(input, cancellationToken) };
    }

    /// <summary>gRPC <c>pipeline.Pipeline/Choose</c>: the model the request names, on its value.</summary>
    [GrpcMethod("Choose")]
    public async Task<RunReply> ChooseRpc(ChooseRequest request, CancellationToken cancellationToken)
    {
        var model = Pick(request.Model, static message => new RpcException(new Status(StatusCode.InvalidArgument, message)));
        return new RunReply { Value = await model.Forward(request.Value, cancellationToken) };
    }

    private DeploymentHandle<Model> Pick(string? name, Func<string, Exception> invalid) => name switch
    {
        "m1" => m1,
        "m2" => m2,
        _ => throw invalid($"Unknown model '{name}': choose \"m1\" or \"m2\"."),
    };

    private static int[] CheckInput(int[]? input, Func<string, Exception> invalid)
        => input is { Length: 3 } ? input : throw invalid($"The pipeline takes exactly three integers, got {input?.Length ?? 0}.");
}
