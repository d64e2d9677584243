using System.CommandLine;
using Serve.Config;
using Serve.Dispatch;

namespace Serve.Hosting;

/// <summary>
/// The <c>serve</c> command line, for a host program's <c>Main</c>:
/// <c>return await ServeCommandLine.RunAsync(args);</c>.
/// </summary>
public static class ServeCommandLine
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen command; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRootCommand();
        // The host handles Ctrl+C and SIGTERM itself, with a graceful drain; don't let the
        // command-line layer end the process after its own short timeout.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
    }

    internal static RootCommand BuildRootCommand()
    {
        var target = new Argument<string>("config-or-import-path")
        {
            Description = "A Serve config file (YAML), or an import path (Namespace.Type:Member) of an application builder or deployment.",
        };
        var host = new Option<string?>("--host") { Description = "Address the proxies listen on (overrides http_options.host)." };
        var httpPort = new Option<int?>("--http-port") { Description = "HTTP proxy port (overrides http_options.port)." };
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC proxy port (overrides grpc_options.port)." };
        var name = new Option<string?>("--name") { Description = "Application name when running an import path (default: default)." };
        var routePrefix = new Option<string?>("--route-prefix") { Description = "Route prefix when running an import path (default: /)." };

        var run = new Command("run", "Deploy the applications and serve them until Ctrl+C or SIGTERM.")
        {
            target, host, httpPort, grpcPort, name, routePrefix,
        };
        run.SetAction(async (parse, cancellationToken) =>
        {
            ServeConfig config;
            try
            {
                config = LoadTarget(parse.GetRequiredValue(target), parse.GetValue(name), parse.GetValue(routePrefix));
                config = config with
                {
                    HttpOptions = config.HttpOptions with
                    {
                        Host = parse.GetValue(host) ?? config.HttpOptions.Host,
                        Port = parse.GetValue(httpPort) ?? config.HttpOptions.Port,
                    },
                    GrpcOptions = config.GrpcOptions with { Port = parse.GetValue(grpcPort) ?? config.GrpcOptions.Port },
                };
            }
            catch (ServeConfigException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }

            try
            {
                await using var serve = ServeHost.Create(config);
                return await serve.RunAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (ServeConfigException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }
        });

        return new RootCommand("Serve for .NET: model serving with compile-time gRPC and HTTP binding.") { run };
    }

    /// <summary>A config file path, or an import path run as a single application.</summary>
    internal static ServeConfig LoadTarget(string target, string? name, string? routePrefix)
    {
        if (target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || File.Exists(target))
        {
            return ServeConfigLoader.LoadFile(target);
        }
        // `serve run Namespace.Type:Member`: one application, every gRPC service of the registry exposed.
        var services = ServeRegistry.Deployments.Values.SelectMany(d => d.GrpcServices).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var config = new ServeConfig
        {
            GrpcOptions = new GrpcOptions { GrpcServicerFunctions = services },
            Applications =
            [
                new ApplicationConfig { Name = name ?? "default", RoutePrefix = routePrefix ?? "/", ImportPath = target },
            ],
        };
        config.Validate();
        return config;
    }
}
