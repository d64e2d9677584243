namespace Serve.Generators.Model;

/// <summary>How a <c>[Batch]</c> method returns its list of results.</summary>
internal enum BatchResultKind
{
    /// <summary>The list itself (synchronous).</summary>
    Value,
    Task,
    ValueTask,
}

/// <summary>The <c>[Batch]</c> attribute of a deployment method and what its signature says about the items and results.</summary>
/// <param name="MaxBatchSizeLocation">The <c>MaxBatchSize = n</c> argument, or the attribute (likewise for the other settings).</param>
/// <param name="Problems">What is wrong with the signature, for SERVE0035 (joined with "and"); empty when it is valid.</param>
/// <param name="ItemType">TIn, <c>global::</c>-qualified with nullable annotations; empty when the parameter is not a list.</param>
/// <param name="ItemDisplay">TIn for humans (or "TIn").</param>
/// <param name="ResultType">TOut, <c>global::</c>-qualified with nullable annotations; empty when the result is not a list.</param>
/// <param name="ResultDisplay">TOut for humans (or "TOut").</param>
/// <param name="ResultIsExactList">True when the awaited (or returned) type is <c>IReadOnlyList&lt;TOut&gt;</c> itself.</param>
/// <param name="ListParameterName">The list parameter's name (also the name of the per-item overload's item parameter).</param>
/// <param name="TokenParameterName">The name of the per-item overload's CancellationToken parameter.</param>
/// <param name="Accessibility">The method's accessibility as C# writes it (the per-item overload gets the same).</param>
/// <param name="CanEmitOverload">True when a per-item overload can be emitted (types known, no member in its way), even for an invalid method.</param>
internal sealed record BatchInfo(
    int MaxBatchSize,
    LocationInfo? MaxBatchSizeLocation,
    double BatchWaitTimeoutS,
    LocationInfo? BatchWaitTimeoutLocation,
    int MaxConcurrentBatches,
    LocationInfo? MaxConcurrentBatchesLocation,
    EquatableArray<string> Problems,
    string ItemType,
    string ItemDisplay,
    string ResultType,
    string ResultDisplay,
    BatchResultKind ResultKind,
    bool ResultIsExactList,
    bool TakesCancellationToken,
    string ListParameterName,
    string TokenParameterName,
    string Accessibility,
    bool CanEmitOverload)
{
    public bool IsValid => Problems.IsEmpty;

    /// <summary>True when every setting is in range (SERVE0036 otherwise).</summary>
    public bool SettingsAreValid => MaxBatchSize >= 1 && MaxConcurrentBatches >= 1 && BatchWaitTimeoutS >= 0 && !double.IsInfinity(BatchWaitTimeoutS);
}

/// <summary>The per-item overload, queue field and definition entry emitted for one <c>[Batch]</c> method.</summary>
/// <param name="MethodName">The method's name, escaped when it is a keyword.</param>
/// <param name="RawName">The method's name as the runtime reports it.</param>
/// <param name="Cref">The user's batched method as a <c>cref</c>; empty when it cannot be written as one.</param>
/// <param name="Index">The method's number among the deployment's batched methods: names its queue field.</param>
/// <param name="ItemType">TIn, <c>global::</c>-qualified with nullable annotations.</param>
/// <param name="ResultType">TOut, likewise.</param>
/// <param name="ItemParameterName">The per-item overload's item parameter (escaped).</param>
/// <param name="TimeoutTicks">BatchWaitTimeoutS in TimeSpan ticks (saturated).</param>
/// <param name="TimeoutText">BatchWaitTimeoutS as invariant text, for comments.</param>
/// <param name="IsValid">False when the method or a setting is wrong (reported): the overload is emitted so that callers compile, but throws.</param>
internal sealed record BatchModel(
    string MethodName,
    string RawName,
    string Cref,
    int Index,
    string Accessibility,
    string ItemType,
    string ResultType,
    string ItemParameterName,
    string TokenParameterName,
    int MaxBatchSize,
    long TimeoutTicks,
    string TimeoutText,
    int MaxConcurrentBatches,
    BatchResultKind ResultKind,
    bool ResultIsExactList,
    bool TakesCancellationToken,
    bool IsValid);
