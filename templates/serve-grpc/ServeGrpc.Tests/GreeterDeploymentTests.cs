using Grpc.Core;
using Serve.Hosting;

namespace ServeGrpc.Tests;

/// <summary>
/// Runs the application in this process with Serve's local testing mode (Ray's
/// <c>_local_testing_mode</c>): every replica starts as it would when served, calls go through the
/// deployment's router, and no port is opened.
/// </summary>
public sealed class GreeterDeploymentTests
{
    [Fact]
    public async Task SayHello_greets_by_name()
    {
        await using var app = await LocalTestingMode.RunAsync(Applications.Greeter);

        var reply = await app.Handle.SayHello(new HelloRequest { Name = "Ada" });

        Assert.Equal("Hello Ada", reply.Message);
    }

    [Fact]
    public async Task SayHello_without_a_name_is_invalid_argument()
    {
        await using var app = await LocalTestingMode.RunAsync(Applications.Greeter);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await app.Handle.SayHello(new HelloRequest()));

        Assert.Equal(StatusCode.InvalidArgument, error.Status.StatusCode);
    }

    [Fact]
    public async Task SayHelloStream_streams_count_replies_in_order()
    {
        await using var app = await LocalTestingMode.RunAsync(Applications.Greeter);

        var messages = new List<string>();
        await foreach (var reply in app.Handle.SayHelloStream(new HelloRequest { Name = "Ada", Count = 4 }))
        {
            messages.Add(reply.Message);
        }

        Assert.Equal(["Hello Ada (1 of 4)", "Hello Ada (2 of 4)", "Hello Ada (3 of 4)", "Hello Ada (4 of 4)"], messages);
    }
}
