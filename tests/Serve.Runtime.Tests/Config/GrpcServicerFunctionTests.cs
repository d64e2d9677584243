using Serve.Config;

namespace Serve.Runtime.Tests.Config;

public class GrpcServicerFunctionTests
{
    [Fact]
    public void Qualified_name_is_kept_whole()
    {
        var f = GrpcServicerFunction.Parse("userdefinedprotos.UserDefinedService");
        Assert.True(f.IsQualified);
        Assert.Equal("userdefinedprotos.UserDefinedService", f.ServiceName);
        Assert.Equal("UserDefinedService", f.UnqualifiedName);
        Assert.Null(f.PythonModule);
        Assert.Equal("userdefinedprotos.UserDefinedService", f.Raw);
        Assert.True(f.Matches("userdefinedprotos.UserDefinedService"));
        Assert.False(f.Matches("other.UserDefinedService"));
        Assert.False(f.Matches("userdefinedprotos.userdefinedservice"));
    }

    [Fact]
    public void Name_without_package_is_a_qualified_name()
    {
        var f = GrpcServicerFunction.Parse("Greeter");
        Assert.True(f.IsQualified);
        Assert.True(f.Matches("Greeter"));
        Assert.False(f.Matches("pkg.Greeter"));
    }

    [Fact]
    public void Python_form_gives_the_short_service_name()
    {
        var f = GrpcServicerFunction.Parse("user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server");
        Assert.False(f.IsQualified);
        Assert.Equal("UserDefinedService", f.ServiceName);
        Assert.Equal("UserDefinedService", f.UnqualifiedName);
        Assert.Equal("user_defined_protos_pb2_grpc", f.PythonModule);
        Assert.True(f.Matches("userdefinedprotos.UserDefinedService"));
        Assert.True(f.Matches("UserDefinedService"));
        Assert.False(f.Matches("userdefinedprotos.ImageClassificationService"));
        Assert.False(f.Matches("userdefinedprotos.UserDefinedService2"));
    }

    [Fact]
    public void Python_form_with_a_dotted_module()
    {
        var f = GrpcServicerFunction.Parse("protos.v1.image_pb2_grpc.add_ImageClassificationServiceServicer_to_server");
        Assert.False(f.IsQualified);
        Assert.Equal("ImageClassificationService", f.ServiceName);
        Assert.Equal("protos.v1.image_pb2_grpc", f.PythonModule);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("   ", "it is empty")]
    [InlineData("userdefinedprotos..UserDefinedService", "empty segment")]
    [InlineData(".userdefinedprotos.UserDefinedService", "empty segment")]
    [InlineData("userdefinedprotos.UserDefinedService.", "empty segment")]
    [InlineData("userdefinedprotos.UserDefinedService/__call__", "\"UserDefinedService/__call__\" is not an identifier")]
    [InlineData("pkg.1Service", "\"1Service\" is not an identifier")]
    [InlineData("my protos.Service", "is not an identifier")]
    [InlineData("user_defined_protos_pb2_grpc.add_Servicer_to_server", "no valid service name")]
    [InlineData("add_UserDefinedServiceServicer_to_server", "needs the module")]
    public void Invalid_entries_are_rejected_with_the_reason(string text, string reason)
    {
        Assert.False(GrpcServicerFunction.TryParse(text, out var result, out var error));
        Assert.Null(result);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Contains("Expected a fully qualified protobuf service name", error, StringComparison.Ordinal);

        var ex = Assert.Throws<FormatException>(() => GrpcServicerFunction.Parse(text));
        Assert.Equal(error, ex.Message);
    }

    [Fact]
    public void Null_is_rejected()
    {
        Assert.False(GrpcServicerFunction.TryParse(null, out _));
        Assert.Throws<FormatException>(() => GrpcServicerFunction.Parse(null!));
    }

    [Fact]
    public void Options_parse_every_entry()
    {
        var options = new GrpcOptions
        {
            GrpcServicerFunctions = ["a.B", "m_pb2_grpc.add_CServicer_to_server"],
        };
        var parsed = options.ParseServicerFunctions();
        Assert.Equal(["a.B", "C"], parsed.Select(p => p.ServiceName));
        Assert.True(options.IsEnabled);
        Assert.False(new GrpcOptions().IsEnabled);
    }

    [Fact]
    public void Options_name_the_invalid_entry()
    {
        var options = new GrpcOptions { GrpcServicerFunctions = ["a.B", "bad name"] };
        var ex = Assert.Throws<ServeConfigException>(() => options.ParseServicerFunctions());
        Assert.Equal("grpc_servicer_functions[1]", ex.KeyPath);
    }
}
