// The baseline: Kestrel h2c on 127.0.0.1 with one terminal middleware that does the same gRPC
// framing work as Serve (read the framed request from BodyReader, parse it, write the framed
// response, grpc-status trailer) and nothing else: no routing, replicas, metadata or logging.
// Usage: BareKestrel [port] [--ray-metadata]   (default 20061)
// --ray-metadata: also what the gRPC and Ray Serve contracts add to each of Serve's responses (a grpc-accept-encoding
// header and a request_id trailer with a new UUID per call), encoded as Serve's host encodes them (no HPACK dynamic
// table). Against plain bare it prices the contract; Serve against it prices Serve's own work.
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using ServeBench;

var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20061;
Bare.RayMetadata = args.Contains("--ray-metadata");
// As Serve's hosts: no reload-on-change of appsettings files, which would watch every directory under the working one.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    if (Bare.RayMetadata)
    {
        k.AllowResponseHeaderCompression = false;
    }
    k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2);
});
var app = builder.Build();
app.Run(Bare.HandleAsync);
await app.RunAsync();

internal static class Bare
{
    public static bool RayMetadata;
    private static readonly Empty s_empty = new();
    private static readonly ByteString s_payload = ByteString.CopyFrom(new byte[16]);

    public static async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        var isCall = string.Equals(path, "/servebench.Noop/Call", StringComparison.Ordinal);
        var isStream = !isCall && string.Equals(path, "/servebench.Noop/Stream", StringComparison.Ordinal);
        var isEcho = !isCall && !isStream && string.Equals(path, "/servebench.Noop/Echo", StringComparison.Ordinal);
        context.Response.ContentType = "application/grpc";
        if (RayMetadata)
        {
            context.Response.Headers["grpc-accept-encoding"] = "identity,gzip";
        }
        if (!isCall && !isStream && !isEcho)
        {
            context.Response.Headers["grpc-status"] = "12";
            return;
        }

        // Read the whole request (one framed message) from the body pipe.
        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(context.RequestAborted);
            if (result.IsCompleted)
            {
                break;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
        var buffer = result.Buffer;
        if (!TryReadFrame(buffer, out var payload))
        {
            reader.AdvanceTo(buffer.End);
            context.Response.Headers["grpc-status"] = "13";
            return;
        }

        var writer = context.Response.BodyWriter;
        if (isCall)
        {
            _ = Empty.Parser.ParseFrom(payload);
            reader.AdvanceTo(buffer.End);
            WriteFrame(writer, s_empty);
        }
        else if (isEcho)
        {
            var blob = Blob.Parser.ParseFrom(payload);
            reader.AdvanceTo(buffer.End);
            WriteFrame(writer, blob);
        }
        else
        {
            var request = StreamRequest.Parser.ParseFrom(payload);
            reader.AdvanceTo(buffer.End);
            for (var i = 0; i < request.Count; i++)
            {
                WriteFrame(writer, new Item { Seq = i, Payload = s_payload });
                await writer.FlushAsync(context.RequestAborted);
            }
        }
        if (RayMetadata)
        {
            // A random UUID made as cheaply as Serve makes its own (no entropy read per call).
            Span<byte> id = stackalloc byte[16];
            Random.Shared.NextBytes(id);
            context.Response.AppendTrailer("request_id", new Guid(id).ToString());
        }
        context.Response.AppendTrailer("grpc-status", "0");
    }

    private static bool TryReadFrame(ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.Length < 5)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (header[0] != 0 || buffer.Length - 5 != length)
        {
            return false;
        }
        payload = buffer.Slice(5, length);
        return true;
    }

    private static void WriteFrame(PipeWriter writer, IMessage message)
    {
        var size = message.CalculateSize();
        var span = writer.GetSpan(5 + size);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
        message.WriteTo(span.Slice(5, size));
        writer.Advance(5 + size);
    }
}
