using System.Text;
using ImageClassification;
using Model = ImageClassification.ImageClassifier;

namespace Serve.ImageClassifier.Tests;

public sealed class ImageClassifierTests
{
    private static readonly Model s_model = Model.LoadDefault();
    private static readonly string[] s_classes = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>A held-out sample as the model sees it: ink levels 0..16 stretched to [0, 1], like train.py does.</summary>
    private static ImageTensor HeldOut(int[] levels)
    {
        double lo = levels.Min(), hi = levels.Max();
        return new ImageTensor(8, 8, levels.Select(v => hi > lo ? (float)((v - lo) / (hi - lo)) : 0f).ToArray());
    }

    [Fact]
    public void The_embedded_model_is_the_8x8_digit_classifier()
    {
        Assert.Equal(8, s_model.InputWidth);
        Assert.Equal(8, s_model.InputHeight);
        Assert.Equal(s_classes, s_model.Classes);
        Assert.Equal(TestFiles.Reference.HeldOutAccuracy, s_model.HeldOutAccuracy, 6);
        Assert.Contains("digits", s_model.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Predictions_on_the_whole_held_out_split_match_the_training_script()
    {
        var reference = TestFiles.Reference;
        Assert.Equal(450, reference.HeldOutSamples.Count);
        var correct = 0;
        for (var i = 0; i < reference.HeldOutSamples.Count; i++)
        {
            var probabilities = s_model.Probabilities(HeldOut(reference.HeldOutSamples[i]));
            var predicted = Array.IndexOf(probabilities, probabilities.Max());
            Assert.Equal(reference.HeldOutPredicted[i], predicted);
            correct += predicted == reference.HeldOutLabels[i] ? 1 : 0;
        }
        var accuracy = (double)correct / reference.HeldOutSamples.Count;
        Assert.Equal(reference.HeldOutAccuracy, accuracy, 12);
        Assert.True(accuracy >= 0.95, $"held-out accuracy {accuracy}");
    }

    [Fact]
    public void Probabilities_match_the_training_scripts_to_float_precision()
    {
        var reference = TestFiles.Reference;
        Assert.NotEmpty(reference.HeldOutProbabilities);
        for (var i = 0; i < reference.HeldOutProbabilities.Count; i++)
        {
            var probabilities = s_model.Probabilities(HeldOut(reference.HeldOutSamples[i]));
            for (var k = 0; k < 10; k++)
            {
                // The tensor is float32 here and float64 in numpy: agreement to about 1e-7.
                Assert.True(Math.Abs(reference.HeldOutProbabilities[i][k] - probabilities[k]) < 1e-6, $"sample {i} class {k}: {probabilities[k]} vs {reference.HeldOutProbabilities[i][k]}");
            }
        }
    }

    [Fact]
    public void Every_shipped_image_is_classified_correctly_with_the_training_scripts_probabilities()
    {
        var preprocessor = new ImagePreprocessor(s_model.InputWidth, s_model.InputHeight);
        Assert.Equal(10, TestFiles.Reference.Images.Count);
        foreach (var reference in TestFiles.Reference.Images)
        {
            var input = preprocessor.Preprocess(File.ReadAllBytes(TestFiles.Image(reference.File)));
            var probabilities = s_model.Probabilities(input);
            for (var k = 0; k < 10; k++)
            {
                Assert.True(Math.Abs(reference.Probabilities[k] - probabilities[k]) < 1e-4, $"{reference.File} class {k}: {probabilities[k]} vs {reference.Probabilities[k]}");
            }
            var top = s_model.Classify(input);
            Assert.Equal(reference.Class, top[0].Label);
            Assert.Equal(reference.Label, top[0].Index);
            Assert.Equal(s_classes[reference.Label], reference.Class);
        }
    }

    [Fact]
    public void Classify_returns_the_top_k_most_probable_first()
    {
        var input = HeldOut(TestFiles.Reference.HeldOutSamples[0]);
        var all = s_model.Probabilities(input);
        var top = s_model.Classify(input, 5);

        Assert.Equal(5, top.Count);
        Assert.Equal(all.OrderByDescending(p => p).Take(5), top.Select(t => t.Probability));
        Assert.All(top, t => Assert.Equal(s_classes[t.Index], t.Label));
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Probability >= p.Second.Probability));
        Assert.Equal(1.0, all.Sum(), 12);
        Assert.Equal(10, s_model.Classify(input, 50).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => s_model.Classify(input, 0));
    }

    [Fact]
    public void Softmax_is_stable_for_large_logits_and_ties_keep_class_order()
    {
        var p = Model.Softmax([1000.0, 1000.0, -1000.0]);
        Assert.Equal([0.5, 0.5, 0.0], p);

        var blank = new ImageTensor(8, 8, new float[64]);
        var top = s_model.Classify(blank, 10);
        Assert.Equal(10, top.Select(t => t.Index).Distinct().Count());
    }

    [Fact]
    public void Inputs_of_the_wrong_size_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => s_model.Logits(new ImageTensor(4, 4, new float[16])));
        Assert.Contains("8x8", ex.Message, StringComparison.Ordinal);
    }

    private static string ValidModel(string? format = null, string? activation = null, int biasCount = 2) => $$"""
        { "format": "{{format ?? "serve-mlp/1"}}", "extra": {"ignored": [1, 2]},
          "input": {"width": 2, "height": 1}, "classes": ["a", "b"],
          "layers": [ {"inputs": 2, "outputs": 2, "activation": "{{activation ?? "identity"}}",
                       "weights": [1, 0, 0, 1], "bias": [{{string.Join(", ", Enumerable.Repeat("0", biasCount))}}]} ] }
        """;

    [Fact]
    public void A_model_file_can_be_loaded_from_a_stream()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(ValidModel()));
        var model = Model.Load(stream);
        var logits = model.Logits(new ImageTensor(2, 1, [0.25f, 0.75f]));
        Assert.Equal([0.25, 0.75], logits);
        Assert.True(double.IsNaN(model.HeldOutAccuracy));
    }

    [Theory]
    [InlineData("other/1", null, 2, "format is 'other/1', expected 'serve-mlp/1'")]
    [InlineData(null, "tanh", 2, "activation 'tanh' is not supported")]
    [InlineData(null, null, 3, "bias has 3 values, expected 2")]
    public void Invalid_model_files_say_what_is_wrong(string? format, string? activation, int biasCount, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(Encoding.UTF8.GetBytes(ValidModel(format, activation, biasCount))));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_and_inconsistent_model_files_are_rejected()
    {
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => Model.Load("{\"format\": "u8)).Message, StringComparison.Ordinal);
        var wrongClasses = ValidModel().Replace("[\"a\", \"b\"]", "[\"a\", \"b\", \"c\"]", StringComparison.Ordinal);
        Assert.Contains("2 outputs for 3 classes", Assert.Throws<InvalidDataException>(() => Model.Load(Encoding.UTF8.GetBytes(wrongClasses))).Message, StringComparison.Ordinal);
        var wrongInput = ValidModel().Replace("\"width\": 2", "\"width\": 3", StringComparison.Ordinal);
        Assert.Contains("takes 2 inputs but receives 3", Assert.Throws<InvalidDataException>(() => Model.Load(Encoding.UTF8.GetBytes(wrongInput))).Message, StringComparison.Ordinal);
    }
}
