using System.CommandLine;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Serve.Config;
using Serve.Control;
using Serve.Dispatch;

namespace Serve.Hosting;

/// <summary>
/// The <c>serve</c> command line, for a host program's <c>Main</c>:
/// <c>return await ServeCommandLine.RunAsync(args);</c>. Commands follow Ray Serve's CLI: <c>run</c>, <c>start</c>,
/// <c>deploy</c>, <c>config</c>, <c>status</c>, <c>shutdown</c> and <c>build</c>.
/// </summary>
public static class ServeCommandLine
{
    /// <summary>Where <c>deploy</c>, <c>status</c> and <c>shutdown</c> find the REST API unless <c>--address</c> says otherwise.</summary>
    public const string DefaultAddress = "http://127.0.0.1:8265";

    /// <summary>
    /// The command that runs this host program (<c>./out/GrpcQuickstart</c>, <c>dotnet run --</c>, …): hints name a
    /// command the user can type, as there is no <c>serve</c> command; the program is the CLI.
    /// </summary>
    internal static string ProgramName => ProgramCommand.Current;

    /// <summary>Parses <paramref name="args"/> and runs the chosen command; returns the exit code.</summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="configureServices">Registers the program's own services for <c>run</c>'s host, which deployment
    /// constructors may take (see <see cref="ServeHostOptions.ConfigureServices"/>).</param>
    public static async Task<int> RunAsync(string[] args, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null)
    {
        var root = BuildRootCommand(configureServices);
        // The host handles Ctrl+C and SIGTERM itself, with a graceful drain; don't let the
        // command-line layer end the process after its own short timeout.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
    }

    internal static RootCommand BuildRootCommand(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null)
    {
        var root = new RootCommand("Serve for .NET: model serving with compile-time gRPC and HTTP binding.")
        {
            RunCommand(configureServices), StartCommand(configureServices), DeployCommand(), ConfigCommand(), StatusCommand(), ShutdownCommand(), BuildCommand(),
        };
        // The default drops everything after the last dot of the program's name (Acme.Greeter would be "Acme").
        root.HelpName = ProgramCommand.FileName;
        return root;
    }

    private static Command RunCommand(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices)
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
        var (dashboardPort, dashboardHost) = DashboardOptions();

