using Serve;
using ServeGrpc;

// The Serve command line: `run config.yaml` serves the applications below; `--help` lists the rest
// (deploy, status, shutdown, build).
return await Serve.Hosting.ServeCommandLine.RunAsync(args);

namespace ServeGrpc
{
    /// <summary>The applications of this project, named by <c>import_path</c> in <c>config.yaml</c>.</summary>
    public static class Applications
    {
        /// <summary><c>import_path: ServeGrpc.Applications:Greeter</c>.</summary>
        [ApplicationBuilder]
        public static Application<GreeterDeployment> Greeter => GreeterDeployment.Bind();
    }
}
