using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Serve.ImageClassifier.Tests;

/// <summary>A tiny PNG encoder for the tests: any colour type and bit depth, any filter per row, any chunks.</summary>
internal static class PngWriter
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Channels of each colour type.</summary>
    public static int Channels(int colorType) => colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 1 };

    /// <summary>
    /// Encodes <paramref name="samples"/> (one int per sample, row by row, <c>width * channels</c> per row)
    /// packed at <paramref name="bitDepth"/>, each row filtered with <paramref name="filterOfRow"/>.
    /// </summary>
    public static byte[] Encode(int width, int height, int colorType, int bitDepth, int[] samples, Func<int, int> filterOfRow,
        byte[]? palette = null, byte[]? transparency = null, int interlace = 0, int idatChunks = 1)
    {
        var rows = PackRows(width, height, Channels(colorType), bitDepth, samples);
        var bpp = Math.Max(1, Channels(colorType) * bitDepth / 8);
        var filtered = FilterRows(rows, bpp, filterOfRow);
        var chunks = new List<byte[]> { Chunk("IHDR", Ihdr(width, height, bitDepth, colorType, interlace)) };
        chunks.Add(Chunk("tEXt", Encoding.ASCII.GetBytes("Comment\0test image")));
        if (palette is not null)
        {
            chunks.Add(Chunk("PLTE", palette));
        }
        if (transparency is not null)
        {
            chunks.Add(Chunk("tRNS", transparency));
        }
        var compressed = Zlib(filtered);
        var size = (compressed.Length + idatChunks - 1) / idatChunks;
        for (var offset = 0; offset < compressed.Length; offset += size)
        {
            chunks.Add(Chunk("IDAT", compressed.AsSpan(offset, Math.Min(size, compressed.Length - offset))));
        }
        chunks.Add(Chunk("IEND", []));
        return Build(chunks);
    }

    public static byte[] Build(IEnumerable<byte[]> chunks) => [.. Signature, .. chunks.SelectMany(c => c)];

    public static byte[] Ihdr(int width, int height, int bitDepth, int colorType, int interlace = 0)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)interlace;
        return ihdr;
    }

    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4, 4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }
        return output.ToArray();
    }

    public static List<byte[]> PackRows(int width, int height, int channels, int bitDepth, int[] samples)
    {
        var rowBytes = (width * channels * bitDepth + 7) / 8;
        var rows = new List<byte[]>();
        for (var y = 0; y < height; y++)
        {
            var row = new byte[rowBytes];
            for (var i = 0; i < width * channels; i++)
            {
                var value = samples[y * width * channels + i];
                var bit = i * bitDepth;
                row[bit >> 3] |= (byte)(value << (8 - bitDepth - (bit & 7)));
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Prefixes every row with its filter type and applies the filter (PNG spec section 9).</summary>
    public static byte[] FilterRows(List<byte[]> rows, int bpp, Func<int, int> filterOfRow)
    {
        using var output = new MemoryStream();
        var prior = new byte[rows.Count == 0 ? 0 : rows[0].Length];
        for (var y = 0; y < rows.Count; y++)
        {
            var row = rows[y];
            var filter = filterOfRow(y);
            output.WriteByte((byte)filter);
            for (var i = 0; i < row.Length; i++)
            {
                int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => 0,
                };
                output.WriteByte((byte)(row[i] - predictor));
            }
            prior = row;
        }
        return output.ToArray();
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }
}
