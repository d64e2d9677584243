using System.Buffers.Binary;
using System.IO.Compression;

namespace ImageClassification.Imaging;

/// <summary>
/// A small PNG decoder: non-interlaced images of colour type grayscale (bit depth 1, 2, 4 or 8),
/// RGB (8), palette (1, 2, 4 or 8, with <c>tRNS</c> transparency), gray + alpha (8) and RGBA (8);
/// all five row filters; IDAT data split over any number of chunks, inflated with
/// <see cref="ZLibStream"/>. CRCs are not checked. 16-bit and interlaced images are rejected
/// with a message saying so, damaged files with one saying where.
/// </summary>
public static class PngDecoder
{
    /// <summary>The largest number of pixels decoded (protects against decompression bombs).</summary>
    public const long MaxPixels = 16L * 1024 * 1024;

    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Whether <paramref name="data"/> starts with the 8-byte PNG signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>Decodes a PNG file into RGBA pixels.</summary>
    /// <exception cref="ImageDecodeException">The file is not a PNG this decoder supports, or is damaged.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> data)
    {
        if (!HasSignature(data))
        {
            throw new ImageDecodeException("Not a PNG file: the 8-byte PNG signature is missing.");
        }

        Header? header = null;
        byte[]? palette = null;   // RGBA, 4 bytes per entry
        int[]? colorKey = null;   // tRNS of grayscale (1 value) or RGB (3 values), in sample units
        var idat = new MemoryStream();
        var sawIdat = false;
        var sawEnd = false;
        var position = Signature.Length;
        while (position < data.Length)
        {
            if (data.Length - position < 12)
            {
                throw new ImageDecodeException($"PNG is truncated: an incomplete chunk header at byte {position}.");
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            var type = data.Slice(position + 4, 4);
            var name = ChunkName(type);
            if (length > int.MaxValue || length > (uint)(data.Length - position - 12))
            {
                throw new ImageDecodeException($"PNG is truncated: chunk '{name}' at byte {position} declares {length} bytes but only {Math.Max(0, data.Length - position - 12)} follow.");
            }
            var body = data.Slice(position + 8, (int)length);
            position += 12 + (int)length;

            if (header is null && !type.SequenceEqual("IHDR"u8))
            {
                throw new ImageDecodeException($"Invalid PNG: the first chunk is '{name}', expected 'IHDR'.");
            }
            if (type.SequenceEqual("IHDR"u8))
            {
                if (header is not null)
                {
                    throw new ImageDecodeException("Invalid PNG: more than one IHDR chunk.");
                }
                header = ReadHeader(body);
            }
            else if (type.SequenceEqual("PLTE"u8))
            {
                palette = ReadPalette(body, header!.Value, sawIdat);
            }
            else if (type.SequenceEqual("tRNS"u8))
            {
                ReadTransparency(body, header!.Value, palette, ref colorKey);
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                sawIdat = true;
                idat.Write(body);
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                sawEnd = true;
                break;
            }
            else if ((type[0] & 0x20) == 0)
            {
                // Upper-case first letter: a critical chunk, which a decoder must understand.
                throw new ImageDecodeException($"Unsupported PNG: unknown critical chunk '{name}'.");
            }
        }

        if (header is null)
        {
            throw new ImageDecodeException("PNG is truncated: it ends after the signature, before the IHDR chunk.");
        }
        var h = header.Value;
        if (!sawIdat)
        {
            throw new ImageDecodeException(sawEnd ? "Invalid PNG: no IDAT (image data) chunk." : "PNG is truncated: it ends before any image data (IDAT).");
        }
        if (h.ColorType == 3 && palette is null)
        {
            throw new ImageDecodeException("Invalid PNG: a palette image without a PLTE chunk.");
        }

        var scanlines = Inflate(idat, h);
        Unfilter(scanlines, h);
        var rgba = ToRgba(scanlines, h, palette, colorKey);
        return new DecodedImage(h.Width, h.Height, rgba, $"PNG {h.Width}x{h.Height} {ColorTypeName(h.ColorType)} {h.BitDepth}-bit");
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, int ColorType)
    {
        public int Channels => ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };

        public int BitsPerPixel => Channels * BitDepth;

        /// <summary>Bytes per complete pixel, at least 1: the distance the filters look back.</summary>
        public int FilterStride => Math.Max(1, BitsPerPixel / 8);

        public int RowBytes => (int)(((long)Width * BitsPerPixel + 7) / 8);
    }

