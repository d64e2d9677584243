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
}
