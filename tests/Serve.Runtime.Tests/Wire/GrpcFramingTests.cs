using System.Buffers;
using Grpc.Core;
using Serve.Wire;
using static Serve.Runtime.Tests.Wire.WireTestHelpers;

namespace Serve.Runtime.Tests.Wire;

public class GrpcFramingTests
{
    private static readonly byte[] Payload = [10, 20, 30, 40, 50, 60, 70];

    [Fact]
    public void WriteHeader_writes_flag_and_big_endian_length()
    {
        var header = new byte[5];
        GrpcFraming.WriteHeader(header, compressed: true, 0x01020304);
        Assert.Equal(new byte[] { 1, 1, 2, 3, 4 }, header);
        GrpcFraming.WriteHeader(header, compressed: false, 7);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 7 }, header);
    }

    [Fact]
    public void WriteHeader_rejects_short_destination_and_negative_length()
    {
        Assert.Throws<ArgumentException>(() => GrpcFraming.WriteHeader(new byte[4], false, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GrpcFraming.WriteHeader(new byte[5], false, -1));
    }

    [Fact]
    public void Reads_a_message_at_every_split_point()
    {
        var frame = Frame(Payload);
        for (var split = 0; split <= frame.Length; split++)
        {
            var buffer = Segmented(frame, split);
            Assert.True(GrpcFraming.TryReadMessage(ref buffer, 100, out var payload, out var compressed), $"split {split}");
            Assert.False(compressed);
            Assert.Equal(Payload, payload.ToArray());
            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void Reads_a_message_at_every_pair_of_split_points()
    {
        var frame = Frame(Payload);
        for (var a = 1; a < frame.Length; a++)
        {
            for (var b = a; b < frame.Length; b++)
            {
                var buffer = Segmented(frame, a, b);
                Assert.True(GrpcFraming.TryReadMessage(ref buffer, 100, out var payload, out _));
                Assert.Equal(Payload, payload.ToArray());
            }
        }
    }

    [Fact]
    public void Reads_a_message_from_one_byte_segments()
    {
        var buffer = OneBytePerSegment(Frame(Payload, compressed: true));
        Assert.True(GrpcFraming.TryReadMessage(ref buffer, 100, out var payload, out var compressed));
        Assert.True(compressed);
        Assert.Equal(Payload, payload.ToArray());
    }

    [Fact]
    public void Needs_more_data_for_every_prefix_of_a_frame()
    {
        var frame = Frame(Payload);
        for (var length = 0; length < frame.Length; length++)
        {
            var buffer = OneBytePerSegment(frame[..length]);
            var before = buffer;
            Assert.False(GrpcFraming.TryReadMessage(ref buffer, 100, out _, out _), $"length {length}");
            Assert.Equal(before.Length, buffer.Length);
        }
    }

    [Fact]
    public void Reads_consecutive_messages_and_leaves_the_rest()
    {
        var data = Concat(Frame([1]), Frame([]), Frame([2, 3]), [0, 0]);
        var buffer = Segmented(data, 3, 8, 9);
        Assert.True(GrpcFraming.TryReadMessage(ref buffer, 100, out var p1, out _));
        Assert.True(GrpcFraming.TryReadMessage(ref buffer, 100, out var p2, out _));
        Assert.True(GrpcFraming.TryReadMessage(ref buffer, 100, out var p3, out _));
        Assert.False(GrpcFraming.TryReadMessage(ref buffer, 100, out _, out _));
        Assert.Equal(new byte[] { 1 }, p1.ToArray());
        Assert.True(p2.IsEmpty);
        Assert.Equal(new byte[] { 2, 3 }, p3.ToArray());
        Assert.Equal(2, buffer.Length);
    }

    [Fact]
    public void Oversized_length_is_rejected_from_the_prefix_alone()
    {
        // Only the 5-byte prefix has arrived: the body is never waited for.
        var buffer = new ReadOnlySequence<byte>(Frame(0, 101, []));
        var ex = Assert.Throws<RpcException>(() => GrpcFraming.TryReadMessage(ref buffer, 100, out _, out _));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("Received message exceeds the maximum configured message size.", ex.Status.Detail);
    }

    [Fact]
    public void Length_at_the_limit_is_accepted_and_uint_max_is_rejected()
    {
        var buffer = new ReadOnlySequence<byte>(Frame(new byte[100]));
        Assert.True(GrpcFraming.TryReadMessage(ref buffer, 100, out _, out _));
        var huge = new ReadOnlySequence<byte>(Frame(0, uint.MaxValue, []));
        Assert.Equal(StatusCode.ResourceExhausted,
            Assert.Throws<RpcException>(() => GrpcFraming.TryReadMessage(ref huge, int.MaxValue, out _, out _)).StatusCode);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void Bad_flag_is_internal(byte flag)
    {
        var buffer = Segmented(Frame(flag, 1, [9]), 1);
        var ex = Assert.Throws<RpcException>(() => GrpcFraming.TryReadMessage(ref buffer, 100, out _, out _));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("compression flag", ex.Status.Detail, StringComparison.Ordinal);
    }
}
