namespace ImageClassification;

/// <summary>A class and its probability, as <see cref="ImageClassifier.Classify"/> returns them.</summary>
/// <param name="Label">The class name, e.g. <c>seven</c>.</param>
/// <param name="Index">The class index (for the digit model, the digit).</param>
/// <param name="Probability">The softmax probability, 0..1.</param>
public readonly record struct ClassProbability(string Label, int Index, double Probability);

/// <summary>
/// The model of the guide's <c>ImageClassifier</c>: a small multilayer perceptron evaluated on the CPU
/// (dense layers with ReLU, logits, softmax, top-k). <see cref="LoadDefault"/> loads the handwritten
/// digit model that <c>training/train.py</c> trained on scikit-learn's digits data set
/// (8×8 input; classes <c>zero</c> … <c>nine</c>), embedded in this assembly. Instances are immutable
/// and safe to share between threads.
/// </summary>
public sealed class ImageClassifier
{
    /// <summary>The manifest resource name of the embedded digit model.</summary>
    public const string DefaultModelResource = "ImageClassification.digits-mlp.json";

    private readonly DenseLayer[] _layers;
    private readonly string[] _classes;

    private ImageClassifier(ModelFile model)
    {
        _layers = [.. model.Layers];
        _classes = [.. model.Classes];
        InputWidth = model.InputWidth;
        InputHeight = model.InputHeight;
        Description = model.Description;
        HeldOutAccuracy = model.HeldOutAccuracy;
    }

    /// <summary>Loads the embedded digit model.</summary>
    public static ImageClassifier LoadDefault()
    {
        using var stream = typeof(ImageClassifier).Assembly.GetManifestResourceStream(DefaultModelResource)
            ?? throw new InvalidOperationException($"The embedded model '{DefaultModelResource}' is missing from {typeof(ImageClassifier).Assembly.GetName().Name}.");
        return Load(stream);
    }

    /// <summary>Loads a model file (format <c>serve-mlp/1</c>) from <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid model.</exception>
    public static ImageClassifier Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Load(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Loads a model file (format <c>serve-mlp/1</c>) from its UTF-8 JSON.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid model.</exception>
    public static ImageClassifier Load(ReadOnlySpan<byte> utf8Json) => new(ModelFile.Parse(utf8Json));

    /// <summary>Input columns the model expects.</summary>
    public int InputWidth { get; }

    /// <summary>Input rows the model expects.</summary>
    public int InputHeight { get; }

    /// <summary>The class names, by index.</summary>
    public IReadOnlyList<string> Classes => _classes;

    /// <summary>What the model file says about itself.</summary>
    public string Description { get; }

    /// <summary>The accuracy the training script measured on its held-out split (NaN when not recorded).</summary>
    public double HeldOutAccuracy { get; }

    /// <summary>The network's raw outputs (one per class) for <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">The input's size is not the model's.</exception>
    public double[] Logits(ImageTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Width != InputWidth || input.Height != InputHeight)
        {
            throw new ArgumentException($"The model takes {InputWidth}x{InputHeight} inputs, got {input.Width}x{input.Height}.", nameof(input));
        }
        var activations = new double[input.Values.Length];
        for (var i = 0; i < activations.Length; i++)
        {
            activations[i] = input.Values[i];
        }
        foreach (var layer in _layers)
        {
            var next = new double[layer.Outputs];
            for (var o = 0; o < layer.Outputs; o++)
            {
                var sum = 0.0;
                var row = layer.Weights.AsSpan(o * layer.Inputs, layer.Inputs);
                for (var i = 0; i < row.Length; i++)
                {
                    sum += row[i] * activations[i];
                }
                sum += layer.Bias[o];
                next[o] = layer.Relu && sum < 0 ? 0 : sum;
            }
            activations = next;
        }
        return activations;
    }

    /// <summary>The probability of every class (softmax of <see cref="Logits"/>), by class index.</summary>
    public double[] Probabilities(ImageTensor input) => Softmax(Logits(input));

    /// <summary>
    /// The <paramref name="topK"/> most probable classes, most probable first (ties: lower index
    /// first), like the guide's <c>torch.topk(probabilities, 5)</c>.
    /// </summary>
    public IReadOnlyList<ClassProbability> Classify(ImageTensor input, int topK = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        var probabilities = Probabilities(input);
        var order = Enumerable.Range(0, probabilities.Length)
            .OrderByDescending(i => probabilities[i])
            .ThenBy(i => i)
            .Take(topK);
        return [.. order.Select(i => new ClassProbability(_classes[i], i, probabilities[i]))];
    }

    /// <summary>Softmax, computed stably (the maximum is subtracted first).</summary>
    public static double[] Softmax(ReadOnlySpan<double> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var z in logits)
        {
            max = Math.Max(max, z);
        }
        var result = new double[logits.Length];
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            sum += result[i];
        }
        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }
        return result;
    }
}
