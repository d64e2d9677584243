using Serve;

namespace Sentiment;

/// <summary>The applications of the sample, named by <c>import_path</c> in <c>config.yaml</c>.</summary>
public static class Applications
{
    /// <summary><c>import_path: Sentiment.Applications:RouterApp</c>, Approach 1 (<c>router.deploy()</c>).</summary>
    [ApplicationBuilder]
    public static Application RouterApp => Router.Bind();

    /// <summary><c>import_path: Sentiment.Applications:ClassifierApp</c>, Approach 2 (<c>Classifier.deploy()</c>).</summary>
    [ApplicationBuilder]
    public static Application ClassifierApp => Classifier.Bind();
}
