using ImageClassification.Imaging;

namespace Serve.ImageClassifier.Tests;

public sealed class ImageDecoderTests
{
    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10 }, "JPEG images are not supported")]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a', 1, 0 }, "GIF images are not supported")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B', (byte)'P' }, "WebP images are not supported")]
    [InlineData(new byte[] { (byte)'B', (byte)'M', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "BMP images are not supported")]
    [InlineData(new byte[] { (byte)'I', (byte)'I', (byte)'*', 0 }, "TIFF images are not supported")]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' }, "Unrecognized image format (5 bytes)")]
    [InlineData(new byte[0], "The image is empty")]
    public void Other_formats_are_named_and_rejected(byte[] data, string expected)
    {
        var message = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(data)).Message;
        Assert.Contains(expected, message, StringComparison.Ordinal);
        if (data.Length > 0)
        {
            Assert.Contains("send a PNG", message, StringComparison.Ordinal);
        }
    }
}
