using Serve.Hosting;

namespace Serve.Runtime.Tests.Hosting;

/// <summary>
/// Hints such as "Use `… status`" name the command that started the host program, one a user can type:
/// there is no <c>serve</c> executable.
/// </summary>
public sealed class ProgramCommandTests
{
    private const string Cwd = "/home/ada/Acme.Greeter";
    private const string Path = "/usr/local/bin:/usr/bin:/bin";

    [Fact]
    public void Under_dotnet_run_the_hint_is_dotnet_run()
    {
        var command = ProgramCommand.Describe($"{Cwd}/bin/Debug/net10.0/Acme.Greeter", $"{Cwd}/bin/Debug/net10.0/Acme.Greeter.dll",
            ["/usr/share/dotnet/dotnet", "run", "--", "deploy", "config.yaml"], Cwd, Path, "Acme.Greeter");

        Assert.Equal("dotnet run --", command);
    }

    [Theory]
    [InlineData("--project", "samples/GrpcQuickstart", "dotnet run --project samples/GrpcQuickstart --")]
    [InlineData("--project", "my samples/App", "dotnet run --project 'my samples/App' --")]
    [InlineData("--project=samples/Pipeline", null, "dotnet run --project samples/Pipeline --")]
    public void Under_dotnet_run_with_a_project_the_hint_names_it(string option, string? value, string expected)
    {
        string[] parent = value is null
            ? ["dotnet", "run", "-c", "Release", option, "--", "deploy"]
            : ["dotnet", "run", "-c", "Release", option, value, "--", "deploy"];

        Assert.Equal(expected, ProgramCommand.Describe("/repo/samples/x/bin/App", "/repo/samples/x/bin/App.dll", parent, "/repo", Path, "App"));
    }

    [Fact]
    public void A_project_option_after_the_double_dash_belongs_to_the_program()
    {
        Assert.Equal("dotnet run --", ProgramCommand.Describe("/r/bin/App", "/r/bin/App.dll",
            ["dotnet", "run", "--", "--project", "x"], "/r", Path, "App"));
    }

    [Fact]
    public void Under_the_muxer_the_hint_is_dotnet_and_the_assembly_below_the_current_directory()
    {
        Assert.Equal("dotnet out/App.dll", ProgramCommand.Describe("/usr/share/dotnet/dotnet", "/work/out/App.dll",
            ["/bin/bash"], "/work", Path, "App"));
        Assert.Equal("dotnet /opt/app/App.dll", ProgramCommand.Describe("/usr/share/dotnet/dotnet", "/opt/app/App.dll",
            null, "/work", Path, "App"));
    }

    [Fact]
    public void A_published_binary_is_named_as_typed_from_the_current_directory()
    {
        Assert.Equal("out/GrpcQuickstart", ProgramCommand.Describe("/repo/out/GrpcQuickstart", "/repo/out/GrpcQuickstart",
            ["-bash"], "/repo", Path, "GrpcQuickstart"));
        Assert.Equal("./GrpcQuickstart", ProgramCommand.Describe("/repo/out/GrpcQuickstart", "/repo/out/GrpcQuickstart",
            ["-bash"], "/repo/out", Path, "GrpcQuickstart"));
        Assert.Equal("/srv/app/GrpcQuickstart", ProgramCommand.Describe("/srv/app/GrpcQuickstart", "/srv/app/GrpcQuickstart",
            ["-bash"], "/repo", Path, "GrpcQuickstart"));
    }

    [Fact]
    public void A_binary_on_the_path_is_named_by_its_file_name()
    {
        Assert.Equal("greeter", ProgramCommand.Describe("/usr/local/bin/greeter", "/usr/local/bin/greeter", ["-bash"], "/home/ada", Path, "greeter"));
    }

    [Fact]
    public void Without_a_process_path_the_program_name_is_all_there_is()
    {
        Assert.Equal("App", ProgramCommand.Describe(null, null, null, "/", null, "App"));
    }

    [Theory]
    [InlineData("/home/ada/Acme.Greeter/bin/Release/net10.0/linux-x64/publish/Acme.Greeter", null, "Acme.Greeter")]
    [InlineData("/home/ada/Acme.Greeter/bin/Debug/net10.0/Acme.Greeter", "/home/ada/Acme.Greeter/bin/Debug/net10.0/Acme.Greeter.dll", "Acme.Greeter")]
    [InlineData("/usr/share/dotnet/dotnet", "out/Acme.Greeter.dll", "Acme.Greeter")]
    [InlineData(@"C:\apps\Acme.Greeter.exe", null, "Acme.Greeter")]
    [InlineData("/opt/app/GrpcQuickstart", null, "GrpcQuickstart")]
    public void Help_names_the_program_by_its_whole_file_name(string processPath, string? entryPath, string expected)
    {
        // A dotted name keeps its dots: System.CommandLine's default would print "Usage: Acme …".
        Assert.Equal(expected, ProgramCommand.NameOf(processPath.Replace('\\', System.IO.Path.DirectorySeparatorChar), entryPath, "fallback"));
    }

    [Fact]
    public void Without_a_process_path_help_uses_the_fallback()
        => Assert.Equal("Acme.Greeter", ProgramCommand.NameOf(null, null, "Acme.Greeter"));

    [Fact]
    public void The_root_command_help_shows_the_program_name()
    {
        var root = ServeCommandLine.BuildRootCommand();

        Assert.Equal(ProgramCommand.FileName, root.HelpName);
        Assert.DoesNotContain(".dll", root.HelpName, StringComparison.Ordinal);
    }
}
