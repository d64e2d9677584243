using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Serve.IntegrationTests.Hostile;

/// <summary>
/// A client that never reads: one HTTP/2 connection whose streams get a flow-control window of 0, carrying one gRPC
/// call. The server can send the response headers but not one byte of the messages, and the client never grants a
/// window. It answers SETTINGS and PING as HTTP/2 requires, so the connection itself stays healthy.
/// </summary>
internal sealed class StalledHttp2Client : IAsyncDisposable
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7;
    private const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _responseHeaders = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<uint> _reset = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;

    private StalledHttp2Client(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reading = ReadFramesAsync();
    }

    /// <summary>Completes when the server sent the call's response headers: the method ran and wrote its first message.</summary>
    public Task ResponseHeaders => _responseHeaders.Task;

    /// <summary>The error code of the server's RST_STREAM for the call, once it sent one (8 is CANCEL, 2 INTERNAL_ERROR).</summary>
    public Task<uint> StreamReset => _reset.Task;

    /// <summary>Completes when the server closed the connection.</summary>
    public Task Closed => _reading;

    public static async Task<StalledHttp2Client> StartAsync(int port, string path, byte[] body, IEnumerable<(string Name, string Value)> metadata, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var stream = tcp.GetStream();
        var start = new List<byte>(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        // SETTINGS_INITIAL_WINDOW_SIZE (4) = 0: no stream may send this client a byte of DATA.
        start.AddRange(Frame(Settings, 0, 0, [0, 4, 0, 0, 0, 0]));
        var headers = new List<byte>();
        foreach (var (name, value) in new[] { (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", $"127.0.0.1:{port}"),
                     ("content-type", "application/grpc"), ("te", "trailers") }.Concat(metadata))
        {
            // Literal header field without indexing, new name, no Huffman coding.
            headers.Add(0);
            AddString(headers, name);
            AddString(headers, value);
        }
        start.AddRange(Frame(Headers, EndHeaders, 1, [.. headers]));
        await stream.WriteAsync(start.ToArray(), cancellationToken);
        // The request in frames of at most 16 KB (the default maximum); Kestrel's windows hold it whole.
        for (var offset = 0; offset < body.Length; offset += 16384)
        {
            var length = Math.Min(16384, body.Length - offset);
            var last = offset + length == body.Length;
            await stream.WriteAsync(Frame(Data, last ? EndStream : (byte)0, 1, body.AsSpan(offset, length).ToArray()), cancellationToken);
        }
        return new StalledHttp2Client(tcp);
    }

    private async Task ReadFramesAsync()
    {
        var header = new byte[9];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _stop.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var type = header[3];
                var flags = header[4];
                var payload = new byte[length];
                await _stream.ReadExactlyAsync(payload, _stop.Token);
                switch (type)
                {
                    case Settings when (flags & Ack) == 0:
                        await _stream.WriteAsync(Frame(Settings, Ack, 0, []), _stop.Token);
                        break;
                    case Ping when (flags & Ack) == 0:
                        await _stream.WriteAsync(Frame(Ping, Ack, 0, payload), _stop.Token);
                        break;
                    case Headers:
                        _responseHeaders.TrySetResult();
                        break;
                    case RstStream:
                        _reset.TrySetResult(BinaryPrimitives.ReadUInt32BigEndian(payload));
                        _responseHeaders.TrySetException(new IOException("The server reset the stream before its response headers."));
                        break;
                    case GoAway:
                        _responseHeaders.TrySetException(new IOException("The server closed the connection before the response headers."));
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _responseHeaders.TrySetException(new IOException("The connection closed before the response headers.", ex));
            _reset.TrySetException(new IOException("The connection closed without a reset of the stream.", ex));
        }
    }

    private static byte[] Frame(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        return frame;
    }

    /// <summary>An HPACK string literal: a 7-bit prefixed length, then the bytes.</summary>
    private static void AddString(List<byte> block, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var length = bytes.Length;
        if (length < 127)
        {
            block.Add((byte)length);
        }
        else
        {
            block.Add(127);
            length -= 127;
            while (length >= 128)
            {
                block.Add((byte)((length & 0x7F) | 0x80));
                length >>= 7;
            }
            block.Add((byte)length);
        }
        block.AddRange(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _tcp.Dispose();
        try
        {
            await _reading;
        }
        catch (Exception)
        {
            // Closed.
        }
        _stop.Dispose();
    }
}
