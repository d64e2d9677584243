using System.Text;
using ImageClassification;
using ImageClassification.Imaging;

namespace Serve.ImageClassifier.Tests;

public sealed class ImagePreprocessorTests
{
    private static DecodedImage Gray(int width, int height, Func<int, int, byte> value)
    {
        var rgba = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = value(x, y);
                var o = (y * width + x) * 4;
                rgba[o] = rgba[o + 1] = rgba[o + 2] = v;
                rgba[o + 3] = 255;
            }
        }
        return new DecodedImage(width, height, rgba, "test");
    }

    [Fact]
    public void Gray_is_bt601_luma_composited_over_white()
    {
        byte[] rgba = [255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 51];
        var gray = ImagePreprocessor.ToGray(new DecodedImage(5, 1, rgba, "test"));
        Assert.Equal(255.0, gray[0], 9);
        Assert.Equal(0.0, gray[1], 9);
        Assert.Equal(0.299 * 255, gray[2], 9);
        Assert.Equal(255.0, gray[3], 9);       // fully transparent: white paper
        Assert.Equal(0.8 * 255, gray[4], 9);   // 20% black over white
    }

    [Fact]
    public void Integer_downscales_average_whole_blocks()
    {
        // 64x64 made of 8x8 blocks: block (bx, by) is dark in proportion to bx + by; a white frame column.
        var image = Gray(64, 64, (x, y) => (byte)(255 - (x / 8 + y / 8) * 15));
        var tensor = new ImagePreprocessor().Preprocess(image);
        Assert.Equal(8, tensor.Width);
        for (var by = 0; by < 8; by++)
        {
            for (var bx = 0; bx < 8; bx++)
            {
                // ink = (bx + by) * 15 / 255, stretched by its maximum 14 * 15 / 255.
                Assert.Equal((bx + by) / 14.0, tensor[bx, by], 6);
            }
        }
    }

    [Fact]
    public void Non_square_images_are_fitted_keeping_their_aspect_centred()
    {
        // 32x16 uniform ink on a dark-paper image: occupies 8x4 target pixels, rows 2..5.
        var wide = Gray(32, 16, (x, y) => x == 0 || y == 0 || x == 31 || y == 15 ? (byte)0 : (byte)200);
        var tensor = ImagePreprocessor.Fit(ImagePreprocessor.ToInk(ImagePreprocessor.ToGray(wide), 32, 16), 32, 16, 8, 8);
        for (var x = 0; x < 8; x++)
        {
            Assert.Equal(0.0, tensor[0 * 8 + x]);
            Assert.Equal(0.0, tensor[1 * 8 + x]);
            Assert.True(tensor[3 * 8 + x] > 0.3, $"{x}: {tensor[3 * 8 + x]}");
            Assert.Equal(0.0, tensor[6 * 8 + x]);
            Assert.Equal(0.0, tensor[7 * 8 + x]);
        }

        // A 6x3 image: scale 0.75 source pixels per target pixel, so 8x4 target pixels with fractional coverage.
        var ones = Enumerable.Repeat(1.0, 18).ToArray();
        var fitted = ImagePreprocessor.Fit(ones, 6, 3, 8, 8);
        Assert.Equal(32.0, fitted.Sum(), 9); // area preserved: 18 source pixels / 0.75² per target pixel
        Assert.Equal(1.0, fitted[2 * 8 + 3], 9);
        Assert.Equal(0.0, fitted[1 * 8 + 3], 9);
    }

    [Fact]
    public void Fractional_downscales_weigh_partial_pixels_by_area()
    {
        // 12x12 → 8x8: each target pixel covers 1.5x1.5 source pixels.
        var source = new double[144];
        source[0] = 1.0; // top-left source pixel only
        var fitted = ImagePreprocessor.Fit(source, 12, 12, 8, 8);
        Assert.Equal(1.0 / 2.25, fitted[0], 12);          // fully inside target (0, 0)
        Assert.Equal(0.0, fitted[1], 12);
        source[0] = 0;
        source[1] = 1.0; // pixel x = 1 is shared half/half by target x = 0 and 1
        fitted = ImagePreprocessor.Fit(source, 12, 12, 8, 8);
        Assert.Equal(0.5 / 2.25, fitted[0], 12);
        Assert.Equal(0.5 / 2.25, fitted[1], 12);
    }

    [Fact]
    public void Small_images_are_upscaled()
    {
        var tensor = new ImagePreprocessor().Preprocess(Gray(4, 4, (x, y) => x == 1 && y == 2 ? (byte)0 : (byte)255));
        // The dark source pixel (1, 2) covers target pixels x 2..3, y 4..5.
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                Assert.Equal(x is 2 or 3 && y is 4 or 5 ? 1f : 0f, tensor[x, y]);
            }
        }
    }

    [Fact]
    public void Polarity_is_detected_so_inverted_images_give_the_same_tensor()
    {
        Func<int, int, byte> digit = (x, y) => (byte)(x is >= 8 and < 24 && y is >= 4 and < 28 ? 30 + x * 3 : 250);
        var dark = new ImagePreprocessor().Preprocess(Gray(32, 32, digit));
        var light = new ImagePreprocessor().Preprocess(Gray(32, 32, (x, y) => (byte)(255 - digit(x, y))));
        Assert.Equal(dark.Values, light.Values);
        Assert.True(ImagePreprocessor.IsDarkOnLight(ImagePreprocessor.ToGray(Gray(32, 32, digit)), 32, 32));
    }

    [Fact]
    public void Paper_and_ink_colours_do_not_matter_after_the_stretch()
    {
        var blackOnWhite = new ImagePreprocessor().Preprocess(Gray(16, 16, (x, y) => x == 8 ? (byte)0 : (byte)255));
        var grayOnCream = new ImagePreprocessor().Preprocess(Gray(16, 16, (x, y) => x == 8 ? (byte)120 : (byte)230));
        Assert.Equal(blackOnWhite.Values, grayOnCream.Values);
        Assert.Equal(1f, blackOnWhite.Values.Max());
        Assert.Equal(0f, blackOnWhite.Values.Min());
    }

    [Fact]
    public void A_blank_image_gives_zeros()
    {
        var tensor = new ImagePreprocessor().Preprocess(Gray(10, 10, (_, _) => 255));
        Assert.All(tensor.Values, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void The_same_picture_in_every_supported_encoding_gives_the_same_tensor()
    {
        const int Width = 24, Height = 24;
        var gray = new int[Width * Height];
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = (i % Width - 12) * (i % Width - 12) + (i / Width - 12) * (i / Width - 12) < 60 ? 20 : 240;
        }
        var rgb = gray.SelectMany(g => new[] { g, g, g }).ToArray();
        var rgba = gray.SelectMany(g => new[] { g, g, g, 255 }).ToArray();
        var grayAlpha = gray.SelectMany(g => new[] { g, 255 }).ToArray();
        byte[] palette = [20, 20, 20, 240, 240, 240];
        var indices = gray.Select(g => g == 20 ? 0 : 1).ToArray();

        var encodings = new List<byte[]>
        {
            PngWriter.Encode(Width, Height, 0, 8, gray, _ => 4),
            PngWriter.Encode(Width, Height, 2, 8, rgb, y => y % 5),
            PngWriter.Encode(Width, Height, 6, 8, rgba, _ => 3),
            PngWriter.Encode(Width, Height, 4, 8, grayAlpha, _ => 1),
            PngWriter.Encode(Width, Height, 3, 1, indices, _ => 2, palette),
            PngWriter.Encode(Width, Height, 3, 8, indices, _ => 0, palette),
            Encoding.ASCII.GetBytes($"P5 {Width} {Height} 255\n").Concat(gray.Select(g => (byte)g)).ToArray(),
            Encoding.ASCII.GetBytes($"P6 {Width} {Height} 255\n").Concat(rgb.Select(g => (byte)g)).ToArray(),
        };
        var preprocessor = new ImagePreprocessor();
        var expected = preprocessor.Preprocess(encodings[0]).Values;
        foreach (var encoded in encodings)
        {
            Assert.Equal(expected, preprocessor.Preprocess(encoded).Values);
        }
    }

    [Fact]
    public void The_shipped_images_give_the_tensors_the_training_script_computed()
    {
        var preprocessor = new ImagePreprocessor();
        foreach (var reference in TestFiles.Reference.Images)
        {
            var tensor = preprocessor.Preprocess(File.ReadAllBytes(TestFiles.Image(reference.File)));
            Assert.Equal(64, tensor.Values.Length);
            for (var i = 0; i < 64; i++)
            {
                Assert.True(Math.Abs(reference.Tensor[i] - tensor.Values[i]) < 1e-6, $"{reference.File}[{i}]: {tensor.Values[i]} vs {reference.Tensor[i]}");
            }
        }
    }

    [Fact]
    public void Undecodable_bytes_fail_with_the_decoders_message()
    {
        var ex = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor().Preprocess("not an image"u8));
        Assert.Contains("Unrecognized image format", ex.Message, StringComparison.Ordinal);
    }
}
