namespace ImageClassification.Imaging;

/// <summary>
/// Decodes binary Netpbm images: PGM (<c>P5</c>, grayscale) and PPM (<c>P6</c>, RGB), with any
/// maximum value from 1 to 65535 (two bytes per sample above 255, scaled to 8 bits) and
/// <c>#</c> comments in the header. The ASCII and bitmap variants (P1–P4) and PAM (P7) are rejected.
/// </summary>
public static class PnmDecoder
{
    /// <summary>The largest number of pixels decoded.</summary>
    public const long MaxPixels = PngDecoder.MaxPixels;

    /// <summary>Decodes a P5 or P6 file into RGBA pixels (alpha 255).</summary>
    /// <exception cref="ImageDecodeException">The file is not a binary PGM/PPM or is damaged.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2 || data[0] != (byte)'P')
        {
            throw new ImageDecodeException("Not a Netpbm file: it does not start with 'P'.");
        }
        var kind = (char)data[1];
        int channels = kind switch
        {
            '5' => 1,
            '6' => 3,
            '1' or '2' or '3' => throw new ImageDecodeException($"ASCII Netpbm images (P{kind}) are not supported: {ImageDecoder.Supported}."),
            '4' => throw new ImageDecodeException($"Netpbm bitmaps (P4) are not supported: {ImageDecoder.Supported}."),
            '7' => throw new ImageDecodeException($"PAM images (P7) are not supported: {ImageDecoder.Supported}."),
            _ => throw new ImageDecodeException($"Not a Netpbm file: unknown magic 'P{kind}'."),
        };
        var name = channels == 1 ? "PGM" : "PPM";

        var position = 2;
        var width = ReadNumber(data, ref position, "width", name);
        var height = ReadNumber(data, ref position, "height", name);
        var maxValue = ReadNumber(data, ref position, "maximum value", name);
        if (width == 0 || height == 0)
        {
            throw new ImageDecodeException($"Invalid {name}: image size {width}x{height}.");
        }
        if ((long)width * height > MaxPixels)
        {
            throw new ImageDecodeException($"{name} image too large: {width}x{height} is more than {MaxPixels} pixels.");
        }
        if (maxValue is 0 or > 65535)
        {
            throw new ImageDecodeException($"Invalid {name}: maximum value {maxValue} (must be 1 to 65535).");
        }
        // Exactly one whitespace byte separates the header from the raster.
        if (position >= data.Length || !IsWhitespace(data[position]))
        {
            throw new ImageDecodeException($"{name} is truncated: no pixel data after the header.");
        }
        position++;

        var bytesPerSample = maxValue > 255 ? 2 : 1;
        var expected = (long)width * height * channels * bytesPerSample;
        var raster = data[position..];
        if (raster.Length < expected)
        {
            throw new ImageDecodeException($"{name} is truncated: {raster.Length} bytes of pixel data, {expected} expected for {width}x{height} (maximum value {maxValue}).");
        }

        var rgba = new byte[(long)width * height * 4];
        var pixels = width * height;
        for (var i = 0; i < pixels; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var sampleIndex = i * channels + (channels == 1 ? 0 : c);
                var value = bytesPerSample == 1
                    ? raster[sampleIndex]
                    : (raster[sampleIndex * 2] << 8) | raster[sampleIndex * 2 + 1];
                if (value > maxValue)
                {
                    throw new ImageDecodeException($"Invalid {name}: pixel {i % width}, {i / width} has value {value}, above the maximum {maxValue}.");
                }
                rgba[i * 4 + c] = maxValue == 255 ? (byte)value : (byte)((value * 255L + maxValue / 2) / maxValue);
            }
            rgba[i * 4 + 3] = 255;
        }
        return new DecodedImage(width, height, rgba, $"{name} {width}x{height} (maximum value {maxValue})");
    }

    /// <summary>Skips whitespace and comments, then reads a decimal number.</summary>
    private static int ReadNumber(ReadOnlySpan<byte> data, ref int position, string what, string name)
    {
        while (position < data.Length)
        {
            if (IsWhitespace(data[position]))
            {
                position++;
            }
            else if (data[position] == (byte)'#')
            {
                while (position < data.Length && data[position] is not ((byte)'\n' or (byte)'\r'))
                {
                    position++;
                }
            }
            else
            {
                break;
            }
        }
        if (position >= data.Length)
        {
            throw new ImageDecodeException($"{name} is truncated: the header ends before the {what}.");
        }
        if (data[position] is < (byte)'0' or > (byte)'9')
        {
            throw new ImageDecodeException($"Invalid {name} header: expected the {what} at byte {position}, found '{(char)data[position]}'.");
        }
        long value = 0;
        while (position < data.Length && data[position] is >= (byte)'0' and <= (byte)'9')
        {
            value = value * 10 + (data[position] - '0');
            if (value > 1_000_000)
            {
                throw new ImageDecodeException($"Invalid {name} header: the {what} is too large.");
            }
            position++;
        }
        return (int)value;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
