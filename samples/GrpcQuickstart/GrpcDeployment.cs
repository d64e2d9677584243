using System.Runtime.CompilerServices;
using Serve;
using Userdefinedprotos;

namespace GrpcQuickstart;

/// <summary>
/// The deployment of Ray Serve's gRPC guide, in C#. The source generator checks every method
/// against <c>userdefinedprotos.UserDefinedService</c> at build time and emits its dispatch table.
/// </summary>
[Deployment]
[GrpcService("userdefinedprotos.UserDefinedService")]
public sealed partial class GrpcDeployment
{
    /// <summary>The guide's <c>__call__</c>: a greeting and the number doubled.</summary>
    [GrpcMethod("__call__")]
    public UserDefinedResponse Call(UserDefinedMessage message) => new()
    {
        Greeting = $"Hello {message.Name} from {message.Origin}",
        Num = message.Num * 2,
    };

    /// <summary>Names the model the client asked for with <c>multiplexed_model_id</c>.</summary>
    public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 message, ServeRequestContext context) => new()
    {
        Greeting = $"Method2 called model, loading model: {context.MultiplexedModelId}",
    };

    /// <summary>Ten greetings, one every 100 ms, each flushed to the client as it is produced.</summary>
    public async IAsyncEnumerable<UserDefinedResponse> Streaming(UserDefinedMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < 10; i++)
        {
            yield return new UserDefinedResponse
            {
                Greeting = $"{i}: Hello {message.Name} from {message.Origin}",
                Num = message.Num * 2 + i,
            };
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}

/// <summary>The applications this sample offers to a config's <c>import_path</c>.</summary>
public static class Applications
{
    /// <summary><c>import_path: GrpcQuickstart.Applications:App1</c> (Ray's <c>g = GrpcDeployment.bind()</c>).</summary>
    [ApplicationBuilder]
    public static Application App1 => GrpcDeployment.Bind();

    /// <summary>
    /// <c>import_path: GrpcQuickstart.Applications:App2</c>, the guide's image classifier: Ray's
    /// <c>g2 = ImageClassifier.options(name="grpc-image-classifier").bind(image_downloader, data_preprocessor)</c>,
    /// three deployments in one application.
    /// </summary>
    [ApplicationBuilder]
    public static Application App2
    {
        get
        {
            // The preprocessor produces what the model takes; the model file says what that is.
            var model = ImageClassification.ImageClassifier.LoadDefault();
            var imageDownloader = ImageDownloaderDeployment.Bind();
            var dataPreprocessor = DataPreprocessorDeployment.Bind(model.InputWidth, model.InputHeight);
            return ImageClassifierDeployment.Bind(imageDownloader, dataPreprocessor).WithOptions(name: "grpc-image-classifier");
        }
    }

    /// <summary><c>import_path: GrpcQuickstart.Applications:ContextApp</c>, the guide's gRPC context example.</summary>
    [ApplicationBuilder]
    public static Application ContextApp => GrpcContextDeployment.Bind();
}
