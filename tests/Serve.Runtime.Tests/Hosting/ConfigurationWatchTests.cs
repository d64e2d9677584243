using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serve.Hosting;
using Serve.Runtime.Tests.Dashboard;

namespace Serve.Runtime.Tests.Hosting;

/// <summary>The host reads appsettings files once and watches no directories.</summary>
public sealed class ConfigurationWatchTests
{
    [Fact]
    public async Task Configuration_files_are_not_reloaded_on_change()
    {
        await using var host = ServeHost.Create(DashboardPortTests.Config(), logging => logging.SetMinimumLevel(LogLevel.Critical));

        var root = Assert.IsAssignableFrom<IConfigurationRoot>(host.Services.GetRequiredService<IConfiguration>());
        var files = root.Providers.OfType<FileConfigurationProvider>().ToList();
        // appsettings.json and appsettings.{Environment}.json are still sources (optional, read once)...
        Assert.NotEmpty(files);
        // ...but none watches: a watch covers the working directory and every directory under it.
        Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, $"{f.Source.Path} is watched"));
    }
}
