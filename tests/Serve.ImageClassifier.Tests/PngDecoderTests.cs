using System.Security.Cryptography;
using ImageClassification.Imaging;

namespace Serve.ImageClassifier.Tests;

public sealed class PngDecoderTests
{
    public static TheoryData<int> Filters => [0, 1, 2, 3, 4];

    private static int[] RandomSamples(int count, int maxValue, int seed)
    {
        var random = new Random(seed);
        var samples = new int[count];
        for (var i = 0; i < count; i++)
        {
            samples[i] = random.Next(maxValue + 1);
        }
        return samples;
    }

    /// <summary>Expected RGBA of samples for colour types without a palette (8-bit and gray below 8 bits).</summary>
    private static byte[] ExpectedRgba(int colorType, int bitDepth, int[] samples, int pixels)
    {
        var rgba = new byte[pixels * 4];
        var channels = PngWriter.Channels(colorType);
        for (var p = 0; p < pixels; p++)
        {
            var s = samples.AsSpan(p * channels, channels);
            (int r, int g, int b, int a) = colorType switch
            {
                0 => (s[0] * 255 / ((1 << bitDepth) - 1), s[0] * 255 / ((1 << bitDepth) - 1), s[0] * 255 / ((1 << bitDepth) - 1), 255),
                2 => (s[0], s[1], s[2], 255),
                4 => (s[0], s[0], s[0], s[1]),
                _ => (s[0], s[1], s[2], s[3]),
            };
            rgba[p * 4] = (byte)r;
            rgba[p * 4 + 1] = (byte)g;
            rgba[p * 4 + 2] = (byte)b;
            rgba[p * 4 + 3] = (byte)a;
        }
        return rgba;
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public void Grayscale_8_bit_round_trips_with_every_filter(int filter) => RoundTrip(0, 8, filter);

    [Theory]
    [MemberData(nameof(Filters))]
    public void Rgb_round_trips_with_every_filter(int filter) => RoundTrip(2, 8, filter);

    [Theory]
    [MemberData(nameof(Filters))]
    public void Gray_alpha_round_trips_with_every_filter(int filter) => RoundTrip(4, 8, filter);

    [Theory]
    [MemberData(nameof(Filters))]
    public void Rgba_round_trips_with_every_filter(int filter) => RoundTrip(6, 8, filter);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Grayscale_below_8_bits_is_unpacked_and_scaled(int bitDepth)
    {
        foreach (var filter in new[] { 0, 1, 2, 3, 4 })
        {
            RoundTrip(0, bitDepth, filter);
        }
    }

    [Fact]
    public void Rows_may_each_use_a_different_filter_and_data_may_span_several_idat_chunks()
    {
        foreach (var colorType in new[] { 0, 2, 4, 6 })
        {
            const int Width = 17, Height = 11;
            var samples = RandomSamples(Width * Height * PngWriter.Channels(colorType), 255, seed: colorType);
            var png = PngWriter.Encode(Width, Height, colorType, 8, samples, y => (y * 3) % 5, idatChunks: 4);
            var image = PngDecoder.Decode(png);
            Assert.Equal(ExpectedRgba(colorType, 8, samples, Width * Height), image.Rgba);
        }
    }

    private static void RoundTrip(int colorType, int bitDepth, int filter)
    {
        // 13 pixels wide: rows of sub-byte samples end in a partial byte.
        const int Width = 13, Height = 7;
        var samples = RandomSamples(Width * Height * PngWriter.Channels(colorType), (1 << bitDepth) - 1, seed: filter * 100 + colorType * 10 + bitDepth);
        var png = PngWriter.Encode(Width, Height, colorType, bitDepth, samples, _ => filter);

        var image = ImageDecoder.Decode(png);

        Assert.Equal(Width, image.Width);
        Assert.Equal(Height, image.Height);
        Assert.Equal(ExpectedRgba(colorType, bitDepth, samples, Width * Height), image.Rgba);
        Assert.StartsWith("PNG 13x7", image.Format, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Palette_images_map_indices_through_plte_and_trns(int bitDepth)
    {
        const int Width = 9, Height = 5;
        var entries = 1 << bitDepth;
        var palette = new byte[entries * 3];
        for (var i = 0; i < palette.Length; i++)
        {
            palette[i] = (byte)(i * 37 + 11);
        }
        byte[] transparency = [0, 128]; // entry 0 transparent, entry 1 half, the rest opaque
        var indices = RandomSamples(Width * Height, entries - 1, seed: bitDepth);

        foreach (var filter in new[] { 0, 1, 2, 3, 4 })
        {
            var png = PngWriter.Encode(Width, Height, 3, bitDepth, indices, _ => filter, palette, transparency);
            var image = PngDecoder.Decode(png);
            for (var p = 0; p < Width * Height; p++)
            {
                var index = indices[p];
                Assert.Equal(palette[index * 3], image.Rgba[p * 4]);
                Assert.Equal(palette[index * 3 + 1], image.Rgba[p * 4 + 1]);
                Assert.Equal(palette[index * 3 + 2], image.Rgba[p * 4 + 2]);
                Assert.Equal(index < transparency.Length ? transparency[index] : 255, image.Rgba[p * 4 + 3]);
            }
        }
    }

    [Fact]
    public void Trns_colour_keys_make_matching_gray_and_rgb_pixels_transparent()
    {
        var gray = PngDecoder.Decode(PngWriter.Encode(2, 1, 0, 8, [7, 8], _ => 0, transparency: [0, 7]));
        Assert.Equal([7, 7, 7, 0, 8, 8, 8, 255], gray.Rgba);

        var rgb = PngDecoder.Decode(PngWriter.Encode(2, 1, 2, 8, [1, 2, 3, 1, 2, 4], _ => 0, transparency: [0, 1, 0, 2, 0, 3]));
        Assert.Equal([1, 2, 3, 0, 1, 2, 4, 255], rgb.Rgba);
    }

    [Fact]
    public void The_shipped_pngs_written_by_python_decode_to_the_pixels_python_wrote()
    {
        foreach (var reference in TestFiles.Reference.Images)
        {
            var image = ImageDecoder.Decode(File.ReadAllBytes(TestFiles.Image(reference.File)));
            Assert.Equal(reference.Width, image.Width);
            Assert.Equal(reference.Height, image.Height);
            Assert.Equal(reference.RgbaSha256, Convert.ToHexStringLower(SHA256.HashData(image.Rgba)));
        }
    }

    // ---- bad input ------------------------------------------------------------------------------

    private static byte[] SmallPng(int filter = 0, int idatChunks = 1)
        => PngWriter.Encode(6, 4, 2, 8, RandomSamples(6 * 4 * 3, 255, seed: 1), _ => filter, idatChunks: idatChunks);

    private static ImageDecodeException Fails(byte[] data) => Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(data));

    [Fact]
    public void Every_truncation_is_a_clear_decode_error()
    {
        var png = SmallPng(filter: 4);
        for (var length = 1; length < png.Length - 12; length++)
        {
            // Cutting into IEND alone still leaves a complete image; anything shorter must fail cleanly.
            var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png.AsSpan(0, length)));
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        }
    }

