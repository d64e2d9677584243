namespace Serve;

/// <summary>
/// Marks a deployment's model-loading method for model multiplexing (Ray's
/// <c>@serve.multiplexed</c>). The method takes the model id (and optionally a
/// <see cref="CancellationToken"/>) and returns the model, as <c>T</c>, <c>Task&lt;T&gt;</c> or
/// <c>ValueTask&lt;T&gt;</c>. The generator adds <c>GetMultiplexedModelAsync()</c> to the
/// deployment: it returns the model for the request's <c>multiplexed_model_id</c>, loading it on a
/// miss, keeping at most <see cref="MaxModelsPerReplica"/> per replica and evicting (and disposing)
/// the least recently used. The router sends requests to replicas that already hold the model.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class MultiplexedAttribute : Attribute
{
    /// <summary>Ray Serve's default <c>max_num_models_per_replica</c>.</summary>
    public const int DefaultMaxModelsPerReplica = 3;

    /// <summary>Models one replica keeps loaded at most. Default 3.</summary>
    public int MaxModelsPerReplica { get; set; } = DefaultMaxModelsPerReplica;
}