        var run = new Command("run", "Deploy the applications and serve them until Ctrl+C or SIGTERM.")
        {
            target, host, httpPort, grpcPort, name, routePrefix, dashboardPort, dashboardHost,
        };
        run.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
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
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }

            return await ServeUntilStoppedAsync(config, parse, dashboardPort, dashboardHost, configureServices, dashboardRequired: false).ConfigureAwait(false);
        });
        return run;
    }

    private static (Option<int?> Port, Option<string?> Host) DashboardOptions() => (
        new Option<int?>("--dashboard-port")
        {
            Description = $"Port of the REST API that the deploy, config, status and shutdown commands call (default {ServeHostOptions.DefaultDashboardPort}; 0 picks a free port; -1 turns it off).",
        },
        new Option<string?>("--dashboard-host")
        {
            Description = $"Address the REST API listens on (default {ServeHostOptions.DefaultDashboardHost}). It has no authentication: keep it on a loopback or private address.",
        });

    /// <summary>Hosts <paramref name="config"/> until Ctrl+C or SIGTERM, with the REST API the dashboard options ask for.</summary>
    /// <param name="config">What to host.</param>
    /// <param name="parse">The command's parsed arguments.</param>
    /// <param name="dashboardPort">The <c>--dashboard-port</c> option.</param>
    /// <param name="dashboardHost">The <c>--dashboard-host</c> option.</param>
    /// <param name="configureServices">The program's own services.</param>
    /// <param name="dashboardRequired">True when the REST API is the only way in (<c>start</c>): a taken port then fails the start.</param>
    private static async Task<int> ServeUntilStoppedAsync(ServeConfig config, ParseResult parse, Option<int?> dashboardPort, Option<string?> dashboardHost,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices, bool dashboardRequired)
    {
        var error = parse.InvocationConfiguration.Error;
        var requestedDashboard = parse.GetValue(dashboardPort);
        if (requestedDashboard is < -1 or > 65535)
        {
            await error.WriteLineAsync($"--dashboard-port: must be -1 (off), 0 (any free port) or a port up to 65535; got {requestedDashboard}.").ConfigureAwait(false);
            return 2;
        }
        var options = new ServeHostOptions
        {
            DashboardPort = requestedDashboard switch
            {
                null => ServeHostOptions.DefaultDashboardPort,
                -1 => null,
                var port => port,
            },
            DashboardHost = parse.GetValue(dashboardHost),
            // The proxies matter more than the REST API: a taken default port is a warning, not a failure.
            DashboardOptional = requestedDashboard is null && !dashboardRequired,
            ConfigureServices = configureServices,
        };

        try
        {
            await using var serve = ServeHost.Create(config, options: options);
            return await serve.RunAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ServeConfigException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException or SocketException)
        {
            // A taken port, an address this machine does not have, ...: the message names the address; a stack
            // trace would add nothing.
            await error.WriteLineAsync($"Could not start: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>
    /// Ray's <c>serve start</c>: the instance with no application, its proxies and REST API up, for <c>deploy</c> to fill.
    /// There is no cluster to leave it in, so it runs in the foreground until Ctrl+C or SIGTERM, as <c>run</c> does.
    /// </summary>
    private static Command StartCommand(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices)
    {
        var httpHost = new Option<string>("--http-host")
        {
            Description = $"Address the proxies listen on (default {HttpOptions.DefaultHost}).",
            DefaultValueFactory = _ => HttpOptions.DefaultHost,
        };
        var httpPort = new Option<int>("--http-port") { Description = $"HTTP proxy port (default {HttpOptions.DefaultPort}).", DefaultValueFactory = _ => HttpOptions.DefaultPort };
        var grpcPort = new Option<int>("--grpc-port") { Description = $"gRPC proxy port (default {GrpcOptions.DefaultPort}).", DefaultValueFactory = _ => GrpcOptions.DefaultPort };
        var servicers = new Option<string[]>("--grpc-servicer-functions")
        {
            Description = "A gRPC service to expose (a proto service name, or Ray's add_XServicer_to_server function name); repeat for several. "
                + "Default none: no gRPC proxy is started.",
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => [],
        };
        var proxyLocation = new Option<string>("--proxy-location")
        {
            Description = "Where proxies run: EveryNode (the default) or HeadOnly, the same on one node; Disabled runs none (the REST API and handles still work).",
            DefaultValueFactory = _ => nameof(ProxyLocation.EveryNode),
        };
        proxyLocation.AcceptOnlyFromAmong(nameof(ProxyLocation.EveryNode), nameof(ProxyLocation.HeadOnly), nameof(ProxyLocation.Disabled));
        var (dashboardPort, dashboardHost) = DashboardOptions();
        var start = new Command("start", "Start Serve with no application; then send it applications with the deploy command. Runs until Ctrl+C or SIGTERM.")
        {
            httpHost, httpPort, grpcPort, servicers, proxyLocation, dashboardPort, dashboardHost,
        };
        start.SetAction(async (parse, cancellationToken) =>
        {
            ServeConfig config;
            try
            {
                config = new ServeConfig
                {
                    ProxyLocation = Enum.Parse<ProxyLocation>(parse.GetRequiredValue(proxyLocation)),
                    HttpOptions = new HttpOptions { Host = parse.GetRequiredValue(httpHost), Port = parse.GetRequiredValue(httpPort) },
                    GrpcOptions = new GrpcOptions { Port = parse.GetRequiredValue(grpcPort), GrpcServicerFunctions = parse.GetRequiredValue(servicers) },
                };
                config.Validate();
            }
            catch (ServeConfigException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }
            return await ServeUntilStoppedAsync(config, parse, dashboardPort, dashboardHost, configureServices, dashboardRequired: true).ConfigureAwait(false);
        });
        return start;
    }

    /// <summary>
    /// Ray's <c>serve config</c>: each application's entry of the last config applied, as YAML documents separated by
    /// <c>---</c>.
    /// </summary>
    private static Command ConfigCommand()
    {
        var address = AddressOption();
        var name = new Option<string?>("--name", "-n") { Description = "Show this application's config only." };
        var config = new Command("config", "Print the config of a running Serve's applications: each one's entry of the last config applied.")
        {
            address, name,
        };
        config.SetAction((parse, cancellationToken) =>
            PrintStatusAsync(parse, address, json => StatusYaml.DeployedConfigs(json, parse.GetValue(name)), cancellationToken));
        return config;
    }

    private static Option<string> AddressOption() => new("--address", "-a")
    {
        Description = $"The REST API of a running Serve (the run command serves it on port {ServeHostOptions.DefaultDashboardPort}).",
        DefaultValueFactory = _ => DefaultAddress,
    };

    private static Command DeployCommand()
    {
        var file = new Argument<string>("config-file") { Description = "The config file (YAML or JSON) to make the running applications equal to." };
        var address = AddressOption();
        var deploy = new Command("deploy",
            "Make a running Serve's applications equal to a config file, changing only what differs: apps not in the file are removed, "
            + "apps with unchanged code keep their replicas.")
        {
            file, address,
        };
        deploy.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetRequiredValue(file);
            string text;
            try
            {
                // Checked here first, so that mistakes are reported with the file's own lines and columns.
                ServeConfigLoader.LoadFile(path);
                text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (ServeConfigException ex)
            {
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 2;
            }

            using var client = new ServeRestClient(parse.GetRequiredValue(address));
            var response = await client.SendAsync(HttpMethod.Put, text, cancellationToken).ConfigureAwait(false);
            if (!response.Succeeded)
            {
                await error.WriteLineAsync(response.Error).ConfigureAwait(false);
                return 1;
            }
            if (response.Body.Length > 0)
            {
                // Applied, but instance options that need a restart were left as they run.
                foreach (var line in response.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    await error.WriteLineAsync("Warning: " + line).ConfigureAwait(false);
                }
            }
            await output.WriteLineAsync("Sent deploy request successfully.").ConfigureAwait(false);
            var target = parse.GetRequiredValue(address);
            var addressArgument = string.Equals(target, DefaultAddress, StringComparison.Ordinal) ? "" : " --address " + target;
            await output.WriteLineAsync($" * Use `{ProgramName} status{addressArgument}` to check applications' statuses.").ConfigureAwait(false);
            return 0;
        });
        return deploy;
    }

    private static Command StatusCommand()
    {
        var address = AddressOption();
        var name = new Option<string?>("--name", "-n") { Description = "Show this application only." };
        var status = new Command("status", "Print the status of a running Serve's applications and deployments (YAML, as Ray's serve status).")
        {
            address, name,
        };
        status.SetAction((parse, cancellationToken) =>
            PrintStatusAsync(parse, address, json => StatusYaml.FromDetailsJson(json, parse.GetValue(name)), cancellationToken));
        return status;
    }

    /// <summary>
    /// Gets the REST API's status document and prints what <paramref name="render"/> makes of it (<c>status</c>,
    /// <c>config</c>); exit 1 when Serve cannot be reached or answers something else.
    /// </summary>
    private static async Task<int> PrintStatusAsync(ParseResult parse, Option<string> address, Func<string, string> render, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        using var client = new ServeRestClient(parse.GetRequiredValue(address));
        var response = await client.SendAsync(HttpMethod.Get, null, cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            await error.WriteLineAsync(response.Error).ConfigureAwait(false);
            return 1;
        }
        string text;
        try
        {
            text = render(response.Body);
        }
        catch (UnknownApplicationException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await error.WriteLineAsync($"The answer from {client.Endpoint} is not a Serve status: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        await output.WriteAsync(text).ConfigureAwait(false);
        return 0;
    }

    private static Command ShutdownCommand()
    {
        var address = AddressOption();
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation." };
        var shutdown = new Command("shutdown", "Delete every application of a running Serve (the process keeps running, serving none).")
        {
            address, yes,
        };
        shutdown.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var target = parse.GetRequiredValue(address);
            if (!parse.GetValue(yes))
            {
                await output.WriteAsync($"This will shut down Serve at address \"{target}\" and delete all applications there. Do you want to continue? [y/N]: ").ConfigureAwait(false);
                var answer = await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (answer?.Trim().ToUpperInvariant() is not ("Y" or "YES"))
                {
                    await error.WriteLineAsync("Aborted!").ConfigureAwait(false);
                    return 1;
                }
            }
            using var client = new ServeRestClient(target);
            var response = await client.SendAsync(HttpMethod.Delete, null, cancellationToken).ConfigureAwait(false);
            if (!response.Succeeded)
            {
                await error.WriteLineAsync(response.Error).ConfigureAwait(false);
                return 1;
            }
            await output.WriteLineAsync("Sent shutdown request; applications will be deleted asynchronously.").ConfigureAwait(false);
            return 0;
        });
        return shutdown;
    }

    private static Command BuildCommand()
    {
        var importPaths = new Argument<string[]>("import-paths")
        {
            Description = "Import paths (Namespace.Type:Member) of application builders or deployments of this program.",
            Arity = ArgumentArity.OneOrMore,
        };
        var outputPath = new Option<string?>("--output-path", "-o") { Description = "Write the config to this file (default: print it)." };
        var build = new Command("build",
            "Write a config file for applications of this program: every deployment of each graph with its options and defaults, ready for the run or deploy command.")
        {
            importPaths, outputPath,
        };
        build.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            ServeConfig config;
            try
            {
                config = BuildConfig(parse.GetRequiredValue(importPaths));
            }
            catch (Exception ex) when (ex is ServeConfigException or InvalidOperationException)
            {
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 1;
            }
            var yaml = ServeConfigWriter.Write(config, $"This file was generated by `{ProgramCommand.FileName} build` (Serve for .NET).");
            if (parse.GetValue(outputPath) is { } path)
            {
                await File.WriteAllTextAsync(path, yaml, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await parse.InvocationConfiguration.Output.WriteAsync(yaml).ConfigureAwait(false);
            }
            await error.WriteLineAsync("The auto-generated application names default to `app1`, `app2`, ... etc. Rename as necessary.").ConfigureAwait(false);
            return 0;
        });
        return build;
    }

    /// <summary>
    /// What <c>serve build</c> writes, by Ray's rule (python/ray/serve/scripts.py): applications are named
    /// <c>app1</c>, <c>app2</c>, … in argument order; one application gets route prefix <c>/</c>, several get
    /// <c>/app1</c>, <c>/app2</c>, …; <c>http_options</c> is Ray's <c>host: 0.0.0.0</c>, <c>port: 8000</c>.
    /// Every deployment of each graph is listed with its effective options (attribute &lt; code &lt; defaults),
    /// and <c>grpc_servicer_functions</c> lists the ingresses' services so the file serves them as is.
    /// </summary>
    /// <exception cref="InvalidOperationException">An import path names nothing, its builder threw, or its graph is invalid.</exception>
    internal static ServeConfig BuildConfig(IReadOnlyList<string> importPaths)
    {
        var applications = new List<ApplicationConfig>(importPaths.Count);
        var services = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < importPaths.Count; i++)
        {
            var importPath = importPaths[i];
            Application? application;
            string? error;
            try
            {
                if (!ServeRegistry.TryBuild(importPath, ApplicationArgs.Empty, out application, out error))
                {
                    throw new InvalidOperationException(error);
                }
            }
            catch (Exception ex) when (ex is not InvalidOperationException)
            {
                throw new InvalidOperationException($"The application builder '{importPath}' threw: {ex}", ex);
            }

            var graph = ApplicationGraph.Build(application!);
            services.UnionWith(graph.Ingress.Application.Deployment.GrpcServices);
            var deployments = new List<DeploymentConfig>(graph.Nodes.Count);
            foreach (var node in graph.Nodes)
            {
                var options = ApplicationGraph.Resolve(node, []);
                deployments.Add(new DeploymentConfig
                {
                    Name = node.Name,
                    NumReplicas = options.NumReplicas,
                    MaxOngoingRequests = options.MaxOngoingRequests,
                    MaxQueuedRequests = options.MaxQueuedRequests,
                    UserConfig = options.UserConfig,
                });
            }
            var name = "app" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            applications.Add(new ApplicationConfig
            {
                Name = name,
                RoutePrefix = importPaths.Count == 1 ? "/" : "/" + name,
                ImportPath = importPath,
                Deployments = deployments,
            });
        }

        var config = new ServeConfig
        {
            HttpOptions = new HttpOptions { Host = "0.0.0.0", Port = HttpOptions.DefaultPort },
            GrpcOptions = new GrpcOptions { Port = GrpcOptions.DefaultPort, GrpcServicerFunctions = [.. services] },
            Applications = applications,
        };
        config.Validate();
        return config;
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
