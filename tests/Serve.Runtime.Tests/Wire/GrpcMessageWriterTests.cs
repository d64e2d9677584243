using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Serve.Wire;
using static Serve.Runtime.Tests.Wire.WireTestHelpers;

namespace Serve.Runtime.Tests.Wire;

public class GrpcMessageWriterTests
{
    private static async Task<byte[]> WrittenBytesAsync(Action<PipeWriter> write)
    {
        var pipe = new Pipe();
        write(pipe.Writer);
        await pipe.Writer.CompleteAsync();
        var bytes = new List<byte>();
        while (true)
        {
            var result = await pipe.Reader.ReadAsync();
            bytes.AddRange(result.Buffer.ToArray());
            pipe.Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return bytes.ToArray();
            }
        }
    }

    [Fact]
    public async Task Writes_a_frame_that_matches_the_protobuf_encoding()
    {
        var message = new StringValue { Value = "héllo ✓" };
        var bytes = await WrittenBytesAsync(w => GrpcMessageWriter.WriteMessage(w, message));
        Assert.Equal(Frame(message.ToByteArray()), bytes);
    }

    [Fact]
    public async Task Written_frame_reads_back_through_the_reader()
    {
        var message = new StringValue { Value = new string('x', 10_000) };
        var pipe = new Pipe();
        GrpcMessageWriter.WriteMessage(pipe.Writer, message);
        await pipe.Writer.CompleteAsync();

        var received = await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, default, CancellationToken.None);
        var parsed = StringValue.Parser.ParseFrom(received.Payload);
        received.Complete();
        Assert.Equal(message, parsed);
    }

    [Fact]
    public async Task Empty_message_is_a_five_byte_frame()
    {
        var bytes = await WrittenBytesAsync(w => GrpcMessageWriter.WriteMessage(w, new Empty()));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0 }, bytes);
    }

    [Fact]
    public async Task Gzip_round_trip()
    {
        var message = new StringValue { Value = string.Concat(Enumerable.Repeat("compress me ", 1000)) };
        var pipe = new Pipe();
        GrpcMessageWriter.WriteMessage(pipe.Writer, message, new GrpcWriteOptions(compress: true));
        await pipe.Writer.CompleteAsync();

        var result = await pipe.Reader.ReadAsync();
        var frame = result.Buffer.ToArray();
        pipe.Reader.AdvanceTo(result.Buffer.Start);
        Assert.Equal(1, frame[0]);
        Assert.True(frame.Length < message.CalculateSize() / 4, "gzip should shrink a repetitive message");
        Assert.Equal(message.ToByteArray(), Gunzip(frame.AsSpan(5)));

        var received = await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, new GrpcReadOptions(1 << 20, "gzip"), CancellationToken.None);
        Assert.Equal(message, StringValue.Parser.ParseFrom(received.Payload));
        received.Complete();
    }

    [Fact]
    public async Task Raw_payload_is_framed_as_is_across_segments()
    {
        var payload = Segmented([1, 2, 3, 4, 5, 6], 2, 4);
        var bytes = await WrittenBytesAsync(w => GrpcMessageWriter.WriteMessage(w, payload));
        Assert.Equal(Frame([1, 2, 3, 4, 5, 6]), bytes);
    }

    [Fact]
    public async Task Raw_payload_gzip_round_trip()
    {
        var data = Enumerable.Repeat((byte)7, 5000).ToArray();
        var bytes = await WrittenBytesAsync(w => GrpcMessageWriter.WriteMessage(w, Segmented(data, 100), new GrpcWriteOptions(compress: true)));
        Assert.Equal(1, bytes[0]);
        Assert.Equal(bytes.Length - 5, (bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]);
        Assert.Equal(data, Gunzip(bytes.AsSpan(5)));
    }

    [Fact]
    public void Too_large_message_is_resource_exhausted_and_nothing_is_written()
    {
        var pipe = new Pipe();
        var message = new StringValue { Value = new string('x', 100) };
        var ex = Assert.Throws<RpcException>(() => GrpcMessageWriter.WriteMessage(pipe.Writer, message, maxSendMessageSize: 50));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("Sending message exceeds the maximum configured message size.", ex.Status.Detail);
        Assert.Equal(0, pipe.Writer.UnflushedBytes);

        var raw = Assert.Throws<RpcException>(() =>
            GrpcMessageWriter.WriteMessage(pipe.Writer, new ReadOnlySequence<byte>(new byte[51]), new GrpcWriteOptions(maxSendMessageSize: 50)));
        Assert.Equal(StatusCode.ResourceExhausted, raw.StatusCode);
    }

    [Fact]
    public async Task Message_at_the_send_limit_is_written()
    {
        var message = new StringValue { Value = new string('x', 100) };
        var size = message.CalculateSize();
        var bytes = await WrittenBytesAsync(w => GrpcMessageWriter.WriteMessage(w, message, maxSendMessageSize: size));
        Assert.Equal(5 + size, bytes.Length);
    }

    [Fact]
    public async Task Several_messages_write_back_to_back()
    {
        var pipe = new Pipe();
        for (var i = 0; i < 3; i++)
        {
            GrpcMessageWriter.WriteMessage(pipe.Writer, new Int32Value { Value = i }, new GrpcWriteOptions(compress: i == 1));
        }
        await pipe.Writer.CompleteAsync();
        var values = new List<int>();
        while (await GrpcMessageReader.TryReadNextMessageAsync(pipe.Reader, new GrpcReadOptions(100, "gzip"), CancellationToken.None) is { } m)
        {
            values.Add(Int32Value.Parser.ParseFrom(m.Payload).Value);
            m.Complete();
        }
        Assert.Equal([0, 1, 2], values);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("identity", false)]
    [InlineData("gzip", true)]
    [InlineData("identity,gzip", true)]
    [InlineData("identity, deflate , GZIP", true)]
    [InlineData("gzipx", false)]
    public void AcceptsGzip_reads_the_accept_list(string? header, bool expected) =>
        Assert.Equal(expected, GrpcCompression.AcceptsGzip(header));

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("identity", true)]
    [InlineData("gzip", true)]
    [InlineData("deflate", false)]
    [InlineData("snappy", false)]
    public void IsSupportedEncoding(string? encoding, bool expected) =>
        Assert.Equal(expected, GrpcCompression.IsSupportedEncoding(encoding));
}
