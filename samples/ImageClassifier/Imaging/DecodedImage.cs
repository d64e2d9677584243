namespace ImageClassification.Imaging;

/// <summary>A decoded image: 8-bit RGBA pixels, row by row, top to bottom.</summary>
public sealed class DecodedImage
{
    /// <summary>Wraps decoded pixels.</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="rgba">Four bytes per pixel (red, green, blue, alpha), <c>width * height * 4</c> in all.</param>
    /// <param name="format">What the image was decoded from, e.g. <c>PNG 64x64 grayscale 8-bit</c>.</param>
    public DecodedImage(int width, int height, byte[] rgba, string format)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(rgba);
        if (rgba.LongLength != (long)width * height * 4)
        {
            throw new ArgumentException($"Expected {(long)width * height * 4} bytes of RGBA for {width}x{height}, got {rgba.LongLength}.", nameof(rgba));
        }
        Width = width;
        Height = height;
        Rgba = rgba;
        Format = format ?? "";
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels: red, green, blue, alpha for each, row by row from the top.</summary>
    public byte[] Rgba { get; }

    /// <summary>What the image was decoded from, for messages.</summary>
    public string Format { get; }

    /// <inheritdoc />
    public override string ToString() => Format;
}

/// <summary>
/// The bytes are not an image this sample can decode: an unsupported format or variant (with what
/// to send instead), or a damaged file (with where it is damaged).
/// </summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public ImageDecodeException() : base("The image could not be decoded.") { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ImageDecodeException(string message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public ImageDecodeException(string message, Exception innerException) : base(message, innerException) { }
}
