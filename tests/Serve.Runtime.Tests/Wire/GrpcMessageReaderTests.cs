using System.Buffers;
using System.IO.Pipelines;
using Grpc.Core;
using Serve.Wire;
using static Serve.Runtime.Tests.Wire.WireTestHelpers;

namespace Serve.Runtime.Tests.Wire;

public class GrpcMessageReaderTests
{
    private static readonly byte[] Payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

    private static async Task WriteInChunksAsync(PipeWriter writer, byte[] data, int chunkSize, bool complete = true)
    {
        for (var offset = 0; offset < data.Length; offset += chunkSize)
        {
            await writer.WriteAsync(data.AsMemory(offset, Math.Min(chunkSize, data.Length - offset)));
            await Task.Yield();
        }
        if (complete)
        {
            await writer.CompleteAsync();
        }
    }

    private static async Task<PipeReader> ReaderOverAsync(byte[] data)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(data);
        await pipe.Writer.CompleteAsync();
        return pipe.Reader;
    }

    private static async Task<RpcException> ReadSingleFailsAsync(byte[] data, GrpcReadOptions options = default)
    {
        var reader = await ReaderOverAsync(data);
        return await Assert.ThrowsAsync<RpcException>(async () =>
            await GrpcMessageReader.ReadSingleMessageAsync(reader, options, CancellationToken.None));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Reads_a_single_message_written_in_small_chunks(int chunkSize)
    {
        var pipe = new Pipe();
        var writing = WriteInChunksAsync(pipe.Writer, Frame(Payload), chunkSize);
        var message = await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, default, CancellationToken.None);
        await writing;
        Assert.Equal(Payload, message.Payload.ToArray());
        Assert.False(message.WasCompressed);
        message.Complete();

        var rest = await pipe.Reader.ReadAsync();
        Assert.True(rest.IsCompleted);
        Assert.True(rest.Buffer.IsEmpty);
    }

    [Fact]
    public async Task A_request_already_buffered_and_ended_is_read_without_waiting()
    {
        var reader = await ReaderOverAsync(Frame(Payload));

        var reading = GrpcMessageReader.ReadSingleMessageAsync(reader, default, CancellationToken.None);

        Assert.True(reading.IsCompletedSuccessfully);
        var message = await reading;
        Assert.Equal(Payload, message.Payload.ToArray());
        message.Complete();
    }

    [Fact]
    public async Task A_buffered_first_part_then_the_rest_is_one_message()
    {
        var pipe = new Pipe();
        var frame = Frame(Payload);
        await pipe.Writer.WriteAsync(frame.AsMemory(0, 100));

        var reading = GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, default, CancellationToken.None);
        Assert.False(reading.IsCompleted);
        await pipe.Writer.WriteAsync(frame.AsMemory(100));
        await pipe.Writer.CompleteAsync();

        var message = await reading;
        Assert.Equal(Payload, message.Payload.ToArray());
        message.Complete();
    }

    [Fact]
    public async Task A_cancelled_token_wins_over_a_buffered_request()
    {
        var reader = await ReaderOverAsync(Frame(Payload));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await GrpcMessageReader.ReadSingleMessageAsync(reader, default, new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task Payload_stays_in_the_pipe_until_Complete()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Frame(Payload));
        await pipe.Writer.CompleteAsync();
        var message = await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, default, CancellationToken.None);

        // Not advanced yet: reading again before Complete is a PipeReader contract violation.
        Assert.Throws<InvalidOperationException>(() => pipe.Reader.TryRead(out _));
        Assert.Equal(Payload, message.Payload.ToArray());
        message.Dispose();
        Assert.True((await pipe.Reader.ReadAsync()).Buffer.IsEmpty);
    }

    [Fact]
    public async Task Empty_message_is_a_message()
    {
        var reader = await ReaderOverAsync(Frame([]));
        var message = await GrpcMessageReader.ReadSingleMessageAsync(reader, default, CancellationToken.None);
        Assert.True(message.Payload.IsEmpty);
        message.Complete();
    }

    [Fact]
    public async Task No_message_is_internal()
    {
        var ex = await ReadSingleFailsAsync([]);
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Request did not include a message.", ex.Status.Detail);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(304)]
    public async Task Truncated_frame_is_internal(int length)
    {
        var ex = await ReadSingleFailsAsync(Frame(Payload)[..length]);
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Incomplete message.", ex.Status.Detail);
    }

    [Fact]
    public async Task Second_message_is_internal()
    {
        var ex = await ReadSingleFailsAsync(Concat(Frame([1]), Frame([2])));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Additional data after the message received.", ex.Status.Detail);
    }

    [Fact]
    public async Task Extra_bytes_after_the_message_are_internal_without_waiting_for_the_end()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Concat(Frame([1]), [0]));
        // The writer is not completed: the error comes from the data alone.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, default, CancellationToken.None));
        Assert.Equal("Additional data after the message received.", ex.Status.Detail);
    }

    [Fact]
    public async Task Oversized_message_is_rejected_before_the_body_arrives()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Frame(0, 1_000_000, [1, 2, 3]));
        // Writer still open, body mostly missing.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, new GrpcReadOptions(1000), CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("Received message exceeds the maximum configured message size.", ex.Status.Detail);
    }

    [Fact]
    public async Task Default_options_use_the_4MB_limit()
    {
        Assert.Equal(4 * 1024 * 1024, default(GrpcReadOptions).MaxReceiveMessageSize);
        var ex = await ReadSingleFailsAsync(Frame(0, 4 * 1024 * 1024 + 1, []));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Bad_flag_is_internal()
    {
        var ex = await ReadSingleFailsAsync(Frame(5, 1, [1]));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Compressed_without_encoding_is_internal(string? encoding)
    {
        var ex = await ReadSingleFailsAsync(Frame(Gzip(Payload), compressed: true), new GrpcReadOptions(1000, encoding));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Request did not include grpc-encoding value with compressed message.", ex.Status.Detail);
    }

    [Fact]
    public async Task Compressed_with_identity_encoding_is_internal()
    {
        var ex = await ReadSingleFailsAsync(Frame(Payload, compressed: true), new GrpcReadOptions(1000, "identity"));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Request sent 'identity' grpc-encoding value with compressed message.", ex.Status.Detail);
    }

    [Fact]
    public async Task Unknown_encoding_is_unimplemented()
    {
        var ex = await ReadSingleFailsAsync(Frame(Payload, compressed: true), new GrpcReadOptions(1000, "br"));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Equal("Unsupported grpc-encoding value 'br'. Supported encodings: identity, gzip", ex.Status.Detail);
        Assert.Equal("identity,gzip", GrpcProtocol.AcceptEncodingValue);
    }

    [Fact]
    public async Task Unknown_encoding_with_an_uncompressed_message_is_fine()
    {
        var reader = await ReaderOverAsync(Frame(Payload));
        var message = await GrpcMessageReader.ReadSingleMessageAsync(reader, new GrpcReadOptions(1000, "br"), CancellationToken.None);
        Assert.Equal(Payload, message.Payload.ToArray());
        message.Complete();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public async Task Gzip_message_is_decompressed(int chunkSize)
    {
        var pipe = new Pipe();
        var writing = WriteInChunksAsync(pipe.Writer, Frame(Gzip(Payload), compressed: true), chunkSize);
        var message = await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, new GrpcReadOptions(1000, "gzip"), CancellationToken.None);
        await writing;
        Assert.True(message.WasCompressed);
        Assert.Equal(Payload, message.Payload.ToArray());
        message.Complete();
        // The pipe was already consumed.
        Assert.True((await pipe.Reader.ReadAsync()).IsCompleted);
    }

    [Fact]
    public async Task Large_gzip_message_grows_its_buffer()
    {
        var big = Enumerable.Range(0, 1_000_000).Select(i => (byte)(i % 251)).ToArray();
        var reader = await ReaderOverAsync(Frame(Gzip(big), compressed: true));
        var message = await GrpcMessageReader.ReadSingleMessageAsync(reader, new GrpcReadOptions(1_000_000, "GZIP"), CancellationToken.None);
        Assert.Equal(big, message.Payload.ToArray());
        message.Complete();
    }

    [Fact]
    public async Task Gzip_bomb_is_resource_exhausted()
    {
        var big = new byte[100_000];
        var compressed = Gzip(big);
        Assert.True(compressed.Length < 1000);
        var ex = await ReadSingleFailsAsync(Frame(compressed, compressed: true), new GrpcReadOptions(1000, "gzip"));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("Received message exceeds the maximum configured message size.", ex.Status.Detail);
    }

    [Fact]
    public async Task Decompressed_size_exactly_at_the_limit_is_accepted()
    {
        var data = new byte[1000];
        var reader = await ReaderOverAsync(Frame(Gzip(data), compressed: true));
        var message = await GrpcMessageReader.ReadSingleMessageAsync(reader, new GrpcReadOptions(1000, "gzip"), CancellationToken.None);
        Assert.Equal(1000, message.Payload.Length);
        message.Complete();
    }

    [Fact]
    public async Task Corrupt_gzip_is_internal()
    {
        var ex = await ReadSingleFailsAsync(Frame([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], compressed: true), new GrpcReadOptions(1000, "gzip"));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Cancellation_token_stops_the_wait()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Frame(Payload).AsMemory(0, 3));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, default, cts.Token));
    }

    [Fact]
    public async Task CancelPendingRead_stops_the_wait()
    {
        var pipe = new Pipe();
        var reading = GrpcMessageReader.ReadSingleMessageAsync(pipe.Reader, default, CancellationToken.None).AsTask();
        pipe.Reader.CancelPendingRead();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(100_000)]
    public async Task Stream_of_messages_is_read_one_by_one(int chunkSize)
    {
        var payloads = new[] { Payload, Array.Empty<byte>(), new byte[] { 42 }, Payload.AsSpan(0, 17).ToArray() };
        var data = Concat(payloads.Select(p => Frame(p)).ToArray());
        var pipe = new Pipe();
        var writing = WriteInChunksAsync(pipe.Writer, data, chunkSize);

        var received = new List<byte[]>();
        while (await GrpcMessageReader.TryReadNextMessageAsync(pipe.Reader, default, CancellationToken.None) is { } message)
        {
            received.Add(message.Payload.ToArray());
            message.Complete();
        }
        await writing;
        Assert.Equal(payloads, received);
    }

    [Fact]
    public async Task Buffered_messages_are_returned_without_waiting_for_more_data()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Concat(Frame([1]), Frame([2])));
        // Writer left open: the second message must still come back at once.
        var first = await GrpcMessageReader.TryReadNextMessageAsync(pipe.Reader, default, CancellationToken.None);
        first!.Value.Complete();
        var pending = GrpcMessageReader.TryReadNextMessageAsync(pipe.Reader, default, CancellationToken.None);
        Assert.True(pending.IsCompleted);
        var second = await pending;
        Assert.Equal(new byte[] { 2 }, second!.Value.Payload.ToArray());
        second.Value.Complete();
    }

    [Fact]
    public async Task Empty_stream_has_no_messages()
    {
        var reader = await ReaderOverAsync([]);
        Assert.Null(await GrpcMessageReader.TryReadNextMessageAsync(reader, default, CancellationToken.None));
    }

    [Fact]
    public async Task Stream_ending_mid_message_is_internal()
    {
        var reader = await ReaderOverAsync(Concat(Frame([1]), Frame([2, 3])[..6]));
        var first = await GrpcMessageReader.TryReadNextMessageAsync(reader, default, CancellationToken.None);
        first!.Value.Complete();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await GrpcMessageReader.TryReadNextMessageAsync(reader, default, CancellationToken.None));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Incomplete message.", ex.Status.Detail);
    }

    [Fact]
    public async Task Stream_mixes_compressed_and_uncompressed_messages()
    {
        var reader = await ReaderOverAsync(Concat(Frame(Gzip(Payload), compressed: true), Frame([7])));
        var options = new GrpcReadOptions(1000, "gzip");
        var first = await GrpcMessageReader.TryReadNextMessageAsync(reader, options, CancellationToken.None);
        Assert.Equal(Payload, first!.Value.Payload.ToArray());
        first.Value.Complete();
        var second = await GrpcMessageReader.TryReadNextMessageAsync(reader, options, CancellationToken.None);
        Assert.Equal(new byte[] { 7 }, second!.Value.Payload.ToArray());
        second.Value.Complete();
        Assert.Null(await GrpcMessageReader.TryReadNextMessageAsync(reader, options, CancellationToken.None));
    }

    [Fact]
    public async Task Stream_rejects_an_oversized_message()
    {
        var reader = await ReaderOverAsync(Concat(Frame([1]), Frame(new byte[11])));
        var options = new GrpcReadOptions(10);
        (await GrpcMessageReader.TryReadNextMessageAsync(reader, options, CancellationToken.None))!.Value.Complete();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await GrpcMessageReader.TryReadNextMessageAsync(reader, options, CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public void Default_message_Complete_is_a_no_op()
    {
        default(GrpcRequestMessage).Complete();
        Assert.True(default(GrpcRequestMessage).Payload.IsEmpty);
    }
}
