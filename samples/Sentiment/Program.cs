// `dotnet run -- run config.yaml` starts Serve with this sample's applications.
return await Serve.Hosting.ServeCommandLine.RunAsync(args);
