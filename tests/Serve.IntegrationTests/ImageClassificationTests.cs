using Grpc.Core;
using Serve.Protos;
using Userdefinedprotos;

namespace Serve.IntegrationTests;

/// <summary>
/// The guide's model composition app (app2: ImageClassificationService.Predict) next to app1, routed by the
/// `application` metadata, classifying the images samples/ImageClassifier ships.
/// </summary>
public sealed class ImageClassificationTests(TwoAppQuickstartHostFixture fixture) : IClassFixture<TwoAppQuickstartHostFixture>
{
    private const string Python = "/usr/bin/python3";

    private static readonly CallOptions s_app2 = new(new Metadata { { "application", "app2" } });

    private ImageClassificationService.ImageClassificationServiceClient Classifier => new(fixture.Channel);

    private static string ImagePath(string file) => Path.Combine(Paths.RepoRoot, "samples", "ImageClassifier", "images", file);

    private static void AssertTopFive(ImageClass response, string expectedTop)
    {
        Assert.Equal(5, response.Classes.Count);
        Assert.Equal(5, response.Probabilities.Count);
        Assert.Equal(expectedTop, response.Classes[0]);
        Assert.Equal(5, response.Classes.Distinct().Count());
        Assert.True(response.Probabilities.Zip(response.Probabilities.Skip(1)).All(p => p.First >= p.Second), string.Join(", ", response.Probabilities));
        Assert.All(response.Probabilities, p => Assert.InRange(p, 0f, 1f));
        Assert.True(response.Probabilities.Sum() <= 1.0 + 1e-6, response.Probabilities.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(response.Probabilities[0] > 0.5f, response.Probabilities[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("digit-0.png", "zero")]
    [InlineData("digit-3.png", "three")]
    [InlineData("digit-4.png", "four")]
    [InlineData("digit-6.png", "six")]
    [InlineData("digit-8.pgm", "eight")]
    [InlineData("digit-9.ppm", "nine")]
    public async Task Predict_classifies_a_shipped_image_by_file_url(string file, string expected)
    {
        using var call = Classifier.PredictAsync(new ImageData { Url = new Uri(ImagePath(file)).AbsoluteUri, Filename = file }, s_app2);
        var response = await call;
        AssertTopFive(response, expected);
        Assert.Equal("request_id", call.GetTrailers()[0].Key);
    }

    [Fact]
    public async Task Predict_classifies_an_image_sent_as_a_data_uri()
    {
        var bytes = await File.ReadAllBytesAsync(ImagePath("digit-7.png"));
        var response = await Classifier.PredictAsync(new ImageData { Url = "data:image/png;base64," + Convert.ToBase64String(bytes) }, s_app2);
        AssertTopFive(response, "seven");

        var pgm = await File.ReadAllBytesAsync(ImagePath("digit-8.pgm"));
        var percentEncoded = "data:image/x-portable-graymap," + string.Concat(pgm.Select(b => $"%{b:X2}"));
        AssertTopFive(await Classifier.PredictAsync(new ImageData { Url = percentEncoded }, s_app2), "eight");
    }

    [Theory]
    [InlineData("ftp://example.com/digit.png", StatusCode.InvalidArgument, "Unsupported URL scheme 'ftp'")]
    [InlineData("/no/scheme.png", StatusCode.InvalidArgument, "has no scheme")]
    [InlineData("", StatusCode.InvalidArgument, "url is empty")]
    [InlineData("data:image/png;base64,***", StatusCode.InvalidArgument, "not valid base64")]
    [InlineData("data:,hello", StatusCode.InvalidArgument, "cannot be read: Unrecognized image format")]
    [InlineData("data:image/jpeg;base64,/9j/4AAQSkZJRg==", StatusCode.InvalidArgument, "JPEG images are not supported")]
    [InlineData("file:///no/such/image.png", StatusCode.NotFound, "does not exist")]
    public async Task Bad_urls_and_images_get_a_clear_status_naming_the_url(string url, StatusCode code, string expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Classifier.PredictAsync(new ImageData { Url = url }, s_app2));
        Assert.Equal(code, ex.StatusCode);
        Assert.Contains(expected, ex.Status.Detail, StringComparison.Ordinal);
        if (url.Length > 0)
        {
            Assert.Contains($"'{url}'", ex.Status.Detail, StringComparison.Ordinal);
        }
        // The replica keeps serving.
        AssertTopFive(await Classifier.PredictAsync(new ImageData { Url = new Uri(ImagePath("digit-3.png")).AbsoluteUri }, s_app2), "three");
    }

    [Fact]
    public async Task App1_still_answers_with_its_application_metadata()
    {
        var client = new UserDefinedService.UserDefinedServiceClient(fixture.Channel);
        var response = await client.__call__Async(new UserDefinedMessage { Name = "foo", Origin = "bar", Num = 30 }, new CallOptions(new Metadata { { "application", "app1" } }));
        Assert.Equal("Hello foo from bar", response.Greeting);
        Assert.Equal(60, response.Num);
    }

    [Fact]
    public async Task Each_app_serves_only_its_own_service()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Classifier.PredictAsync(new ImageData { Url = new Uri(ImagePath("digit-3.png")).AbsoluteUri }, new CallOptions(new Metadata { { "application", "app1" } })));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task Without_application_metadata_the_call_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Classifier.PredictAsync(new ImageData { Url = new Uri(ImagePath("digit-3.png")).AbsoluteUri }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("Application metadata not set. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.", ex.Status.Detail);
    }

    [Fact]
    public async Task Both_applications_are_listed()
    {
        var apps = await new RayServeAPIService.RayServeAPIServiceClient(fixture.Channel).ListApplicationsAsync(new ListApplicationsRequest());
        Assert.Equal(["app1", "app2"], apps.ApplicationNames.Order());
    }

    [Fact]
    public async Task Python_grpcio_client_makes_the_guides_app2_call()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install python3-grpcio and python3-grpc-tools (`.ci/run` does).");
        var generated = Directory.CreateTempSubdirectory("serve-py-app2-");
        try
        {
            var (protocExit, protocOutput) = await ExternalProcess.RunAsync(Python,
            [
                "-m", "grpc_tools.protoc", "-I", Paths.Sample(""), "-I", Paths.Proto(""),
                $"--python_out={generated.FullName}", $"--grpc_python_out={generated.FullName}",
                Paths.Sample("user_defined_protos.proto"), Paths.Proto("serve.proto"),
            ], TimeSpan.FromMinutes(1));
            Assert.True(protocExit == 0, $"grpc_tools.protoc failed (install python3-grpc-tools):\n{protocOutput}");

            var script = Path.Combine(AppContext.BaseDirectory, "interop", "python_app2_client.py");
            var (exit, output) = await ExternalProcess.RunAsync(Python,
                [script, fixture.GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture), generated.FullName, ImagePath("")],
                TimeSpan.FromMinutes(2));
            Assert.True(exit == 0, output);
            Assert.Contains(" 0 failed", output, StringComparison.Ordinal);
        }
        finally
        {
            generated.Delete(recursive: true);
        }
    }
}
