using ImageClassification;
using ImageClassification.Imaging;
using Serve;
using Serve.Grpc;
using Userdefinedprotos;

namespace GrpcQuickstart;

/// <summary>
/// The guide's model composition example (app2): <c>ImageClassificationService.Predict</c> downloads the
/// image at <c>ImageData.url</c>, preprocesses it and classifies it, returning the five most probable
/// classes with their probabilities, most probable first. The three steps are the plain classes of
/// samples/ImageClassifier (<see cref="ImageDownloader"/>, <see cref="ImagePreprocessor"/>,
/// <see cref="ImageClassifier"/>); they become deployments of their own once typed handles exist.
/// The model is a handwritten digit classifier (classes <c>zero</c> … <c>nine</c>), loaded once per replica.
/// </summary>
[Deployment]
[GrpcService("userdefinedprotos.ImageClassificationService")]
public sealed partial class ImageClassifierDeployment
{
    /// <summary>How many classes <see cref="Predict"/> returns (the guide's <c>torch.topk(probabilities, 5)</c>).</summary>
    public const int TopK = 5;

    private readonly ImageDownloader _downloader = new();
    private readonly ImagePreprocessor _preprocessor;
    private readonly ImageClassifier _classifier;

    /// <summary>Loads the embedded model.</summary>
    public ImageClassifierDeployment()
    {
        _classifier = ImageClassifier.LoadDefault();
        _preprocessor = new ImagePreprocessor(_classifier.InputWidth, _classifier.InputHeight);
    }

    /// <summary>
    /// Classifies the image at <c>url</c> (<c>file://</c>, <c>data:</c>, or http(s) when reachable;
    /// <c>filename</c> is not used). A bad or unsupported URL or image is INVALID_ARGUMENT, a missing
    /// file NOT_FOUND, an unreachable server UNAVAILABLE; the message names the URL.
    /// </summary>
    public async Task<ImageClass> Predict(ImageData imageData, CancellationToken cancellationToken)
    {
        var url = imageData.Url;
        byte[] image;
        try
        {
            image = await _downloader.DownloadAsync(url, cancellationToken);
        }
        catch (ImageDownloadException ex)
        {
            throw new RpcException(ex.Error switch
            {
                ImageDownloadError.NotFound => StatusCode.NotFound,
                ImageDownloadError.AccessDenied => StatusCode.PermissionDenied,
                ImageDownloadError.Unreachable => StatusCode.Unavailable,
                _ => StatusCode.InvalidArgument,
            }, ex.Message);
        }

        ImageTensor input;
        try
        {
            input = _preprocessor.Preprocess(image);
        }
        catch (ImageDecodeException ex)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"The image at {ImageDownloader.Describe(url)} cannot be read: {ex.Message}");
        }

        var result = new ImageClass();
        foreach (var prediction in _classifier.Classify(input, TopK))
        {
            result.Classes.Add(prediction.Label);
            result.Probabilities.Add((float)prediction.Probability);
        }
        return result;
    }
}
