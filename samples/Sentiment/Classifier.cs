using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Sentiment.Model;
using Serve;
using Serve.Http;

namespace Sentiment;

/// <summary>
/// Approach 2 of the tutorial: the FastAPI ingress, with routes and parameter binding generated at
/// compile time. Deployed at route prefix <c>/</c>, so its routes are <c>/test</c>,
/// <c>/healthcheck</c> and <c>/classify</c>, and its OpenAPI document is <c>/openapi.json</c>.
/// </summary>
[Deployment]
[JsonContext(typeof(SentimentJson))]
public sealed partial class Classifier
{
    /// <summary>The most texts one batch request may carry.</summary>
    public const int MaxBatchSize = 1000;

    // The tutorial's __init__: the model is loaded once per replica.
    private readonly SentimentModel _classifier = SentimentModel.LoadDefault();

    /// <summary><c>@app.get("/test")</c>.</summary>
    [HttpGet("/test")]
    public string Root() => "Sentiment Classifier (0 -> Negative and 1 -> Positive)";

    /// <summary><c>@app.get("/healthcheck", status_code=200)</c>.</summary>
    [HttpGet("/healthcheck", StatusCode = 200)]
    public string Healthcheck() => "dummy check! Classifier is all ready to go!";

    /// <summary>
    /// <c>@app.post("/classify")</c> with <c>input_text: str = Query(..., min_length=2)</c>: a missing
    /// or one-character <c>input_text</c> is 422 with FastAPI's validation body.
    /// </summary>
    [HttpPost("/classify")]
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "MinLength is read by Serve's source generator at compile time and becomes a generated length check; nothing instantiates the attribute at run time.")]
    public SentimentResult PredictSentiment([FromQuery(Name = "input_text"), MinLength(2)] string inputText)
        => _classifier.Predict(inputText);

    /// <summary>
    /// Classifies many texts in one call: <c>{"texts": ["...", "..."]}</c> →
    /// <c>{"results": [{label, score}, ...]}</c>, in order.
    /// </summary>
    [HttpPost("/classify/batch")]
    public BatchResult Batch([FromBody] BatchRequest body)
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
        var results = new SentimentResult[body.Texts.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = _classifier.Predict(body.Texts[i]);
        }
        return new BatchResult(results);
    }

    /// <summary>
    /// Classifies a plain-text body sentence by sentence, streaming one result per sentence as it
    /// is scored: Server-Sent Events (<c>data: {...}</c>) when the client sends
    /// <c>Accept: text/event-stream</c>, JSON lines otherwise.
    /// </summary>
    [HttpPost("/classify/stream")]
    public IAsyncEnumerable<SentenceResult> Stream(HttpRequestData request, CancellationToken cancellationToken)
    {
        // Checked before the first item: once the stream starts, the status can no longer change.
        if (request.ContentType is { } contentType && !contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
        {
            throw new HttpException(415, $"Unsupported media type '{contentType}': send the text to classify as text/plain.");
        }
        var sentences = SentenceSplitter.Split(request.BodyText);
        if (sentences.Count == 0)
        {
            throw new HttpValidationException([new HttpValidationError(["body"], "Field required", "missing", null)]);
        }
        return ClassifyEach(sentences, cancellationToken);
    }

    private async IAsyncEnumerable<SentenceResult> ClassifyEach(List<string> sentences, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < sentences.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = _classifier.Predict(sentences[i]);
            yield return new SentenceResult(i, sentences[i], result.Label, result.Score);
            // Let the proxy flush each result before the next is scored.
            await Task.Yield();
        }
    }
}
