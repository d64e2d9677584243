using System.Text;
using ImageClassification.Imaging;

namespace Serve.ImageClassifier.Tests;

public sealed class PnmDecoderTests
{
    private static byte[] Pnm(string header, params byte[] raster) => [.. Encoding.ASCII.GetBytes(header), .. raster];

    [Fact]
    public void Pgm_p5_decodes_to_gray_rgba()
    {
        var image = ImageDecoder.Decode(Pnm("P5\n3 2\n255\n", 0, 10, 20, 30, 40, 255));
        Assert.Equal(3, image.Width);
        Assert.Equal(2, image.Height);
        Assert.Equal([0, 0, 0, 255, 10, 10, 10, 255, 20, 20, 20, 255, 30, 30, 30, 255, 40, 40, 40, 255, 255, 255, 255, 255], image.Rgba);
        Assert.Equal("PGM 3x2 (maximum value 255)", image.Format);
    }

    [Fact]
    public void Ppm_p6_decodes_to_rgba()
    {
        var image = ImageDecoder.Decode(Pnm("P6 2 1 255\n", 1, 2, 3, 4, 5, 6));
        Assert.Equal([1, 2, 3, 255, 4, 5, 6, 255], image.Rgba);
    }

    [Fact]
    public void Header_comments_and_any_whitespace_are_allowed()
    {
        var image = ImageDecoder.Decode(Pnm("P5 # a comment\n# another\r\n 2\t# width\n1\n# maxval next\n255\r", 7, 9));
        Assert.Equal([7, 7, 7, 255, 9, 9, 9, 255], image.Rgba);
    }

    [Fact]
    public void Samples_are_scaled_from_the_maximum_value_to_8_bits()
    {
        Assert.Equal([0, 0, 0, 255, 136, 136, 136, 255, 255, 255, 255, 255], ImageDecoder.Decode(Pnm("P5 3 1 15\n", 0, 8, 15)).Rgba);
        // Above 255: two bytes per sample, most significant first.
        Assert.Equal([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255], ImageDecoder.Decode(Pnm("P5 3 1 1000\n", 0, 0, 0x01, 0xF6, 0x03, 0xE8)).Rgba);
    }

    [Fact]
    public void The_shipped_netpbm_files_decode()
    {
        Assert.Equal("PGM 64x64 (maximum value 255)", ImageDecoder.Decode(File.ReadAllBytes(TestFiles.Image("digit-8.pgm"))).Format);
        Assert.Equal("PPM 48x48 (maximum value 255)", ImageDecoder.Decode(File.ReadAllBytes(TestFiles.Image("digit-9.ppm"))).Format);
    }

    [Theory]
    [InlineData("P2 1 1 255\n0", "ASCII Netpbm images (P2) are not supported")]
    [InlineData("P3 1 1 255\n0 0 0", "ASCII Netpbm images (P3) are not supported")]
    [InlineData("P1 1 1\n0", "ASCII Netpbm images (P1) are not supported")]
    [InlineData("P4 8 1\n\0", "Netpbm bitmaps (P4) are not supported")]
    [InlineData("P7\nWIDTH 1\n", "PAM images (P7) are not supported")]
    public void Other_netpbm_variants_are_rejected_with_what_to_send_instead(string file, string expected)
    {
        var message = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(Encoding.ASCII.GetBytes(file))).Message;
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.Contains("P5/P6", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P5 2 2 255\n\u0001\u0002\u0003", "PGM is truncated: 3 bytes of pixel data, 4 expected")]
    [InlineData("P6 1 1 255\n\u0001", "PPM is truncated: 1 bytes of pixel data, 3 expected")]
    [InlineData("P5 2 2 255", "PGM is truncated: no pixel data after the header")]
    [InlineData("P5 2 2", "PGM is truncated: the header ends before the maximum value")]
    [InlineData("P5\n", "PGM is truncated: the header ends before the width")]
    [InlineData("P5 x 2 255\n", "expected the width at byte 3, found 'x'")]
    [InlineData("P5 0 2 255\n", "image size 0x2")]
    [InlineData("P5 1 1 0\n\u0000", "maximum value 0")]
    [InlineData("P5 1 1 70000\n\u0000\u0000", "maximum value 70000")]
    [InlineData("P5 1 1 15\n\u0010", "has value 16, above the maximum 15")]
    [InlineData("P5 99999 99999 255\n", "too large")]
    public void Damaged_files_say_what_is_wrong(string file, string expected)
    {
        var message = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(Encoding.Latin1.GetBytes(file))).Message;
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }
}
