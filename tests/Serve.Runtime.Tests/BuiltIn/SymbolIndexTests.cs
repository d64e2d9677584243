using Google.Protobuf.WellKnownTypes;
using Serve.Proxy.Grpc.BuiltIn;
using static Serve.Runtime.Tests.BuiltIn.BuiltInTestData;

namespace Serve.Runtime.Tests.BuiltIn;

public sealed class SymbolIndexTests
{
    private static readonly SymbolIndex s_index = new([CustomFile, .. BuiltInServices.OwnDescriptors]);

    [Theory]
    [InlineData("tests.Custom")]
    [InlineData("tests.Custom.Ping")]
    [InlineData("tests.Outer")]
    [InlineData("tests.Outer.Inner")]
    [InlineData("tests.Outer.inner")]
    [InlineData("tests.Outer.choice")]
    [InlineData("tests.Outer.Mode")]
    [InlineData("tests.Outer.MODE_UNSPECIFIED")]
    [InlineData("tests.Color")]
    [InlineData("tests.COLOR_RED")]
    [InlineData("tests.Color.COLOR_RED")]
    [InlineData("tests.tag")]
    public void Every_kind_of_symbol_finds_its_file(string symbol)
    {
        Assert.True(s_index.TryGetFileContainingSymbol(symbol, out var file), symbol);
        Assert.Equal("tests/custom.proto", file.Name);
    }

    // The health and reflection files are the ones Grpc.HealthCheck and Grpc.Reflection ship (and serve
    // in grpc-dotnet servers): Grpc.HealthCheck compiled health.proto without its grpc/health/v1 folder.
    [Theory]
    [InlineData("grpc.health.v1.Health", "health.proto")]
    [InlineData("grpc.health.v1.Health.Watch", "health.proto")]
    [InlineData("grpc.health.v1.HealthCheckResponse.ServingStatus", "health.proto")]
    [InlineData("grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto")]
    [InlineData("grpc.reflection.v1.ServerReflection.ServerReflectionInfo", "grpc/reflection/v1/reflection.proto")]
    [InlineData("ray.serve.RayServeAPIService", "serve.proto")]
    [InlineData("google.protobuf.Empty", "google/protobuf/empty.proto")]
    [InlineData("google.protobuf.FieldDescriptorProto.Type", "google/protobuf/descriptor.proto")]
    public void Own_and_imported_files_are_indexed_under_their_shipped_names(string symbol, string fileName)
    {
        Assert.True(s_index.TryGetFileContainingSymbol(symbol, out var file), symbol);
        Assert.Equal(fileName, file.Name);
        Assert.True(s_index.TryGetFile(fileName, out var byName));
        Assert.Same(file, byName);
    }

    [Theory]
    [InlineData("tests.Nope")]
    [InlineData("Custom")]
    [InlineData("tests.custom")]
    [InlineData("")]
    public void Unknown_symbols_are_not_found(string symbol)
        => Assert.False(s_index.TryGetFileContainingSymbol(symbol, out _));

    [Fact]
    public void The_file_comes_first_then_its_imports_breadth_first()
    {
        // api.proto imports source_context.proto and type.proto; type.proto imports any.proto and source_context.proto.
        var files = SymbolIndex.FileWithDependencies(ApiReflection.Descriptor, new HashSet<string>());
        Assert.Equal(
            ["google/protobuf/api.proto", "google/protobuf/source_context.proto", "google/protobuf/type.proto", "google/protobuf/any.proto"],
            files.Select(NameOf));
    }

    [Fact]
    public void Files_already_sent_on_the_stream_are_not_sent_again_except_the_one_asked_for()
    {
        var sent = new HashSet<string>();
        Assert.Equal(4, SymbolIndex.FileWithDependencies(ApiReflection.Descriptor, sent).Count);

        // type.proto was sent with api.proto: asked for again it comes alone, without its imports.
        Assert.Equal(["google/protobuf/type.proto"], SymbolIndex.FileWithDependencies(TypeReflection.Descriptor, sent).Select(NameOf));
        Assert.Equal(["tests/custom.proto", "google/protobuf/descriptor.proto", "google/protobuf/empty.proto"],
            SymbolIndex.FileWithDependencies(CustomFile, sent).Select(NameOf));
        Assert.Equal(7, sent.Count);
    }

    [Fact]
    public void Extensions_are_found_by_extendee_and_number()
    {
        Assert.True(s_index.TryGetFileContainingExtension("google.protobuf.MessageOptions", 50001, out var file));
        Assert.Equal("tests/custom.proto", file.Name);
        Assert.False(s_index.TryGetFileContainingExtension("google.protobuf.MessageOptions", 50002, out _));
        Assert.False(s_index.TryGetFileContainingExtension("tests.Outer", 1, out _));
    }

    [Fact]
    public void Extension_numbers_are_listed_for_known_message_types_only()
    {
        Assert.True(s_index.TryGetExtensionNumbers("google.protobuf.MessageOptions", out var numbers));
        Assert.Equal([50001], numbers);
        Assert.True(s_index.TryGetExtensionNumbers("tests.Outer", out var none));
        Assert.Empty(none);
        Assert.False(s_index.TryGetExtensionNumbers("tests.Color", out _));
        Assert.False(s_index.TryGetExtensionNumbers("tests.Nope", out _));
    }

    [Fact]
    public void The_first_file_of_a_name_wins()
    {
        var index = new SymbolIndex([CustomFile, CustomFile, EmptyReflection.Descriptor]);
        Assert.Equal(["google/protobuf/descriptor.proto", "google/protobuf/empty.proto", "tests/custom.proto"], index.FileNames);
    }
}
