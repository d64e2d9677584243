// Serve host for the benchmarks: `NoopServe run <config.yaml>` (configs are written by bench/run.sh).
return await Serve.Hosting.ServeCommandLine.RunAsync(args);
