using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Serve.Proxy.Grpc;

/// <summary>
/// Connection middleware of the gRPC port (HTTP/2 only, no TLS): a client speaking HTTP/1.x gets
/// <c>426 Upgrade Required</c> instead of Kestrel's generic 400. HTTP/2 clients start with the
/// connection preface <c>PRI * HTTP/2.0</c>; nothing is consumed for them.
/// </summary>
internal static class Http1Rejection
{
    private static readonly byte[] s_preface = "PRI "u8.ToArray();
    private const string Body = "This port serves gRPC over HTTP/2 only; use an HTTP/2 (h2c) gRPC client.";
    private static readonly byte[] s_response = Encoding.ASCII.GetBytes(
        "HTTP/1.1 426 Upgrade Required\r\n" +
        "Upgrade: h2c\r\n" +
        "Connection: close\r\n" +
        "Content-Type: text/plain\r\n" +
        $"Content-Length: {Body.Length}\r\n" +
        "\r\n" +
        Body);

    public static async Task HandleAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= s_preface.Length || result.IsCompleted)
            {
                var isHttp2 = StartsWithPreface(buffer);
                // Consume and examine nothing: Kestrel reads these same bytes next, without waiting.
                input.AdvanceTo(buffer.Start, buffer.Start);
                if (isHttp2 || buffer.IsEmpty)
                {
                    await next(connection).ConfigureAwait(false);
                    return;
                }
                await connection.Transport.Output.WriteAsync(s_response, connection.ConnectionClosed).ConfigureAwait(false);
                await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
                return;
            }
            // Fewer bytes than the check needs: look at them all, then wait for more.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool StartsWithPreface(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < s_preface.Length)
        {
            return false;
        }
        Span<byte> head = stackalloc byte[4];
        buffer.Slice(0, s_preface.Length).CopyTo(head);
        return head.SequenceEqual(s_preface);
    }
}