    private static Header ReadHeader(ReadOnlySpan<byte> body)
    {
        if (body.Length != 13)
        {
            throw new ImageDecodeException($"Invalid PNG: IHDR has {body.Length} bytes, expected 13.");
        }
        var width = BinaryPrimitives.ReadUInt32BigEndian(body);
        var height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int bitDepth = body[8], colorType = body[9], compression = body[10], filter = body[11], interlace = body[12];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageDecodeException($"Invalid PNG: image size {width}x{height}.");
        }
        if ((long)width * height > MaxPixels)
        {
            throw new ImageDecodeException($"PNG image too large: {width}x{height} is more than {MaxPixels} pixels.");
        }
        var allowed = colorType switch
        {
            0 => new[] { 1, 2, 4, 8, 16 },
            2 or 4 or 6 => [8, 16],
            3 => [1, 2, 4, 8],
            _ => throw new ImageDecodeException($"Invalid PNG: colour type {colorType} does not exist (0, 2, 3, 4 and 6 do)."),
        };
        if (Array.IndexOf(allowed, bitDepth) < 0)
        {
            throw new ImageDecodeException($"Invalid PNG: bit depth {bitDepth} is not allowed for colour type {colorType} ({ColorTypeName(colorType)}).");
        }
        if (bitDepth == 16)
        {
            throw new ImageDecodeException($"16-bit PNGs are not supported ({ColorTypeName(colorType)}, bit depth 16): {ImageDecoder.Supported}.");
        }
        if (compression != 0 || filter != 0)
        {
            throw new ImageDecodeException($"Invalid PNG: compression method {compression} / filter method {filter} (only 0 / 0 exist).");
        }
        if (interlace == 1)
        {
            throw new ImageDecodeException($"Interlaced (Adam7) PNGs are not supported: {ImageDecoder.Supported}.");
        }
        if (interlace != 0)
        {
            throw new ImageDecodeException($"Invalid PNG: interlace method {interlace} does not exist.");
        }
        return new Header((int)width, (int)height, bitDepth, colorType);
    }

    private static byte[] ReadPalette(ReadOnlySpan<byte> body, Header header, bool afterData)
    {
        if (afterData)
        {
            throw new ImageDecodeException("Invalid PNG: PLTE comes after the image data.");
        }
        if (body.Length == 0 || body.Length % 3 != 0 || body.Length / 3 > 256)
        {
            throw new ImageDecodeException($"Invalid PNG: PLTE has {body.Length} bytes (must be 3 per entry, 1 to 256 entries).");
        }
        if (header.ColorType == 3 && body.Length / 3 > 1 << header.BitDepth)
        {
            throw new ImageDecodeException($"Invalid PNG: PLTE has {body.Length / 3} entries, more than bit depth {header.BitDepth} can index.");
        }
        var entries = body.Length / 3;
        var palette = new byte[entries * 4];
        for (var i = 0; i < entries; i++)
        {
            palette[i * 4] = body[i * 3];
            palette[i * 4 + 1] = body[i * 3 + 1];
            palette[i * 4 + 2] = body[i * 3 + 2];
            palette[i * 4 + 3] = 255;
        }
        return palette;
    }

    private static void ReadTransparency(ReadOnlySpan<byte> body, Header header, byte[]? palette, ref int[]? colorKey)
    {
        switch (header.ColorType)
        {
            case 3:
                if (palette is null)
                {
                    throw new ImageDecodeException("Invalid PNG: tRNS comes before PLTE.");
                }
                if (body.Length > palette.Length / 4)
                {
                    throw new ImageDecodeException($"Invalid PNG: tRNS has {body.Length} alpha values for {palette.Length / 4} palette entries.");
                }
                for (var i = 0; i < body.Length; i++)
                {
                    palette[i * 4 + 3] = body[i];
                }
                break;
            case 0 when body.Length == 2:
                colorKey = [BinaryPrimitives.ReadUInt16BigEndian(body)];
                break;
            case 2 when body.Length == 6:
                colorKey = [BinaryPrimitives.ReadUInt16BigEndian(body), BinaryPrimitives.ReadUInt16BigEndian(body[2..]), BinaryPrimitives.ReadUInt16BigEndian(body[4..])];
                break;
            case 0 or 2:
                throw new ImageDecodeException($"Invalid PNG: tRNS has {body.Length} bytes for colour type {header.ColorType}.");
            default:
                throw new ImageDecodeException($"Invalid PNG: tRNS is not allowed for colour type {header.ColorType} ({ColorTypeName(header.ColorType)}), which has an alpha channel.");
        }
    }

    /// <summary>Inflates the concatenated IDAT data into exactly <c>height * (1 + rowBytes)</c> bytes.</summary>
    private static byte[] Inflate(MemoryStream idat, Header header)
    {
        var expected = (long)header.Height * (1 + header.RowBytes);
        var output = new byte[expected];
        idat.Position = 0;
        var read = 0;
        try
        {
            using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
            while (read < output.Length)
            {
                var n = zlib.Read(output, read, output.Length - read);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ImageDecodeException($"PNG image data is corrupt (zlib: {ex.Message}).", ex);
        }
        if (read < output.Length)
        {
            throw new ImageDecodeException($"PNG image data ends early (truncated?): {read} of {expected} bytes of scanlines, row {read / (1 + header.RowBytes)} of {header.Height}.");
        }
        return output;
    }

    /// <summary>Reverses the per-row filters in place (PNG spec section 9).</summary>
    private static void Unfilter(byte[] data, Header header)
    {
        var rowBytes = header.RowBytes;
        var bpp = header.FilterStride;
        var stride = rowBytes + 1;
        for (var y = 0; y < header.Height; y++)
        {
            var start = y * stride;
            var filter = data[start];
            var row = data.AsSpan(start + 1, rowBytes);
            var prior = y == 0 ? default : data.AsSpan(start - stride + 1, rowBytes);
            switch (filter)
            {
                case 0:
                    break;
                case 1: // Sub
                    for (var i = bpp; i < rowBytes; i++)
                    {
                        row[i] += row[i - bpp];
                    }
                    break;
                case 2: // Up
                    if (y > 0)
                    {
                        for (var i = 0; i < rowBytes; i++)
                        {
                            row[i] += prior[i];
                        }
                    }
                    break;
                case 3: // Average
                    for (var i = 0; i < rowBytes; i++)
                    {
                        var left = i >= bpp ? row[i - bpp] : 0;
                        var up = y > 0 ? prior[i] : 0;
                        row[i] += (byte)((left + up) >> 1);
                    }
                    break;
                case 4: // Paeth
                    for (var i = 0; i < rowBytes; i++)
                    {
                        int a = i >= bpp ? row[i - bpp] : 0;
                        int b = y > 0 ? prior[i] : 0;
                        int c = i >= bpp && y > 0 ? prior[i - bpp] : 0;
                        row[i] += (byte)Paeth(a, b, c);
                    }
                    break;
                default:
                    throw new ImageDecodeException($"Invalid PNG: row {y} has filter type {filter} (0 to 4 exist).");
            }
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }
        return pb <= pc ? b : c;
    }

    private static byte[] ToRgba(byte[] data, Header header, byte[]? palette, int[]? colorKey)
    {
        int width = header.Width, height = header.Height, depth = header.BitDepth;
        var stride = header.RowBytes + 1;
        var rgba = new byte[(long)width * height * 4];
        var o = 0;
        for (var y = 0; y < height; y++)
        {
            var row = data.AsSpan(y * stride + 1, header.RowBytes);
            for (var x = 0; x < width; x++, o += 4)
            {
                switch (header.ColorType)
                {
                    case 0:
                    {
                        var sample = Sample(row, x, depth);
                        var gray = (byte)(sample * 255 / ((1 << depth) - 1));
                        rgba[o] = rgba[o + 1] = rgba[o + 2] = gray;
                        rgba[o + 3] = colorKey is not null && sample == colorKey[0] ? (byte)0 : (byte)255;
                        break;
                    }
                    case 2:
                        rgba[o] = row[x * 3];
                        rgba[o + 1] = row[x * 3 + 1];
                        rgba[o + 2] = row[x * 3 + 2];
                        rgba[o + 3] = colorKey is not null && row[x * 3] == colorKey[0] && row[x * 3 + 1] == colorKey[1] && row[x * 3 + 2] == colorKey[2] ? (byte)0 : (byte)255;
                        break;
                    case 3:
                    {
                        var index = Sample(row, x, depth);
                        if (index * 4 >= palette!.Length)
                        {
                            throw new ImageDecodeException($"Invalid PNG: pixel ({x}, {y}) uses palette entry {index}, but the palette has {palette.Length / 4}.");
                        }
                        palette.AsSpan(index * 4, 4).CopyTo(rgba.AsSpan(o, 4));
                        break;
                    }
                    case 4:
                        rgba[o] = rgba[o + 1] = rgba[o + 2] = row[x * 2];
                        rgba[o + 3] = row[x * 2 + 1];
                        break;
                    default:
                        row.Slice(x * 4, 4).CopyTo(rgba.AsSpan(o, 4));
                        break;
                }
            }
        }
        return rgba;
    }

    /// <summary>The <paramref name="x"/>th sample of a row packed at <paramref name="depth"/> bits, most significant bits first.</summary>
    private static int Sample(ReadOnlySpan<byte> row, int x, int depth)
    {
        if (depth == 8)
        {
            return row[x];
        }
        var bit = x * depth;
        var shift = 8 - depth - (bit & 7);
        return (row[bit >> 3] >> shift) & ((1 << depth) - 1);
    }

    private static string ColorTypeName(int colorType) => colorType switch
    {
        0 => "grayscale",
        2 => "RGB",
        3 => "palette",
        4 => "gray + alpha",
        6 => "RGBA",
        _ => "unknown",
    };

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            chars[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        }
        return new string(chars);
    }
}
