namespace Serve.Generators.Model;

/// <summary>How a <c>[Multiplexed]</c> model loader returns its model.</summary>
internal enum LoaderReturnKind
{
    /// <summary>void, a non-generic Task/ValueTask, or a by-ref return: not a loader.</summary>
    Invalid,
    Value,
    Task,
    ValueTask,
}

/// <summary>The <c>[Multiplexed]</c> attribute of a deployment method and what its return type says about the model.</summary>
/// <param name="MaxModelsPerReplica">The attribute's <c>MaxModelsPerReplica</c> (its default when not set).</param>
/// <param name="MaxModelsLocation">The <c>MaxModelsPerReplica = n</c> argument, or the attribute.</param>
/// <param name="ModelType">The <c>global::</c>-qualified model type with nullable annotations; empty when <see cref="ReturnKind"/> is Invalid.</param>
/// <param name="ModelDisplay">The model type for humans.</param>
internal sealed record MultiplexedInfo(int MaxModelsPerReplica, LocationInfo? MaxModelsLocation, LoaderReturnKind ReturnKind, string ModelType, string ModelDisplay);

/// <summary>The model cache and <c>GetMultiplexedModelAsync</c> accessors of a deployment with a <c>[Multiplexed]</c> loader.</summary>
/// <param name="ModelType">The <c>global::</c>-qualified model type.</param>
/// <param name="LoaderName">The loader method's name (escaped).</param>
/// <param name="LoaderKind">How the loader returns the model.</param>
/// <param name="LoaderTakesCancellationToken">True for <c>(string, CancellationToken)</c> loaders.</param>
/// <param name="IsValid">False when the loader's signature is wrong (reported): the accessors are still emitted so that
/// the user's calls compile, but the cache cannot load.</param>
internal sealed record MultiplexedModel(string ModelType, int MaxModelsPerReplica, string LoaderName, LoaderReturnKind LoaderKind, bool LoaderTakesCancellationToken, bool IsValid);
