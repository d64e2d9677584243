namespace Serve.Generators.Tests;

/// <summary>Deployments with <c>[Batch]</c> methods, and code calling their per-item overloads and handles, for the batching tests.</summary>
internal static class BatchSources
{
    public const string Deployments = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Serve.Http;
        using Userdefinedprotos;

        namespace Batching.Tests;

        /// <summary>gRPC: rpc Predict(ImageData) returns (ImageClass) served by a method over lists.</summary>
        [Deployment(MaxOngoingRequests = 16), GrpcService("userdefinedprotos.ImageClassificationService")]
        public partial class Classifier
        {
            private readonly List<int> _sizes = new();

            /// <summary>When set, batches wait for it before they return.</summary>
            public TaskCompletionSource<bool>? Gate { get; set; }

            public int[] Sizes { get { lock (_sizes) { return _sizes.ToArray(); } } }

            public List<ServeRequestContext?> Contexts { get; } = new();

            [Batch(MaxBatchSize = 4, BatchWaitTimeoutS = 30)]
            public async Task<IReadOnlyList<ImageClass>> Predict(IReadOnlyList<ImageData> images, CancellationToken cancellationToken)
            {
                lock (_sizes)
                {
                    _sizes.Add(images.Count);
                    Contexts.Add(ServeRequestContext.Current);
                }
                if (Gate is { } gate)
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }
                await Task.Yield();
                return images.Select(i => new ImageClass { Classes = { i.Url + "/" + images.Count } }).ToList();
            }
        }

        /// <summary>The other result shapes, HTTP routes and handles.</summary>
        [Deployment(MaxOngoingRequests = 100)]
        public partial class Shapes
        {
            /// <summary>Synchronous, an array, no token.</summary>
            [Batch(MaxBatchSize = 2, BatchWaitTimeoutS = 0)]
            public int[] Square(IReadOnlyList<int> x) => x.Select(v => v * v).ToArray();

            /// <summary>A ValueTask of a List, with a token.</summary>
            [Batch(MaxBatchSize = 3, BatchWaitTimeoutS = 0.5, MaxConcurrentBatches = 2)]
            public ValueTask<List<string>> Upper(IReadOnlyList<string> text, CancellationToken cancellationToken) => new(text.Select(t => t.ToUpperInvariant()).ToList());

            /// <summary>An HTTP route: the per-item parameter binds the route segment.</summary>
            [Batch(BatchWaitTimeoutS = 0)]
            [HttpGet("/length/{word}")]
            public Task<string[]> Length(IReadOnlyList<string> word) => Task.FromResult(word.Select(w => w + "=" + w.Length).ToArray());

            /// <summary>Waits an hour for a second item: a clock test.</summary>
            [Batch(MaxBatchSize = 2, BatchWaitTimeoutS = 3600)]
            public int[] Slow(IReadOnlyList<int> x) => x.Select(v => -v).ToArray();

            /// <summary>Internal, exactly a ValueTask of IReadOnlyList; returns one result too few.</summary>
            [Batch(MaxBatchSize = 8, BatchWaitTimeoutS = 0)]
            internal ValueTask<IReadOnlyList<string>> Broken(IReadOnlyList<string> items) => new(items.Skip(1).ToList());

            /// <summary>Calls its own batched method with one item, as Ray's methods do.</summary>
            public async Task<int> SquarePlusOne(int x) => await Square(x) + 1;
        }
        """;

    public const string Driver = """
        using System.Linq;
        using System.Threading.Tasks;
        using Serve;
        using Batching.Tests;

        namespace Batching.Driver;

        public static class Calls
        {
            public static Task<int[]> Squares(Shapes shapes, int[] values) => Task.WhenAll(values.Select(v => shapes.Square(v).AsTask()));

            public static Task<string[]> Uppers(Shapes shapes, string[] values) => Task.WhenAll(values.Select(v => shapes.Upper(v).AsTask()));

            public static Task<string> Broken(Shapes shapes, string value) => shapes.Broken(value).AsTask();

            public static Task<int> SquarePlusOne(Shapes shapes, int value) => shapes.SquarePlusOne(value);

            public static Task<int[]> SquaresThroughHandle(DeploymentHandle<Shapes> handle, int[] values)
                => Task.WhenAll(values.Select(v => handle.Square(v).AsTask()));

            public static Task<string> LengthThroughHandle(DeploymentHandle<Shapes> handle, string word) => handle.Length(word).AsTask();
        }
        """;
}
