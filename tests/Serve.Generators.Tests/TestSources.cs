namespace Serve.Generators.Tests;

/// <summary>Deployment sources shared by the snapshot, behaviour and incrementality tests.</summary>
internal static class TestSources
{
    /// <summary>Ray Serve's gRPC guide deployment, as in samples/GrpcQuickstart.</summary>
    public const string Quickstart = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Userdefinedprotos;

        namespace Quickstart;

        [Deployment]
        [GrpcService("userdefinedprotos.UserDefinedService")]
        public sealed partial class GrpcDeployment
        {
            [GrpcMethod("__call__")]
            public UserDefinedResponse Call(UserDefinedMessage message) => new()
            {
                Greeting = $"Hello {message.Name} from {message.Origin}",
                Num = message.Num * 2,
            };

            public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 message, ServeRequestContext context) => new()
            {
                Greeting = $"Method2 called model, loading model: {context.MultiplexedModelId}",
            };

            public async IAsyncEnumerable<UserDefinedResponse> Streaming(UserDefinedMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
            {
                for (var i = 0; i < 3; i++)
                {
                    await Task.Yield();
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return new UserDefinedResponse { Greeting = $"{i}: Hello {message.Name}", Num = message.Num * 2 + i };
                }
            }
        }

        public static class Applications
        {
            [ApplicationBuilder]
            public static Application App1 => GrpcDeployment.Bind();

            [ApplicationBuilder]
            public static Application WithArgs(ApplicationArgs args) => Classifier.Bind(args.GetString("model", "default")!, 3);

            [ApplicationBuilder]
            internal static Application NoArgs() => GrpcDeployment.Bind();
        }

        [Deployment(Name = "classifier", NumReplicas = 2, MaxOngoingRequests = 7, MaxQueuedRequests = 11)]
        [GrpcService("userdefinedprotos.ImageClassificationService")]
        public partial class Classifier
        {
            private readonly string _model;
            private readonly int _top;

            public Classifier(string model, int top)
            {
                _model = model;
                _top = top;
            }

            public ImageClass Predict(ImageData image)
            {
                var result = new ImageClass();
                for (var i = 0; i < _top; i++)
                {
                    result.Classes.Add($"{_model}:{image.Filename}:{i}");
                    result.Probabilities.Add(1f / (i + 1));
                }
                return result;
            }
        }
        """;

    /// <summary>Every supported method shape, well-known and nested message types, context and cancellation parameters.</summary>
    public const string Echo = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Google.Protobuf.WellKnownTypes;
        using Serve;
        using Serve.Tests.Protos;

        namespace Behaviour.Tests
        {
            public static partial class Outer
            {
                [Deployment]
                [GrpcService("serve.tests.Echo")]
                internal sealed partial class EchoDeployment
                {
                    private readonly string _prefix;

                    public EchoDeployment(string prefix) => _prefix = prefix;

                    public Task<EchoReply> Say(EchoRequest request, CancellationToken cancellationToken, ServeRequestContext context)
                        => Task.FromResult(new EchoReply
                        {
                            Text = _prefix + request.Text + "/" + context.RequestId,
                            Index = cancellationToken.CanBeCanceled ? 1 : 0,
                        });

                    public IEnumerable<EchoReply> SayMany(EchoRequest request)
                    {
                        for (var i = 0; i < request.Repeat; i++)
                        {
                            yield return new EchoReply { Text = request.Text, Index = i };
                        }
                    }

                    public ValueTask<StringValue> Ping(Empty request, ServeRequestContext context)
                        => new(new StringValue { Value = "pong " + context.MultiplexedModelId });

                    internal EchoRequest.Types.Inner.Types.Deeper Nested(EchoRequest.Types.Inner inner)
                        => new() { Depth = inner.Value.Length };

                    // Not an RPC: helpers are left alone.
                    private static string Helper() => "";
                }
            }

            [Deployment]
            [GrpcService("serve.tests.Echo")]
            public partial class ListEcho
            {
                public async ValueTask<EchoReply> Say(EchoRequest request) { await Task.Yield(); return new EchoReply { Text = request.Text }; }
                public List<EchoReply> SayMany(EchoRequest request, CancellationToken cancellationToken) => new() { new EchoReply { Index = 7 } };
                public StringValue Ping(Empty request) => new() { Value = "pong" };
                public EchoRequest.Types.Inner.Types.Deeper Nested(EchoRequest.Types.Inner inner) => new();
            }

            [Deployment(Name = "plain")]
            public partial record PlainDeployment;
        }
        """;

