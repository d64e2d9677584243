// `dotnet run -- run config.yaml` serves the pipeline; `dotnet run -- build Pipeline.Graphs:App -o out.yaml`
// writes its full config.
return await Serve.Hosting.ServeCommandLine.RunAsync(args);
