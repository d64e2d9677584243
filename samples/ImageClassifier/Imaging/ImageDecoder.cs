namespace ImageClassification.Imaging;

/// <summary>
/// Decodes the image formats this sample reads, chosen by their leading bytes: PNG (non-interlaced;
/// grayscale, gray + alpha, RGB, RGBA and palette) and binary Netpbm (PGM <c>P5</c>, PPM <c>P6</c>).
/// Anything else is rejected with an <see cref="ImageDecodeException"/> that names what was found.
/// </summary>
public static class ImageDecoder
{
    /// <summary>What to send instead, appended to "not supported" messages.</summary>
    internal const string Supported = "send a PNG (8-bit or less per channel, non-interlaced) or a binary PGM/PPM (P5/P6)";

    /// <summary>Decodes <paramref name="data"/> into RGBA pixels.</summary>
    /// <exception cref="ImageDecodeException">The data is not a supported image or is damaged.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageDecodeException("The image is empty (0 bytes).");
        }
        if (PngDecoder.HasSignature(data))
        {
            return PngDecoder.Decode(data);
        }
        if (data.Length >= 2 && data[0] == (byte)'P' && data[1] is >= (byte)'1' and <= (byte)'7')
        {
            return PnmDecoder.Decode(data);
        }
        var other = Identify(data);
        if (other is not null)
        {
            throw new ImageDecodeException($"{other} images are not supported: {Supported}.");
        }
        if (data.Length >= 4 && data[1..4].SequenceEqual("PNG"u8))
        {
            // Typically a PNG sent through a text-mode transfer that rewrote its line endings.
            throw new ImageDecodeException("The PNG signature is damaged: expected the 8 bytes 89 50 4E 47 0D 0A 1A 0A.");
        }
        throw new ImageDecodeException($"Unrecognized image format ({data.Length} bytes): {Supported}.");
    }

    /// <summary>Names well-known formats we do not decode, from their magic bytes.</summary>
    private static string? Identify(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "JPEG";
        }
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return "GIF";
        }
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return "WebP";
        }
        if (data.StartsWith("BM"u8) && data.Length >= 14)
        {
            return "BMP";
        }
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8))
        {
            return "TIFF";
        }
        if (data.Length >= 12 && data[4..8].SequenceEqual("ftyp"u8))
        {
            return "HEIF/AVIF";
        }
        return null;
    }
}
