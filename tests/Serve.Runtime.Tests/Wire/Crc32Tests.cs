using System.IO.Compression;
using System.Text;
using Serve.Wire;

namespace Serve.Runtime.Tests.Wire;

public sealed class Crc32Tests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xE8B7BE43u)]
    [InlineData("123456789", 0xCBF43926u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void Matches_the_standard_check_values(string text, uint expected)
        => Assert.Equal(expected, Crc32.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Matches_the_trailer_gzip_writes()
    {
        var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo gRPC ", 500)));
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }
        var compressed = buffer.ToArray();
        Assert.Equal(BitConverter.ToUInt32(compressed, compressed.Length - 8), Crc32.Compute(data));
    }
}
