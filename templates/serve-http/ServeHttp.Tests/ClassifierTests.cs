using Serve.Hosting;
using Serve.Http;

namespace ServeHttp.Tests;

/// <summary>
/// Runs the application in this process with Serve's local testing mode (Ray's
/// <c>_local_testing_mode</c>): every replica starts as it would when served, calls go through the
/// deployment's router, and no port is opened.
/// </summary>
public sealed class ClassifierTests
{
    [Theory]
    [InlineData("I like it, it is great", "POSITIVE")]
    [InlineData("what an awful day", "NEGATIVE")]
    [InlineData("the sky is blue", "NEUTRAL")]
    public async Task Classify_labels_the_text(string text, string label)
    {
        await using var app = await LocalTestingMode.RunAsync(Applications.Classifier);

        var prediction = await app.Handle.Classify(text);

        Assert.Equal(label, prediction.Label);
    }

    [Fact]
    public async Task ClassifyBatch_answers_in_order()
    {
        await using var app = await LocalTestingMode.RunAsync(Applications.Classifier);

        var batch = await app.Handle.ClassifyBatch(new BatchRequest(["good", "bad", "blue"]));

        Assert.Equal(["POSITIVE", "NEGATIVE", "NEUTRAL"], batch.Predictions.Select(p => p.Label));
    }

    [Fact]
    public async Task ClassifyBatch_without_texts_is_a_validation_error()
    {
        await using var app = await LocalTestingMode.RunAsync(Applications.Classifier);

        var error = await Assert.ThrowsAsync<HttpValidationException>(async () => await app.Handle.ClassifyBatch(new BatchRequest(null)));

        Assert.Equal(["body", "texts"], error.Errors.Single().Location);
    }
}
