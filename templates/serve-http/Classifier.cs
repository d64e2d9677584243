using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Serve;
using Serve.Http;

namespace ServeHttp;

/// <summary>
/// A deployment with HTTP routes, in the shape of Ray Serve's FastAPI ingress: Serve runs replicas of it behind
/// its HTTP proxy. The source generator binds the routes, parameters and JSON types at build time and writes the
/// OpenAPI document (<c>GET /openapi.json</c>).
/// </summary>
[Deployment(NumReplicas = 2, MaxOngoingRequests = 100)]
[JsonContext(typeof(ClassifierJson))]
public sealed partial class Classifier
{
    /// <summary>The most texts one batch request may carry.</summary>
    public const int MaxBatchSize = 1000;

    // Loaded once per replica, as a model would be. Replace it with yours.
    private readonly KeywordModel _model = new();

    /// <summary><c>GET /healthcheck</c>.</summary>
    [HttpGet("/healthcheck")]
    public string Healthcheck() => "ok";

    /// <summary>
    /// <c>POST /classify?input_text=...</c>: a missing or one-character <c>input_text</c> is a 422 with
    /// FastAPI's validation body, checked by generated code.
    /// </summary>
    [HttpPost("/classify")]
    public Prediction Classify([FromQuery(Name = "input_text"), StringLength(10_000, MinimumLength = 2)] string inputText)
        => _model.Predict(inputText);

    /// <summary><c>POST /classify/batch</c> with <c>{"texts": ["...", "..."]}</c>: one prediction per text, in order.</summary>
    [HttpPost("/classify/batch")]
    public BatchPrediction ClassifyBatch([FromBody] BatchRequest body)
    {
        if (body.Texts is null)
        {
            throw new HttpValidationException([new HttpValidationError(["body", "texts"], "Field required", "missing", null)]);
        }
        if (body.Texts.Count > MaxBatchSize)
        {
            throw new HttpValidationException([new HttpValidationError(["body", "texts"],
                $"List should have at most {MaxBatchSize} items after validation, not {body.Texts.Count}", "too_long", null)]);
        }
        var predictions = new Prediction[body.Texts.Count];
        for (var i = 0; i < predictions.Length; i++)
        {
            predictions[i] = _model.Predict(body.Texts[i]);
        }
        return new BatchPrediction(predictions);
    }
}

/// <summary>A stand-in model: counts positive and negative words. Replace it with your own.</summary>
internal sealed class KeywordModel
{
    private static readonly HashSet<string> Positive = new(StringComparer.OrdinalIgnoreCase) { "good", "great", "like", "love", "nice", "happy", "excellent" };
    private static readonly HashSet<string> Negative = new(StringComparer.OrdinalIgnoreCase) { "bad", "awful", "hate", "dislike", "sad", "terrible", "poor" };

    public Prediction Predict(string text)
    {
        var score = 0;
        foreach (var word in text.Split([' ', '\t', '\n', '.', ',', '!', '?'], StringSplitOptions.RemoveEmptyEntries))
        {
            score += Positive.Contains(word) ? 1 : Negative.Contains(word) ? -1 : 0;
        }
        return new Prediction(score > 0 ? "POSITIVE" : score < 0 ? "NEGATIVE" : "NEUTRAL", score);
    }
}

/// <summary>The answer of <c>POST /classify</c>.</summary>
/// <param name="Label">POSITIVE, NEGATIVE or NEUTRAL.</param>
/// <param name="Score">Positive words minus negative words.</param>
public sealed record Prediction(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("score")] int Score);

/// <summary>The body of <c>POST /classify/batch</c>.</summary>
/// <param name="Texts">The texts to classify (at most <see cref="Classifier.MaxBatchSize"/>).</param>
public sealed record BatchRequest(
    [property: JsonPropertyName("texts")] IReadOnlyList<string>? Texts);

/// <summary>The answer of <c>POST /classify/batch</c>.</summary>
/// <param name="Predictions">One prediction per text, in order.</param>
public sealed record BatchPrediction(
    [property: JsonPropertyName("predictions")] IReadOnlyList<Prediction> Predictions);

/// <summary>Source-generated JSON metadata for the types the routes read and write: no reflection, so Native AOT works.</summary>
[JsonSerializable(typeof(Prediction))]
[JsonSerializable(typeof(BatchRequest))]
[JsonSerializable(typeof(BatchPrediction))]
public sealed partial class ClassifierJson : JsonSerializerContext;
