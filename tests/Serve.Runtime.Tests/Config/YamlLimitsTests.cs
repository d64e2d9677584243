using System.Text;
using System.Text.Json;
using Serve.Config;
using static Serve.Runtime.Tests.Config.ConfigTestHelpers;

namespace Serve.Runtime.Tests.Config;

/// <summary>
/// Hostile YAML: nesting that overflowed the stack of YamlDotNet's tree builder, and alias bombs that the JSON
/// conversion of user_config expanded to gigabytes. Each must be a config error, found before anything is built.
/// </summary>
public class YamlLimitsTests
{
    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    public void Deep_flow_nesting_is_an_error_at_the_level_past_the_limit(string open, string close)
    {
        // 50,000 levels killed the process with a StackOverflowException (Hostile/ControlPlaneTests sends those to a host
        // process); 2,000 are past the limit without risking this test process should the check regress.
        var yaml = "x: " + string.Concat(Enumerable.Repeat(open, 2_000)) + string.Concat(Enumerable.Repeat(close, 2_000));

        var ex = LoadFails(yaml);

        var error = Assert.Single(ex.Errors);
        Assert.Equal(1, error.Line);
        Assert.Equal(4 + (YamlLimits.MaxDepth - 1) * open.Length, error.Column);
        Assert.Contains("nests more than 100 levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_block_nesting_is_an_error()
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < 150; i++)
        {
            yaml.Append(' ', i).Append("k:\n");
        }
        yaml.Append(' ', 150).Append("v\n");

        var error = Assert.Single(LoadFails(yaml.ToString()).Errors);

        // Line k opens the mapping at depth k.
        Assert.Equal(YamlLimits.MaxDepth + 1, error.Line);
        Assert.Contains("nests more than 100 levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_config_nested_within_the_limits_loads()
    {
        // Six levels to the user_config, then 60 of its own: under both the document's limit and user_config's 64.
        var nested = string.Concat(Enumerable.Repeat("[", 60)) + "1" + string.Concat(Enumerable.Repeat("]", 60));
        var config = ServeConfigLoader.Load($"applications:\n  - import_path: A:b\n    deployments:\n      - name: D\n        user_config: {{v: {nested}}}\n", "test.yaml");

        var json = config.Applications[0].Deployments[0].UserConfig!;
        using var document = JsonDocument.Parse(json);
        var element = document.RootElement.GetProperty("v");
        for (var i = 0; i < 59; i++)
        {
            element = element[0];
        }
        Assert.Equal(1, element[0].GetInt32());
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public void Alias_bomb_in_a_user_config_is_an_error_before_it_is_expanded(int levels)
    {
        // 10^levels copies of "lol" once expanded (8 levels took 41 s and 8.9 GB; 9 ran out of memory). Six and seven are
        // past the limit, and small enough that a regression would fail this test rather than the machine.
        var yaml = new StringBuilder("applications:\n  - import_path: A:b\n    deployments:\n      - name: D\n        user_config:\n");
        yaml.Append("          l0: &l0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
        for (var i = 1; i < levels; i++)
        {
            var previous = $"*l{i - 1}";
            yaml.Append($"          l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat(previous, 10))}]\n");
        }

        var ex = LoadFails(yaml.ToString());

        var error = Assert.Single(ex.Errors);
        Assert.Contains("more than 1,000,000 values with its aliases expanded", error.Message, StringComparison.Ordinal);
        Assert.Equal(5 + 6, error.Line);   // the first alias that crosses the limit: level 6 holds 10^6 values
    }

    [Fact]
    public void Aliases_of_long_text_count_their_characters()
    {
        var text = new string('x', 1024 * 1024);
        var yaml = $"applications:\n  - import_path: A:b\n    args:\n      a: &a \"{text}\"\n      b: [{string.Join(", ", Enumerable.Repeat("*a", 20))}]\n";

        var error = Assert.Single(LoadFails(yaml).Errors);

        Assert.Contains("more than 16,777,216 characters of text", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, error.Line);
    }

    [Fact]
    public void Anchors_and_aliases_within_the_limits_are_read_expanded()
    {
        const string Yaml = """
            applications:
              - name: a
                route_prefix: /a
                import_path: A:b
                deployments:
                  - name: D
                    user_config: &shared {threshold: 0.5, labels: [x, y]}
              - name: b
                route_prefix: /b
                import_path: A:b
                deployments:
                  - name: D
                    user_config: *shared
            """;

        var config = ServeConfigLoader.Load(Yaml, "test.yaml");

        Assert.Equal(config.Applications[0].Deployments[0].UserConfig, config.Applications[1].Deployments[0].UserConfig);
        using var document = JsonDocument.Parse(config.Applications[1].Deployments[0].UserConfig!);
        Assert.Equal(0.5, document.RootElement.GetProperty("threshold").GetDouble());
        Assert.Equal("y", document.RootElement.GetProperty("labels")[1].GetString());
    }

    [Fact]
    public void Anchors_do_not_carry_into_the_next_document()
    {
        // Two documents are an error of their own; the second one's alias must not count the first one's anchor.
        var ex = LoadFails("a: &a [1, 2]\n---\nb: *a\n");

        Assert.DoesNotContain(ex.Errors, e => e.Message.Contains("aliases expanded", StringComparison.Ordinal));
    }
}

/// <summary>What one config may hold, and how a config with very many problems is reported.</summary>
public class ConfigSizeLimitTests
{
    [Fact]
    public void More_applications_than_the_limit_is_one_error_at_the_list()
    {
        var apps = Enumerable.Range(0, ServeConfig.MaxApplications + 1)
            .Select(i => new ApplicationConfig { Name = $"a{i}", RoutePrefix = $"/a{i}", ImportPath = "A:b" })
            .ToList();

        var ex = Assert.Throws<ServeConfigException>(() => new ServeConfig { Applications = apps }.Validate());

        var error = Assert.Single(ex.Errors);
        Assert.Equal(("applications", "holds 1,001 applications; a config may hold at most 1,000."), (error.KeyPath, error.Message));
        new ServeConfig { Applications = apps[..ServeConfig.MaxApplications] }.Validate();
    }

    [Fact]
    public void A_config_too_large_is_refused_before_it_is_parsed()
    {
        var error = Assert.Single(LoadFails(new string(' ', ServeConfigLoader.MaxConfigSize + 1)).Errors);

        Assert.Equal("the config is 16,777,217 bytes; at most 16,777,216 are accepted.", error.Message);
    }

    [Fact]
    public void A_config_file_too_large_is_refused_before_it_is_read()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var file = File.OpenWrite(path))
            {
                file.SetLength(ServeConfigLoader.MaxConfigSize + 1L);
            }

            var error = Assert.Single(Assert.Throws<ServeConfigException>(() => ServeConfigLoader.LoadFile(path)).Errors);

            Assert.Equal((path, "the config is 16,777,217 bytes; at most 16,777,216 are accepted."), (error.SourceName, error.Message));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_message_lists_the_first_hundred_problems_and_counts_the_rest()
    {
        var deployments = Enumerable.Range(0, 250).Select(i => new DeploymentConfig { Name = $"d{i}", NumReplicas = 0 }).ToList();

        var ex = Assert.Throws<ServeConfigException>(() => new ServeConfig
        {
            Applications = [new ApplicationConfig { Name = "a", RoutePrefix = "/", ImportPath = "A:b", Deployments = deployments }],
        }.Validate());

        Assert.Equal(250, ex.Errors.Count);
        var lines = ex.Message.Split(Environment.NewLine);
        Assert.Equal(ServeConfigException.MaxListedErrors + 1, lines.Length);
        Assert.Equal("… and 150 more problems.", lines[^1]);
    }
}
