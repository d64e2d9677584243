using System.Text.Json;

namespace Serve.ImageClassifier.Tests;

/// <summary>The sample's shipped files and what training/train.py recorded about them.</summary>
internal static class TestFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Sample(params string[] parts) => Path.Combine([RepoRoot, "samples", "ImageClassifier", .. parts]);

    public static string Image(string file) => Sample("images", file);

    public static Reference Reference { get; } = LoadReference();

    private static Reference LoadReference()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Sample("training", "reference.json")));
        var root = document.RootElement;
        var images = root.GetProperty("images").EnumerateArray().Select(e => new ReferenceImage(
            e.GetProperty("file").GetString()!,
            e.GetProperty("label").GetInt32(),
            e.GetProperty("class").GetString()!,
            e.GetProperty("width").GetInt32(),
            e.GetProperty("height").GetInt32(),
            e.GetProperty("rgba_sha256").GetString()!,
            Doubles(e.GetProperty("tensor")),
            Doubles(e.GetProperty("probabilities")))).ToList();
        var heldout = root.GetProperty("heldout");
        const string Alphabet = "0123456789abcdefg";
        var samples = heldout.GetProperty("samples").EnumerateArray()
            .Select(s => s.GetString()!.Select(c => Alphabet.IndexOf(c, StringComparison.Ordinal)).ToArray()).ToList();
        return new Reference(
            root.GetProperty("heldout_accuracy").GetDouble(),
            images,
            samples,
            heldout.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToList(),
            heldout.GetProperty("predicted").EnumerateArray().Select(e => e.GetInt32()).ToList(),
            heldout.GetProperty("probabilities").EnumerateArray().Select(Doubles).ToList());
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Serve.Gen.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Serve.Gen.sln not found above " + AppContext.BaseDirectory);
    }
}

internal sealed record ReferenceImage(string File, int Label, string Class, int Width, int Height, string RgbaSha256, double[] Tensor, double[] Probabilities);

/// <summary>reference.json: the shipped images and the held-out split (ink levels 0..16, labels, Python's predictions).</summary>
internal sealed record Reference(
    double HeldOutAccuracy,
    IReadOnlyList<ReferenceImage> Images,
    IReadOnlyList<int[]> HeldOutSamples,
    IReadOnlyList<int> HeldOutLabels,
    IReadOnlyList<int> HeldOutPredicted,
    IReadOnlyList<double[]> HeldOutProbabilities);
