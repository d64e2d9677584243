using System.Text.Json.Serialization;
using Sentiment.Model;

namespace Sentiment;

/// <summary>The body of <c>POST /classify/batch</c>: <c>{"texts": ["...", "..."]}</c>.</summary>
/// <param name="Texts">The texts to classify (at most <see cref="Classifier.MaxBatchSize"/>).</param>
public sealed record BatchRequest(
    [property: JsonPropertyName("texts")] IReadOnlyList<string>? Texts);

/// <summary>The answer of <c>POST /classify/batch</c>: one result per text, in order.</summary>
/// <param name="Results">The classifications.</param>
public sealed record BatchResult(
    [property: JsonPropertyName("results")] IReadOnlyList<SentimentResult> Results);

/// <summary>One item of <c>POST /classify/stream</c>: a sentence of the body and its classification.</summary>
/// <param name="Index">The sentence's position, from 0.</param>
/// <param name="Text">The sentence.</param>
/// <param name="Label">POSITIVE, NEGATIVE or NEUTRAL.</param>
/// <param name="Score">The confidence in the label.</param>
public sealed record SentenceResult(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("score")] double Score);

/// <summary>
/// Source-generated JSON metadata for every type the deployments read or write, so the host
/// serializes without reflection (and publishes with Native AOT).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SentimentResult))]
[JsonSerializable(typeof(BatchRequest))]
[JsonSerializable(typeof(BatchResult))]
[JsonSerializable(typeof(SentenceResult))]
public sealed partial class SentimentJson : JsonSerializerContext
{
}
