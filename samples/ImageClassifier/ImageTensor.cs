namespace ImageClassification;

/// <summary>
/// A model input: one channel of <see cref="Width"/> × <see cref="Height"/> values, row by row,
/// normalised like the training data (0 = background, 1 = the strongest ink).
/// </summary>
public sealed class ImageTensor
{
    /// <summary>Wraps <paramref name="values"/> (<c>width * height</c> of them).</summary>
    public ImageTensor(int width, int height, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != width * height)
        {
            throw new ArgumentException($"Expected {width * height} values for {width}x{height}, got {values.Length}.", nameof(values));
        }
        Width = width;
        Height = height;
        Values = values;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>The values, row by row from the top.</summary>
    public float[] Values { get; }

    /// <summary>The value at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public float this[int x, int y] => Values[y * Width + x];
}
