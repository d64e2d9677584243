using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Serve.IntegrationTests;

/// <summary>gRPC requests built by hand for a raw HTTP/2 client: the tests that send what a gRPC library would not.</summary>
internal static class GrpcFrames
{
    public static byte[] Frame(byte[] payload) => Frame(0, (uint)payload.Length, payload);

    public static byte[] Frame(byte flag, byte[] payload) => Frame(flag, (uint)payload.Length, payload);

    /// <summary>A gRPC message prefix declaring <paramref name="declaredLength"/>, followed by <paramref name="payload"/> as is.</summary>
    public static byte[] Frame(byte flag, uint declaredLength, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>A request body with the gRPC content type.</summary>
    public static ByteArrayContent Bytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        return content;
    }

    /// <summary>An HTTP/2 POST to <paramref name="path"/> on the gRPC port, with <c>te: trailers</c>.</summary>
    public static HttpRequestMessage Request(int port, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        return request;
    }

    /// <summary>An HTTP/2-only client that never times out by itself: each test bounds its own calls.</summary>
    public static HttpClient Http2Client(SocketsHttpHandler? handler = null) => new(handler ?? new SocketsHttpHandler(), disposeHandler: true)
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Reads from <paramref name="body"/> until <paramref name="count"/> bytes arrived.</summary>
    public static async Task ReadExactlyAsync(Stream body, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await body.ReadExactlyAsync(buffer, cancellationToken);
    }
}
