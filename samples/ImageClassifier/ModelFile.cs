using System.Text.Json;

namespace ImageClassification;

/// <summary>One dense layer: <c>output[o] = bias[o] + Σ weights[o * Inputs + i] · input[i]</c>, then the activation.</summary>
internal sealed record DenseLayer(int Inputs, int Outputs, bool Relu, double[] Weights, double[] Bias);

/// <summary>
/// Reads the model file <c>training/train.py</c> writes (format <c>serve-mlp/1</c>) with
/// <see cref="Utf8JsonReader"/>: no reflection, so it works under Native AOT and trimming.
/// <code>
/// { "format": "serve-mlp/1", "description": "...", "heldout_accuracy": 0.97,
///   "input": { "width": 8, "height": 8 }, "classes": ["zero", ...],
///   "layers": [ { "inputs": 64, "outputs": 32, "activation": "relu" | "identity",
///                 "weights": [outputs × inputs, row-major], "bias": [outputs] }, ... ] }
/// </code>
/// Unknown properties are skipped; the shapes are checked against each other.
/// </summary>
internal sealed class ModelFile
{
    public const string Format = "serve-mlp/1";

    public string Description { get; private set; } = "";

    public double HeldOutAccuracy { get; private set; } = double.NaN;

    public int InputWidth { get; private set; }

    public int InputHeight { get; private set; }

    public List<string> Classes { get; } = [];

    public List<DenseLayer> Layers { get; } = [];

    public static ModelFile Parse(ReadOnlySpan<byte> utf8Json)
    {
        var model = new ModelFile();
        string? format = null;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            Read(ref reader);
            Expect(ref reader, JsonTokenType.StartObject, "the model");
            while (NextProperty(ref reader) is { } name)
            {
                switch (name)
                {
                    case "format":
                        format = ReadString(ref reader, name);
                        break;
                    case "description":
                        model.Description = ReadString(ref reader, name);
                        break;
                    case "heldout_accuracy":
                        model.HeldOutAccuracy = ReadDouble(ref reader, name);
                        break;
                    case "input":
                        Expect(ref reader, JsonTokenType.StartObject, name);
                        while (NextProperty(ref reader) is { } inputName)
                        {
                            switch (inputName)
                            {
                                case "width": model.InputWidth = ReadInt(ref reader, "input.width"); break;
                                case "height": model.InputHeight = ReadInt(ref reader, "input.height"); break;
                                default: Skip(ref reader); break;
                            }
                        }
                        break;
                    case "classes":
                        Expect(ref reader, JsonTokenType.StartArray, name);
                        while (Read(ref reader) != JsonTokenType.EndArray)
                        {
                            model.Classes.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Invalid("classes must be strings"));
                        }
                        break;
                    case "layers":
                        Expect(ref reader, JsonTokenType.StartArray, name);
                        while (Read(ref reader) != JsonTokenType.EndArray)
                        {
                            model.Layers.Add(ReadLayer(ref reader, model.Layers.Count));
                        }
                        break;
                    default:
                        Skip(ref reader);
                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Model file is not valid JSON: {ex.Message}", ex);
        }

        if (format != Format)
        {
            throw Invalid($"format is '{format ?? "(missing)"}', expected '{Format}'");
        }
        model.Validate();
        return model;
    }

    private static DenseLayer ReadLayer(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"layers[{index}] must be an object");
        }
        int inputs = 0, outputs = 0;
        string? activation = null;
        double[]? weights = null, bias = null;
        while (NextProperty(ref reader) is { } name)
        {
            switch (name)
            {
                case "inputs": inputs = ReadInt(ref reader, $"layers[{index}].inputs"); break;
                case "outputs": outputs = ReadInt(ref reader, $"layers[{index}].outputs"); break;
                case "activation": activation = ReadString(ref reader, $"layers[{index}].activation"); break;
                case "weights": weights = ReadDoubles(ref reader, $"layers[{index}].weights"); break;
                case "bias": bias = ReadDoubles(ref reader, $"layers[{index}].bias"); break;
                default: Skip(ref reader); break;
            }
        }
        if (inputs < 1 || outputs < 1)
        {
            throw Invalid($"layers[{index}] needs positive inputs and outputs");
        }
        if (weights is null || weights.Length != (long)inputs * outputs)
        {
            throw Invalid($"layers[{index}].weights has {weights?.Length ?? 0} values, expected {inputs} × {outputs}");
        }
        if (bias is null || bias.Length != outputs)
        {
            throw Invalid($"layers[{index}].bias has {bias?.Length ?? 0} values, expected {outputs}");
        }
        var relu = activation switch
        {
            "relu" => true,
            "identity" => false,
            _ => throw Invalid($"layers[{index}].activation '{activation}' is not supported (relu, identity)"),
        };
        return new DenseLayer(inputs, outputs, relu, weights, bias);
    }

    private void Validate()
    {
        if (InputWidth < 1 || InputHeight < 1)
        {
            throw Invalid("input.width and input.height must be positive");
        }
        if (Layers.Count == 0)
        {
            throw Invalid("no layers");
        }
        var size = InputWidth * InputHeight;
        for (var i = 0; i < Layers.Count; i++)
        {
            if (Layers[i].Inputs != size)
            {
                throw Invalid($"layers[{i}] takes {Layers[i].Inputs} inputs but receives {size}");
            }
            size = Layers[i].Outputs;
        }
        if (size != Classes.Count)
        {
            throw Invalid($"the last layer has {size} outputs for {Classes.Count} classes");
        }
    }

    private static JsonTokenType Read(ref Utf8JsonReader reader)
        => reader.Read() ? reader.TokenType : throw Invalid("unexpected end of the file");

    /// <summary>Checks that the current token opens an object or array.</summary>
    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (reader.TokenType != type)
        {
            throw Invalid($"{what} must be {(type == JsonTokenType.StartObject ? "an object" : "an array")}");
        }
    }

    /// <summary>The next property name of the current object (positioned on its value), or null at its end.</summary>
    private static string? NextProperty(ref Utf8JsonReader reader)
    {
        var token = Read(ref reader);
        if (token == JsonTokenType.EndObject)
        {
            return null;
        }
        var name = reader.GetString()!;
        Read(ref reader);
        return name;
    }

    private static void Skip(ref Utf8JsonReader reader) => reader.Skip();

    private static string ReadString(ref Utf8JsonReader reader, string what)
        => reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Invalid($"{what} must be a string");

    private static double ReadDouble(ref Utf8JsonReader reader, string what)
        => reader.TokenType == JsonTokenType.Number ? reader.GetDouble() : throw Invalid($"{what} must be a number");

    private static int ReadInt(ref Utf8JsonReader reader, string what)
        => reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : throw Invalid($"{what} must be an integer");

    private static double[] ReadDoubles(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid($"{what} must be an array of numbers");
        }
        var values = new List<double>();
        while (Read(ref reader) != JsonTokenType.EndArray)
        {
            values.Add(ReadDouble(ref reader, what + "[]"));
        }
        return [.. values];
    }

    private static InvalidDataException Invalid(string message) => new($"Invalid model file: {message}.");
}