    [Fact]
    public void A_chunk_longer_than_the_file_reports_truncation_with_the_chunk_name()
    {
        var png = SmallPng();
        var ex = Fails(png[..^20]);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IDAT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_data_that_ends_early_says_so()
    {
        const int Width = 40, Height = 40;
        var samples = RandomSamples(Width * Height * 3, 255, seed: 5);
        var rows = PngWriter.FilterRows(PngWriter.PackRows(Width, Height, 3, 8, samples), 3, _ => 0);
        var half = PngWriter.Zlib(rows[..(rows.Length / 2)]);
        var png = PngWriter.Build([PngWriter.Chunk("IHDR", PngWriter.Ihdr(Width, Height, 8, 2)), PngWriter.Chunk("IDAT", half), PngWriter.Chunk("IEND", [])]);
        Assert.Contains("ends early", Fails(png).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_compressed_data_is_reported()
    {
        var png = PngWriter.Build([PngWriter.Chunk("IHDR", PngWriter.Ihdr(4, 4, 8, 0)), PngWriter.Chunk("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x12]), PngWriter.Chunk("IEND", [])]);
        var ex = Fails(png);
        Assert.True(ex.Message.Contains("corrupt", StringComparison.Ordinal) || ex.Message.Contains("ends early", StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public void Random_corruption_never_escapes_as_another_exception_type()
    {
        var png = SmallPng(filter: 3, idatChunks: 2);
        var random = new Random(42);
        for (var trial = 0; trial < 2000; trial++)
        {
            var copy = (byte[])png.Clone();
            for (var k = 0; k < 1 + trial % 4; k++)
            {
                copy[random.Next(8, copy.Length)] = (byte)random.Next(256);
            }
            try
            {
                ImageDecoder.Decode(copy);
            }
            catch (ImageDecodeException)
            {
            }
        }
    }

    [Fact]
    public void A_wrong_signature_is_rejected()
    {
        var png = SmallPng();
        png[1] = (byte)'X';
        Assert.Contains("Unrecognized image format", Fails(png).Message, StringComparison.Ordinal);

        var firstByte = SmallPng();
        firstByte[0] = 0x88;
        Assert.Contains("signature is damaged", Fails(firstByte).Message, StringComparison.Ordinal);

        var crlf = SmallPng();
        crlf[4] = 0x0A; // \r\n turned into \n\n by a text-mode transfer
        Assert.Contains("signature is damaged", Fails(crlf).Message, StringComparison.Ordinal);

        Assert.Contains("signature", Assert.Throws<ImageDecodeException>(() => PngDecoder.Decode("GIF89a"u8)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interlaced_images_are_rejected_with_what_to_send_instead()
    {
        var png = PngWriter.Encode(4, 4, 0, 8, new int[16], _ => 0, interlace: 1);
        var message = Fails(png).Message;
        Assert.Contains("Interlaced (Adam7) PNGs are not supported", message, StringComparison.Ordinal);
        Assert.Contains("non-interlaced", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(6)]
    public void Sixteen_bit_images_are_rejected(int colorType)
    {
        var png = PngWriter.Build([PngWriter.Chunk("IHDR", PngWriter.Ihdr(2, 2, 16, colorType)), PngWriter.Chunk("IEND", [])]);
        Assert.Contains("16-bit PNGs are not supported", Fails(png).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 3, "bit depth 3 is not allowed for colour type 0")]
    [InlineData(2, 4, "bit depth 4 is not allowed for colour type 2")]
    [InlineData(3, 16, "bit depth 16 is not allowed for colour type 3")]
    [InlineData(5, 8, "colour type 5 does not exist")]
    public void Invalid_header_combinations_are_named(int colorType, int bitDepth, string expected)
    {
        var png = PngWriter.Build([PngWriter.Chunk("IHDR", PngWriter.Ihdr(2, 2, bitDepth, colorType)), PngWriter.Chunk("IEND", [])]);
        Assert.Contains(expected, Fails(png).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_structural_errors_are_named()
    {
        var ihdr = PngWriter.Chunk("IHDR", PngWriter.Ihdr(2, 1, 8, 0));
        var end = PngWriter.Chunk("IEND", []);
        var data = PngWriter.Chunk("IDAT", PngWriter.Zlib([5, 1, 2]));

        Assert.Contains("filter type 5", Fails(PngWriter.Build([ihdr, data, end])).Message, StringComparison.Ordinal);
        Assert.Contains("first chunk is 'IDAT'", Fails(PngWriter.Build([data, ihdr, end])).Message, StringComparison.Ordinal);
        Assert.Contains("no IDAT", Fails(PngWriter.Build([ihdr, end])).Message, StringComparison.Ordinal);
        Assert.Contains("unknown critical chunk 'ABCD'", Fails(PngWriter.Build([ihdr, PngWriter.Chunk("ABCD", [1]), data, end])).Message, StringComparison.Ordinal);
        Assert.Contains("IHDR has 12 bytes", Fails(PngWriter.Build([PngWriter.Chunk("IHDR", new byte[12]), end])).Message, StringComparison.Ordinal);
        Assert.Contains("image size 0x1", Fails(PngWriter.Build([PngWriter.Chunk("IHDR", PngWriter.Ihdr(0, 1, 8, 0)), end])).Message, StringComparison.Ordinal);
        Assert.Contains("too large", Fails(PngWriter.Build([PngWriter.Chunk("IHDR", PngWriter.Ihdr(100_000, 100_000, 8, 0)), end])).Message, StringComparison.Ordinal);

        // Ancillary chunks that are not understood are skipped.
        Assert.Equal(2, ImageDecoder.Decode(PngWriter.Build([ihdr, PngWriter.Chunk("zzZz", [1, 2]), PngWriter.Chunk("IDAT", PngWriter.Zlib([0, 1, 2])), end])).Width);
    }

    [Fact]
    public void Palette_errors_are_named()
    {
        var ihdr = PngWriter.Chunk("IHDR", PngWriter.Ihdr(2, 1, 8, 3));
        var data = PngWriter.Chunk("IDAT", PngWriter.Zlib([0, 0, 2]));
        var end = PngWriter.Chunk("IEND", []);
        var plte = PngWriter.Chunk("PLTE", [1, 2, 3, 4, 5, 6]);

        Assert.Contains("without a PLTE", Fails(PngWriter.Build([ihdr, data, end])).Message, StringComparison.Ordinal);
        Assert.Contains("palette entry 2", Fails(PngWriter.Build([ihdr, plte, data, end])).Message, StringComparison.Ordinal);
        Assert.Contains("PLTE has 4 bytes", Fails(PngWriter.Build([ihdr, PngWriter.Chunk("PLTE", [1, 2, 3, 4]), data, end])).Message, StringComparison.Ordinal);
        Assert.Contains("tRNS has 3 alpha values for 2", Fails(PngWriter.Build([ihdr, plte, PngWriter.Chunk("tRNS", [1, 2, 3]), data, end])).Message, StringComparison.Ordinal);
    }
}
