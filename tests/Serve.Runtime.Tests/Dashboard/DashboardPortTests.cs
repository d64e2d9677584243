using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Hosting;
using Serve.Runtime.Tests.Control;

namespace Serve.Runtime.Tests.Dashboard;

/// <summary>Where the REST API listens, and what a taken port does.</summary>
public sealed class DashboardPortTests
{
    internal static ServeConfig Config()
    {
        var path = ReconcileKit.Register(() => new ReconcileKit(new Journal()).Bound("Leaf"));
        var config = new ServeConfig { HttpOptions = new HttpOptions { Port = 0 }, Applications = [ReconcileKit.App("app", path)] };
        config.Validate();
        return config;
    }

    [Fact]
    public async Task Without_a_dashboard_port_no_rest_api_is_served()
    {
        await using var host = ServeHost.Create(Config(), logging => logging.SetMinimumLevel(LogLevel.Critical));
        await host.StartAsync();

        Assert.Null(host.DashboardPort);
    }

    [Fact]
    public async Task A_taken_optional_port_leaves_the_host_running_without_the_api()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var logs = new LogCapture();

        await using var host = ServeHost.Create(Config(), logging => logging.AddProvider(logs),
            new ServeHostOptions { DashboardPort = port, DashboardOptional = true });
        await host.StartAsync();

        Assert.Null(host.DashboardPort);
        var lines = logs.Messages;
        Assert.Contains(lines, l => l.StartsWith($"The REST API (for deploy, status, shutdown) could not listen on 127.0.0.1:{port}: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("REST API: off;", StringComparison.Ordinal));
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{host.HttpPort}/nothing")).StatusCode);
    }

    [Fact]
    public async Task A_taken_required_port_fails_the_start()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using var host = ServeHost.Create(Config(), logging => logging.SetMinimumLevel(LogLevel.Critical), new ServeHostOptions { DashboardPort = port });

        await Assert.ThrowsAsync<IOException>(() => host.StartAsync());
    }

    [Fact]
    public async Task The_run_command_refuses_a_dashboard_port_out_of_range()
    {
        var (exit, _, error) = await CommandLineTests.InvokeAsync("run", "Nowhere.App:Missing", "--dashboard-port", "-5");

        Assert.Equal(2, exit);
        Assert.Equal("--dashboard-port: must be -1 (off), 0 (any free port) or a port up to 65535; got -5.", error.TrimEnd());
    }

    /// <summary>A port the run command is given (the HTTP proxy's, or the REST API's when asked for) is taken.</summary>
    [Theory]
    [InlineData("--http-port", "--dashboard-port", "-1")]
    [InlineData("--dashboard-port", "--http-port", "0")]
    public async Task The_run_command_reports_a_taken_port_in_one_line_and_exits_one(string takenOption, string otherOption, string otherValue)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var path = ReconcileKit.Register(() => new ReconcileKit(new Journal()).Bound("Leaf"));

        var (exit, _, error) = await CommandLineTests.InvokeAsync(
            "run", path, takenOption, port.ToString(System.Globalization.CultureInfo.InvariantCulture), otherOption, otherValue);

        Assert.Equal(1, exit);
        Assert.Equal($"Could not start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", error.TrimEnd());
    }

    [Theory]
    [InlineData("--host", "--dashboard-port", "-1", "Could not listen on 192.0.2.1 (the proxies' address): ")]
    [InlineData("--dashboard-host", "--http-port", "0", "Could not listen on 192.0.2.1:0 (the REST API's address): ")]
    public async Task The_run_command_reports_an_address_this_machine_does_not_have_in_one_line(string option, string otherOption, string otherValue, string expected)
    {
        var path = ReconcileKit.Register(() => new ReconcileKit(new Journal()).Bound("Leaf"));

        // 192.0.2.0/24 is reserved for documentation: no machine has it.
        var extra = option == "--dashboard-host" ? new[] { "--dashboard-port", "0" } : [];
        var (exit, _, error) = await CommandLineTests.InvokeAsync(["run", path, option, "192.0.2.1", otherOption, otherValue, .. extra]);

        Assert.Equal(1, exit);
        Assert.StartsWith("Could not start: " + expected, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
