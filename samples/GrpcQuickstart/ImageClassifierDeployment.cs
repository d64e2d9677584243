using Grpc.Core;
using ImageClassification;
using ImageClassification.Imaging;
using Serve;
using Userdefinedprotos;

namespace GrpcQuickstart;

/// <summary>
/// The guide's model composition example (app2), as three deployments: <c>ImageClassificationService.Predict</c>
/// on this ingress asks <see cref="ImageDownloaderDeployment"/> for the image at <c>ImageData.url</c>, passes
/// that response, unawaited, to <see cref="DataPreprocessorDeployment"/>, and classifies the tensor it gets
/// back, returning the five most probable classes with their probabilities, most probable first. Each step
/// scales on its own (config <c>deployments:</c> by name). The model is a handwritten digit classifier
/// (classes <c>zero</c> … <c>nine</c>), loaded once per replica.
/// </summary>
[Deployment]
[GrpcService("userdefinedprotos.ImageClassificationService")]
public sealed partial class ImageClassifierDeployment
{
    /// <summary>How many classes <see cref="Predict"/> returns (the guide's <c>torch.topk(probabilities, 5)</c>).</summary>
    public const int TopK = 5;

    private readonly DeploymentHandle<ImageDownloaderDeployment> _downloader;
    private readonly DeploymentHandle<DataPreprocessorDeployment> _preprocessor;
    private readonly ImageClassifier _classifier = ImageClassifier.LoadDefault();

    /// <summary>The guide's <c>__init__(self, image_downloader, data_preprocessor)</c>: handles to the two steps.</summary>
    public ImageClassifierDeployment(DeploymentHandle<ImageDownloaderDeployment> imageDownloader, DeploymentHandle<DataPreprocessorDeployment> dataPreprocessor)
    {
        _downloader = imageDownloader;
        _preprocessor = dataPreprocessor;
    }

    /// <summary>
    /// Classifies the image at <c>url</c> (<c>file://</c>, <c>data:</c>, or http(s) when reachable;
    /// <c>filename</c> is not used). A bad or unsupported URL or image is INVALID_ARGUMENT, a missing
    /// file NOT_FOUND, an unreachable server UNAVAILABLE; the message names the URL.
    /// </summary>
    public async Task<ImageClass> Predict(ImageData imageData, CancellationToken cancellationToken)
    {
        var url = imageData.Url;
        ImageTensor input;
        try
        {
            // The download's response goes straight into the preprocessor call, as Ray lets a DeploymentResponse do.
            input = await _preprocessor.Preprocess(_downloader.Download(url, cancellationToken), cancellationToken);
        }
        catch (ImageDecodeException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The image at {ImageDownloader.Describe(url)} cannot be read: {ex.Message}"));
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

/// <summary>The guide's <c>ImageDownloader</c> deployment: fetches an image's bytes.</summary>
[Deployment(Name = "ImageDownloader")]
public sealed partial class ImageDownloaderDeployment
{
    private readonly ImageDownloader _downloader = new();

    /// <summary>The bytes at <paramref name="url"/>; failures carry the gRPC status the client should see.</summary>
    public async Task<byte[]> Download(string url, CancellationToken cancellationToken)
    {
        try
        {
            return await _downloader.DownloadAsync(url, cancellationToken);
        }
        catch (ImageDownloadException ex)
        {
            throw new RpcException(new Status(ex.Error switch
            {
                ImageDownloadError.NotFound => StatusCode.NotFound,
                ImageDownloadError.AccessDenied => StatusCode.PermissionDenied,
                ImageDownloadError.Unreachable => StatusCode.Unavailable,
                _ => StatusCode.InvalidArgument,
            }, ex.Message));
        }
    }
}

/// <summary>The guide's <c>DataPreprocessor</c> deployment: decodes an image into the classifier's input tensor.</summary>
/// <param name="width">The classifier's input width, bound by the application builder.</param>
/// <param name="height">The classifier's input height.</param>
[Deployment(Name = "DataPreprocessor")]
public sealed partial class DataPreprocessorDeployment(int width, int height)
{
    private readonly ImagePreprocessor _preprocessor = new(width, height);

    /// <summary>The tensor of an encoded image (PNG, PGM or PPM); an unreadable image throws <see cref="ImageDecodeException"/>.</summary>
    public ImageTensor Preprocess(byte[] image) => _preprocessor.Preprocess(image);
}
