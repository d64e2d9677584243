using Serve;
using ServeHttp;

// The Serve command line: `run config.yaml` serves the applications below; `--help` lists the rest
// (deploy, status, shutdown, build).
return await Serve.Hosting.ServeCommandLine.RunAsync(args);

namespace ServeHttp
{
    /// <summary>The applications of this project, named by <c>import_path</c> in <c>config.yaml</c>.</summary>
    public static class Applications
    {
        /// <summary><c>import_path: ServeHttp.Applications:Classifier</c>.</summary>
        [ApplicationBuilder]
        public static Application<Classifier> Classifier => ServeHttp.Classifier.Bind();
    }
}
