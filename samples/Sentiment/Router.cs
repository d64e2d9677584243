using Sentiment.Model;
using Serve;
using Serve.Http;

namespace Sentiment;

/// <summary>
/// Approach 1 of the tutorial: a plain HTTP ingress, Ray Serve's
/// <c>def router(request): txt = request.query_params["txt"]; return sentiment_classifier(txt)</c>.
/// Every request under the application's route prefix (<c>/router</c>) arrives here whatever its
/// method and path; <c>GET /router?txt=ilikeyou</c> answers <c>{"label":"POSITIVE","score":0.7294}</c>.
/// </summary>
[Deployment]
[JsonContext(typeof(SentimentJson))]
public sealed partial class Router
{
    // Loaded once per replica, not per request (the tutorial built the model on every call).
    private readonly SentimentModel _classifier = SentimentModel.LoadDefault();

    /// <summary>
    /// Classifies the <c>txt</c> query parameter. Without one the answer is 400 with FastAPI's
    /// <c>{"detail": "..."}</c> (Starlette's <c>query_params["txt"]</c> raises KeyError there, a 500);
    /// an empty <c>txt=</c> is classified (NEUTRAL).
    /// </summary>
    [HttpIngress]
    public SentimentResult Call(HttpRequestData request)
    {
        var txt = request.Query["txt"] ?? throw new HttpException(400, "Query parameter 'txt' is required.");
        return _classifier.Predict(txt);
    }
}