    /// <summary>Client-streaming and duplex RPCs, the gRPC context, and [Multiplexed] model loaders.</summary>
    public const string Streaming = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Google.Protobuf.WellKnownTypes;
        using Serve;
        using Grpc.Core;
        using Serve.Tests.Protos;

        namespace Streaming.Tests;

        public sealed class Model : IDisposable
        {
            public Model(string id) => Id = id;

            public string Id { get; }

            public bool Disposed { get; private set; }

            public void Dispose() => Disposed = true;
        }

        [Deployment]
        [GrpcService("serve.tests.Chat")]
        [GrpcService("serve.tests.Echo")]
        public sealed partial class ChatDeployment
        {
            public List<string> Loads { get; } = new();

            [Multiplexed(MaxModelsPerReplica = 2)]
            public async Task<Model> LoadModel(string modelId, CancellationToken cancellationToken)
            {
                await Task.Yield();
                lock (Loads)
                {
                    Loads.Add(modelId);
                }
                return new Model(modelId);
            }

            public ValueTask<Model> CurrentModel() => GetMultiplexedModelAsync();

            public ValueTask<Model> ModelById(string modelId) => GetMultiplexedModelAsync(modelId);

            public async Task<EchoReply> Upload(IAsyncEnumerable<EchoRequest> requests, GrpcContext grpc, CancellationToken cancellationToken)
            {
                var texts = new List<string>();
                await foreach (var request in requests.WithCancellation(cancellationToken))
                {
                    texts.Add(request.Text);
                }
                grpc.Detail = "uploaded " + texts.Count;
                return new EchoReply { Text = string.Join(",", texts), Index = texts.Count };
            }

