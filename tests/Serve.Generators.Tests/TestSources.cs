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
        using Serve.Grpc;
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
}
