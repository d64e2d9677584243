using System.Numerics;
using Grpc.Core;
using Serve;
using ServeBench;

namespace NoopServe;

/// <summary>
/// The batching benchmark's model: a dense layer of <see cref="Hidden"/> ReLU units over <see cref="Inputs"/>
/// features (32 MiB of weights, as much as the benchmark machine's whole L3 cache), then <see cref="Outputs"/>
/// linear scores. One vector is a matrix-vector product: every weight comes from memory for one multiply-add,
/// so a call is bound by memory bandwidth. A batch is a matrix-matrix product: each weight row is fetched
/// once for the whole batch, and each weight vector, once in a register, serves four inputs. That is why
/// models batch on CPUs too, as large models do. Weights come from a fixed generator, so <c>scripts/score_check.py</c> computes the
/// same scores independently.
/// </summary>
public sealed class Mlp
{
    public const int Inputs = 2048;
    public const int Hidden = 4096;
    public const int Outputs = 16;

    private readonly float[] _w1 = new float[Hidden * Inputs];
    private readonly float[] _w2 = new float[Outputs * Hidden];

    /// <summary>The model every replica shares: read-only after construction.</summary>
    public static Mlp Shared { get; } = new();

    private Mlp()
    {
        // A 32-bit LCG (Numerical Recipes constants); weights uniform in [-0.5, 0.5) times a fan-in scale.
        var state = 12345u;
        for (var i = 0; i < _w1.Length; i++)
        {
            state = unchecked(state * 1664525u + 1013904223u);
            _w1[i] = ((state >> 8) / 16777216f - 0.5f) / 45f;
        }
        for (var i = 0; i < _w2.Length; i++)
        {
            state = unchecked(state * 1664525u + 1013904223u);
            _w2[i] = ((state >> 8) / 16777216f - 0.5f) / 64f;
        }
    }

    /// <summary>Scores one feature vector.</summary>
    public Scores Score(Features features)
    {
        var x = Read(features);
        var hidden = new float[Hidden];
        for (var j = 0; j < Hidden; j++)
        {
            hidden[j] = MathF.Max(0, Dot(_w1.AsSpan(j * Inputs, Inputs), x));
        }
        return Output(hidden);
    }

    /// <summary>Scores a batch: four inputs at a time share each weight load.</summary>
    public Scores[] Score(IReadOnlyList<Features> batch)
    {
        var inputs = new float[batch.Count][];
        for (var b = 0; b < inputs.Length; b++)
        {
            inputs[b] = Read(batch[b]);
        }
        var hidden = new float[batch.Count][];
        for (var b = 0; b < hidden.Length; b++)
        {
            hidden[b] = new float[Hidden];
        }
        // Row by row, so the whole weight matrix is fetched once per batch; within a row, four inputs per load.
        var full = inputs.Length / 4 * 4;
        for (var j = 0; j < Hidden; j++)
        {
            var row = _w1.AsSpan(j * Inputs, Inputs);
            for (var b = 0; b < full; b += 4)
            {
                var (d0, d1, d2, d3) = Dot4(row, inputs[b], inputs[b + 1], inputs[b + 2], inputs[b + 3]);
                hidden[b][j] = MathF.Max(0, d0);
                hidden[b + 1][j] = MathF.Max(0, d1);
                hidden[b + 2][j] = MathF.Max(0, d2);
                hidden[b + 3][j] = MathF.Max(0, d3);
            }
            for (var b = full; b < inputs.Length; b++)
            {
                hidden[b][j] = MathF.Max(0, Dot(row, inputs[b]));
            }
        }
        var results = new Scores[batch.Count];
        for (var b = 0; b < results.Length; b++)
        {
            results[b] = Output(hidden[b]);
        }
        return results;
    }

    private Scores Output(ReadOnlySpan<float> hidden)
    {
        var scores = new Scores();
        for (var k = 0; k < Outputs; k++)
        {
            scores.Values.Add(Dot(_w2.AsSpan(k * Hidden, Hidden), hidden));
        }
        return scores;
    }

    /// <summary>The features as an array (both apps pay the same copy); a wrong length is INVALID_ARGUMENT.</summary>
    private static float[] Read(Features features)
    {
        if (features.Values.Count != Inputs)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Features must have {Inputs} values; got {features.Values.Count}."));
        }
        var x = new float[Inputs];
        features.Values.CopyTo(x, 0);
        return x;
    }

    /// <summary>A dot product with two accumulators, so additions overlap (lengths are multiples of 2 vectors).</summary>
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var n = Vector<float>.Count;
        Vector<float> s0 = default, s1 = default;
        for (var i = 0; i < a.Length; i += 2 * n)
        {
            s0 = Vector.FusedMultiplyAdd(new Vector<float>(a[i..]), new Vector<float>(b[i..]), s0);
            s1 = Vector.FusedMultiplyAdd(new Vector<float>(a[(i + n)..]), new Vector<float>(b[(i + n)..]), s1);
        }
        return Vector.Sum(s0 + s1);
    }

    /// <summary>Four dot products of one weight row: each weight vector is loaded once for four inputs.</summary>
    private static (float, float, float, float) Dot4(ReadOnlySpan<float> w, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, ReadOnlySpan<float> x3)
    {
        var n = Vector<float>.Count;
        Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (var i = 0; i < w.Length; i += n)
        {
            var wv = new Vector<float>(w[i..]);
            s0 = Vector.FusedMultiplyAdd(wv, new Vector<float>(x0[i..]), s0);
            s1 = Vector.FusedMultiplyAdd(wv, new Vector<float>(x1[i..]), s1);
            s2 = Vector.FusedMultiplyAdd(wv, new Vector<float>(x2[i..]), s2);
            s3 = Vector.FusedMultiplyAdd(wv, new Vector<float>(x3[i..]), s3);
        }
        return (Vector.Sum(s0), Vector.Sum(s1), Vector.Sum(s2), Vector.Sum(s3));
    }
}

/// <summary>App "unbatched": one call, one forward pass.</summary>
[Deployment]
[GrpcService("servebench.Scorer")]
public sealed partial class ScoreDeployment
{
    /// <summary>Scores one vector.</summary>
    public Scores Score(Features request) => Mlp.Shared.Score(request);
}

/// <summary>
/// App "batched": the same model behind <c>[Batch]</c>. Two batches may run at once, so that, like the
/// unbatched app's concurrent calls, it can keep both of the benchmark machine's cores busy.
/// </summary>
[Deployment]
[GrpcService("servebench.Scorer")]
public sealed partial class BatchedScoreDeployment
{
    /// <summary>Scores a batch of vectors.</summary>
    [Batch(MaxBatchSize = 16, BatchWaitTimeoutS = 0.002, MaxConcurrentBatches = 2)]
    public Scores[] Score(IReadOnlyList<Features> requests) => Mlp.Shared.Score(requests);
}