            public async IAsyncEnumerable<EchoReply> Converse(IAsyncEnumerable<EchoRequest> requests, ServeRequestContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
            {
                var i = 0;
                await foreach (var request in requests.WithCancellation(cancellationToken))
                {
                    yield return new EchoReply { Text = context.RequestId + ":" + request.Text.ToUpperInvariant(), Index = i++ };
                }
            }

            public EchoReply Say(EchoRequest request, GrpcContext grpc)
            {
                if (request.Text.Length == 0)
                {
                    grpc.StatusCode = StatusCode.InvalidArgument;
                    grpc.Detail = "empty text";
                }
                grpc.ResponseTrailers.Add("x-peer", grpc.Peer);
                return new EchoReply { Text = grpc.Method + " " + request.Text };
            }

            public async IAsyncEnumerable<EchoReply> SayMany(EchoRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
            {
                var model = await GetMultiplexedModelAsync(cancellationToken);
                yield return new EchoReply { Text = model.Id + ":" + request.Text };
            }

            public StringValue Ping(Empty request) => new() { Value = "pong" };

            public EchoRequest.Types.Inner.Types.Deeper Nested(EchoRequest.Types.Inner inner) => new();
        }

        [Deployment]
        [GrpcService("serve.tests.Chat")]
        public partial class SyncChat
        {
            [Multiplexed]
            internal Model Load(string modelId) => new(modelId);

            public ValueTask<Model> Get(string modelId) => GetMultiplexedModelAsync(modelId);

            public async ValueTask<EchoReply> Upload(IAsyncEnumerable<EchoRequest> requests, CancellationToken cancellationToken, GrpcContext grpc)
            {
                var count = 0;
                await foreach (var request in requests.WithCancellation(cancellationToken))
                {
                    count++;
                }
                return new EchoReply { Index = count, Text = grpc.Method };
            }

            public IAsyncEnumerable<EchoReply> Converse(IAsyncEnumerable<EchoRequest> requests) => Echo(requests);

            private static async IAsyncEnumerable<EchoReply> Echo(IAsyncEnumerable<EchoRequest> requests)
            {
                await foreach (var request in requests)
                {
                    yield return new EchoReply { Text = request.Text };
                }
            }
        }
        """;

    /// <summary>
    /// HTTP ingresses: the seed tutorial's routed classifier (FastAPI's <c>@serve.ingress(app)</c>) with every binding source,
    /// result shape and validation attribute, its plain <c>router</c> (<c>__call__(request)</c>), and a deployment serving
    /// gRPC and HTTP at once.
    /// </summary>
    public const string Http = """
        using System;
        using System.Collections.Generic;
        using System.ComponentModel.DataAnnotations;
        using System.Runtime.CompilerServices;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Serve.Http;
        using Userdefinedprotos;

        namespace HttpTests;

        public enum Color { Red, Green, Blue }

        public sealed class Item
        {
            public int Id { get; set; }
            public required string Name { get; set; }
            public double? Price { get; set; }
            public List<string> Tags { get; set; } = new();
            [JsonPropertyName("color_name")] public Color Color { get; set; }
            [JsonIgnore] public string Secret { get; set; } = "";
        }

        public sealed record Prediction(string Label, double Score);

        [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
        [JsonSerializable(typeof(Item))]
        [JsonSerializable(typeof(List<Item>))]
        [JsonSerializable(typeof(Prediction))]
        [JsonSerializable(typeof(int))]
        internal sealed partial class ApiJson : JsonSerializerContext
        {
        }

        [Deployment(Name = "classifier"), JsonContext(typeof(ApiJson))]
        public sealed partial class Classifier
        {
            [HttpGet("/test")]
            public string Root() => "Sentiment Classifier (0 -> Negative and 1 -> Positive)";

            [HttpGet("/healthcheck", StatusCode = 200)]
            public string Healthcheck() => "dummy check! Classifier is all ready to go!";

            [HttpPost("/classify")]
            public async Task<Prediction> PredictSentiment([FromQuery, MinLength(2)] string input_text)
            {
                await Task.Yield();
                return new Prediction(input_text.Contains("like", StringComparison.Ordinal) ? "POSITIVE" : "NEGATIVE", 0.75);
            }

            [HttpGet("/items/{id}")]
            public Item GetItem(int id, [FromHeader(Name = "x-tenant")] string? tenant, Color color = Color.Green, bool verbose = false, char? mark = null)
                => new() { Id = id, Name = tenant + ":" + color + ":" + verbose + ":" + mark, Color = color };

            [HttpPut("/items/{id}", StatusCode = 201)]
            public async ValueTask<Item> PutItem(Guid id, Item item, ServeRequestContext context, CancellationToken cancellationToken)
            {
                await Task.Yield();
                item.Name = id.ToString("N")[..4] + ":" + item.Name + ":" + context.RequestId + ":" + cancellationToken.CanBeCanceled;
                return item;
            }

            [HttpPost("/items/bulk")]
            public int Bulk([MinLength(1), MaxLength(3)] List<Item> items) => items.Count;

            [HttpGet("/search")]
            public List<Item> Search(
                [Range(1, 100)] int limit,
                [StringLength(10, MinimumLength = 2)] string q,
                [RegularExpression("[a-z]+")] string? tag = null,
                [Range(0.5, 10.5)] double? minPrice = null,
                DateTimeOffset? since = null,
                [FromHeader] string? user_agent = null,
                long offset = 0)
                => new() { new Item { Id = limit, Name = q + "|" + tag + "|" + minPrice + "|" + since?.Year + "|" + user_agent + "|" + offset } };

            [HttpDelete("/items/{id}")]
            public void Delete(long id) => Deleted = id;

            [HttpPatch("/items/{id}/tags/{tag}")]
            public Task Tag([FromRoute(Name = "id")] uint itemId, string tag)
            {
                Deleted = itemId;
                return Task.CompletedTask;
            }

            [HttpGet("/bytes")]
            public byte[] Bytes() => new byte[] { 1, 2, 3 };

            [HttpGet("/raw")]
            public HttpResult Raw(HttpRequestData request, ServeRequestContext context)
                => HttpResult.Text(request.Method + " " + request.Path + " " + context.RequestId, 202);

            [HttpGet("/stream")]
            public async IAsyncEnumerable<Item> Stream([Range(0, 5)] int count, [EnumeratorCancellation] CancellationToken cancellationToken)
            {
                for (var i = 0; i < count; i++)
                {
                    await Task.Yield();
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return new Item { Id = i, Name = "n" + i };
                }
            }

            [HttpGet("/words")]
            public async IAsyncEnumerable<string> Words(string text)
            {
                foreach (var word in text.Split(' '))
                {
                    await Task.Yield();
                    yield return word;
                }
            }

            public static long Deleted { get; set; }
        }

        [Deployment(Name = "router")]
        public partial class Router
        {
            [HttpIngress]
            public string Call(HttpRequestData request) => "txt=" + request.Query["txt"];
        }

        [Deployment, GrpcService("userdefinedprotos.ImageClassificationService"), JsonContext(typeof(ApiJson))]
        public partial class Both
        {
            public ImageClass Predict(ImageData image) => new() { Classes = { image.Filename } };

            [HttpIngress]
            public async Task<Prediction> Handle(HttpRequestData request, CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
                return new Prediction(request.BodyText, 1);
            }
        }
        """;

    /// <summary>
    /// Model composition: the guide's Downloader → Preprocessor → Classifier chain (the classifier takes handles to both),
    /// the seed's diamond (two bound Models and an Ensemble), and every shape a handle method takes: values, tasks, void,
    /// async and sync streams, CancellationToken and ServeRequestContext parameters, nullable and optional parameters,
    /// inherited methods, parameter names that clash with generated ones, and a nested deployment.
    /// </summary>
    public const string Composition = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;

        namespace Composition.Tests
        {
            [Deployment]
            public sealed partial class Downloader
            {
                public int Downloads;

                public async Task<byte[]> Download(string url, CancellationToken cancellationToken)
                {
                    await Task.Yield();
                    cancellationToken.ThrowIfCancellationRequested();
                    Interlocked.Increment(ref Downloads);
                    return url.Select(c => (byte)(c - '0')).ToArray();
                }
            }

            [Deployment(Name = "preprocessor")]
            public sealed partial class Preprocessor(int scale)
            {
                public ValueTask<int[]> Preprocess(byte[] image) => new(image.Select(b => b * scale).ToArray());

                public IEnumerable<int> Pixels(byte[] image)
                {
                    foreach (var b in image)
                    {
                        yield return b * scale;
                    }
                }
            }

            public abstract class ClassifierBase<TLabel>
            {
                public int Version() => 3;

                public virtual string Kind() => "base";

                public TLabel Relabel(TLabel label) => label;
            }

            [Deployment]
            public sealed partial class Classifier : ClassifierBase<string>, IDisposable
            {
                private readonly DeploymentHandle<Downloader> _downloader;
                private readonly DeploymentHandle<Preprocessor>? _preprocessor;
                private readonly string _label;

                public Classifier(DeploymentHandle<Downloader> downloader, DeploymentHandle<Preprocessor>? preprocessor, string label)
                {
                    _downloader = downloader;
                    _preprocessor = preprocessor;
                    _label = label;
                }

                public int Resets { get; private set; }

                public bool SawCancellation { get; private set; }

                // The download's response goes into the preprocessor call unawaited.
                public async Task<string> Classify(string url, CancellationToken cancellationToken)
                {
                    var tensor = await _preprocessor!.Preprocess(_downloader.Download(url, cancellationToken), cancellationToken);
                    return _label + ":" + tensor.Sum();
                }

                public async IAsyncEnumerable<string> Labels(int count, ServeRequestContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
                {
                    for (var i = 0; i < count; i++)
                    {
                        await Task.Yield();
                        cancellationToken.ThrowIfCancellationRequested();
                        yield return context.RequestId + ":" + _label + i;
                    }
                }

                public void Reset() => Resets++;

                public int ResetCount() => Resets;

                public async Task Wait(CancellationToken cancellationToken)
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        SawCancellation = true;
                        throw;
                    }
                }

                public ValueTask Touch(string? note) => default;

                public string? Describe(string? name, int? count) => name is null ? null : name + "#" + count;

                public int Scale(int value, int factor = 2, string? unit = null) => value * factor + (unit?.Length ?? 0);

                public override string Kind() => "classifier";

                public override string ToString() => _label;

                [Obsolete("Use Classify.")]
                public string Guess() => _label;

                public void Dispose()
                {
                }

                // Not callable through a handle.
                public static int Helper() => 0;

                internal int Internal() => 0;

                public T Echo<T>(T value) => value;

                public void ByRef(ref int value) => value++;

                public int Span(ReadOnlySpan<byte> bytes) => bytes.Length;
            }

            public static partial class Outer
            {
                [Deployment]
                internal sealed partial class Nested
                {
                    public string Rename(string handle, string call, int @class, string cancellationToken, CancellationToken token)
                        => handle + call + @class + cancellationToken + token.CanBeCanceled;

                    public (int Sum, int Count) Stats((int A, int B) pair, int[]? extra) => (pair.A + pair.B + (extra?.Sum() ?? 0), 2 + (extra?.Length ?? 0));
                }
            }

            [Deployment]
            public sealed partial class Model(int weight)
            {
                public int Forward(int input) => weight * input;

                public int Forward(int input, int bias) => weight * input + bias;

                // One handle method for both: the one that receives the call's token.
                public int Shift(int input) => input;

                public int Shift(int input, CancellationToken cancellationToken) => input + (cancellationToken.CanBeCanceled ? 1 : 0);

                // Named like DeploymentHandle<T>'s own Call and Stream, whose signatures no handle call matches.
                public int Call(int input) => input + weight;

                public IEnumerable<int> Stream(int count) => Enumerable.Range(0, count).Select(i => i * weight);
            }

            [Deployment]
            public sealed partial class Ensemble(DeploymentHandle<Model> m1, DeploymentHandle<Model> m2)
            {
                public int Combine(int a, int b, int c) => a + b + c;

                public async Task<int> Run(int[] input, CancellationToken cancellationToken)
                {
                    var a = m1.Forward(input[0], cancellationToken);
                    var b = m2.Forward(input[1], cancellationToken);
                    return await a + await b + input[2];
                }
            }

            public static class Apps
            {
                [ApplicationBuilder]
                public static Application<Classifier> Chain => Classifier.Bind(Downloader.Bind(), Preprocessor.Bind(2), "digit");

                [ApplicationBuilder]
                public static Application Diamond() => Ensemble.Bind(Model.Bind(1).WithOptions(name: "m1"), Model.Bind(2).WithOptions(name: "m2"));
            }
        }
        """;

    /// <summary>Code calling the Composition deployments through their typed handles, compiled with them for the behaviour tests.</summary>
    public const string CompositionDriver = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Composition.Tests;

        namespace Composition.Driver;

        public static class Calls
        {
            public static Task<int> Forward(DeploymentHandle<Model> model, int input) => model.Forward(input).AsTask();

            public static Task<int> Diamond(DeploymentHandle<Model> m1, DeploymentHandle<Model> m2, DeploymentHandle<Ensemble> ensemble, int[] x)
                => ensemble.Combine(m1.Forward(x[0]), m2.Forward(x[1]), x[2]).AsTask();

            public static Task<int> Run(DeploymentHandle<Ensemble> ensemble, int[] x) => ensemble.Run(x).AsTask();

            /// <summary>Starts Forward, passes its response unawaited to Combine, and returns both.</summary>
            public static (Task<int> Forward, Task<int> Combined) Chained(DeploymentHandle<Model> model, DeploymentHandle<Ensemble> ensemble, int input)
            {
                var forward = model.Forward(input);
                var combined = ensemble.Combine(forward, 10, 100);
                return (forward.AsTask(), combined.AsTask());
            }

            public static Task<string> Classify(DeploymentHandle<Classifier> classifier, string url) => classifier.Classify(url).AsTask();

            public static async Task<List<string>> Labels(DeploymentHandle<Classifier> classifier, int count)
            {
                var labels = new List<string>();
                await foreach (var label in classifier.Labels(count))
                {
                    labels.Add(label);
                }
                return labels;
            }

            public static async Task<List<int>> Pixels(DeploymentHandle<Downloader> downloader, DeploymentHandle<Preprocessor> preprocessor, string url)
            {
                var pixels = new List<int>();
                await foreach (var pixel in preprocessor.Pixels(downloader.Download(url)))
                {
                    pixels.Add(pixel);
                }
                return pixels;
            }

            public static async Task<int> ResetTwice(DeploymentHandle<Classifier> classifier)
            {
                DeploymentResponse first = classifier.Reset();
                await first;
                await classifier.Reset();
                await classifier.Touch((string?)null);
                return await classifier.ResetCount();
            }

            public static Task Wait(DeploymentHandle<Classifier> classifier, CancellationToken cancellationToken) => classifier.Wait(cancellationToken).AsTask();

            public static async Task<string> Optional(DeploymentHandle<Classifier> classifier)
                => await classifier.Scale(5) + "," + await classifier.Scale(5, 3) + "," + await classifier.Scale(5, unit: "cm") + "," + await classifier.Scale(classifier.Version());

            public static async Task<string?> Nullable(DeploymentHandle<Classifier> classifier)
                => await classifier.Describe((string?)null, (int?)null) ?? await classifier.Describe("n", 4);

            public static async Task<string> Inherited(DeploymentHandle<Classifier> classifier)
                => await classifier.Version() + ":" + await classifier.Kind() + ":" + await classifier.Relabel("x");

            internal static Task<string> Renamed(DeploymentHandle<Outer.Nested> nested)
                => nested.Rename("h", "c", 1, "t").AsTask();

            public static Task<string> RenamedPublic(object nested) => Renamed((DeploymentHandle<Outer.Nested>)nested);

            public static async Task<string> Tuples(object nested)
            {
                var (sum, count) = await ((DeploymentHandle<Outer.Nested>)nested).Stats((1, 2), new[] { 3 });
                return sum + "/" + count;
            }

            public static async Task<string> SameNamesAsTheHandle(DeploymentHandle<Model> model)
            {
                var items = new List<int>();
                await foreach (var item in model.Stream(3))
                {
                    items.Add(item);
                }
                return await model.Call(1) + ":" + string.Join(",", items);
            }

            public static async Task<string> Overloads(DeploymentHandle<Model> model)
                => await model.Forward(2) + "," + await model.Forward(2, 1) + "," + await model.Shift(5);

            public static Task<int> WithModel(DeploymentHandle<Model> model, string modelId) => model.Options(multiplexedModelId: modelId).Forward(1).AsTask();
        }
        """;

    /// <summary>A protoc-style descriptor class for <paramref name="name"/> holding <paramref name="base64"/>, as the generator finds them.</summary>
    public static string ReflectionClass(string name, string base64) => $$"""
        namespace Ext
        {
            public static partial class {{name}}
            {
                private static global::Google.Protobuf.Reflection.FileDescriptor descriptor;

                public static global::Google.Protobuf.Reflection.FileDescriptor Descriptor => descriptor;

                static {{name}}()
                {
                    byte[] descriptorData = global::System.Convert.FromBase64String(string.Concat("{{base64}}"));
                    descriptor = global::Google.Protobuf.Reflection.FileDescriptor.FromGeneratedCode(descriptorData,
                        new global::Google.Protobuf.Reflection.FileDescriptor[] { },
                        new global::Google.Protobuf.Reflection.GeneratedClrTypeInfo(null, null, null));
                }
            }
        }
        """;
}
