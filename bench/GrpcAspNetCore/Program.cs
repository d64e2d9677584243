// The baseline a .NET developer would write instead of Serve: a plain Grpc.AspNetCore service implementing
// servebench.Noop (generated server base from the same .proto), on Kestrel h2c on 127.0.0.1 with the same host
// settings as BareKestrel. What separates it from BareKestrel is grpc-dotnet's own server pipeline (endpoint
// routing, call context, deadline and cancellation handling, its marshalling); from Serve, Serve's proxy, router
// and replicas.
// Usage: GrpcAspNetCore [port]   (default 20063)
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServeBench;

var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20063;
// As BareKestrel and Serve's hosts: no reload-on-change of appsettings files, which would watch every directory under the working one.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2);
});
// Echo carries up to 1 MiB in the suite; grpc-dotnet's default receive limit is 4 MB, so the defaults serve it.
builder.Services.AddGrpc();
var app = builder.Build();
app.MapGrpcService<NoopService>();
await app.RunAsync();

/// <summary>servebench.Noop as the generated grpc-dotnet server base asks for it: nothing beyond the RPCs' contract.</summary>
internal sealed class NoopService : Noop.NoopBase
{
    private static readonly Empty s_empty = new();
    private static readonly ByteString s_payload = ByteString.CopyFrom(new byte[16]);
    private static readonly Task<Empty> s_emptyTask = Task.FromResult(s_empty);

    public override Task<Empty> Call(Empty request, ServerCallContext context) => s_emptyTask;

    public override Task<Blob> Echo(Blob request, ServerCallContext context) => Task.FromResult(request);

    public override async Task Stream(StreamRequest request, IServerStreamWriter<Item> responseStream, ServerCallContext context)
    {
        // Each WriteAsync flushes its message, as Serve and BareKestrel do per streamed item.
        for (var i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(new Item { Seq = i, Payload = s_payload }, context.CancellationToken);
        }
    }
}
