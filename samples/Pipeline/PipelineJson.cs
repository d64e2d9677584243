using System.Text.Json.Serialization;

namespace Pipeline;

/// <summary>The body of <c>POST /pipeline/choose</c>.</summary>
/// <param name="Model">"m1" or "m2".</param>
/// <param name="Value">The model's input.</param>
public sealed record ChooseInput(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("value")] int Value);

/// <summary>Source-generated JSON metadata for the ingress's bodies and results (no reflection, AOT-safe).</summary>
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(ChooseInput))]
public sealed partial class PipelineJson : JsonSerializerContext
{
}
