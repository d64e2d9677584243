using Google.Protobuf;
using Grpc.Core;
using Grpc.Reflection.V1;
using Serve.Proxy.Grpc.BuiltIn;
using static Serve.Runtime.Tests.BuiltIn.BuiltInTestData;

namespace Serve.Runtime.Tests.BuiltIn;

public sealed class ReflectionAnswerTests
{
    private static readonly SymbolIndex s_index = new([CustomFile, .. BuiltInServices.OwnDescriptors]);
    private static readonly IReadOnlyList<string> s_services = ["grpc.health.v1.Health", "tests.Custom"];

    private static ServerReflectionResponse Answer(ServerReflectionRequest request, ISet<string>? sent = null)
        => ReflectionService.Answer(s_index, s_services, request, sent ?? new HashSet<string>());

    [Fact]
    public void List_services_echoes_the_host_and_the_request()
    {
        var request = new ServerReflectionRequest { Host = "localhost:9000", ListServices = "*" };
        var response = Answer(request);
        Assert.Equal("localhost:9000", response.ValidHost);
        Assert.Equal(request, response.OriginalRequest);
        Assert.Equal(s_services, response.ListServicesResponse.Service.Select(s => s.Name));
    }

    [Fact]
    public void File_containing_a_method_sends_the_file_and_its_imports_once_per_stream()
    {
        var sent = new HashSet<string>();
        var first = Answer(new ServerReflectionRequest { FileContainingSymbol = "tests.Custom.Ping" }, sent);
        Assert.Equal(["tests/custom.proto", "google/protobuf/descriptor.proto", "google/protobuf/empty.proto"],
            first.FileDescriptorResponse.FileDescriptorProto.Select(NameOf));

        var second = Answer(new ServerReflectionRequest { FileContainingSymbol = "tests.Outer.Inner" }, sent);
        Assert.Equal(["tests/custom.proto"], second.FileDescriptorResponse.FileDescriptorProto.Select(NameOf));
        var third = Answer(new ServerReflectionRequest { FileByFilename = "google/protobuf/empty.proto" }, sent);
        Assert.Equal(["google/protobuf/empty.proto"], third.FileDescriptorResponse.FileDescriptorProto.Select(NameOf));
    }

    [Fact]
    public void The_bytes_sent_are_the_files_descriptor()
    {
        var response = Answer(new ServerReflectionRequest { FileByFilename = "tests/custom.proto" });
        Assert.Equal(CustomFile.SerializedData, response.FileDescriptorResponse.FileDescriptorProto[0]);
    }

    [Theory]
    [InlineData("tests.Nope")]
    [InlineData("")]
    public void Unknown_symbol_is_a_not_found_error_response(string symbol)
    {
        var response = Answer(new ServerReflectionRequest { Host = "h", FileContainingSymbol = symbol });
        Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.ErrorResponse, response.MessageResponseCase);
        Assert.Equal((int)StatusCode.NotFound, response.ErrorResponse.ErrorCode);
        Assert.Contains($"'{symbol}'", response.ErrorResponse.ErrorMessage);
        Assert.Equal("h", response.ValidHost);
        Assert.Equal(symbol, response.OriginalRequest.FileContainingSymbol);
    }

    [Fact]
    public void Unknown_file_is_not_found()
    {
        var response = Answer(new ServerReflectionRequest { FileByFilename = "nope.proto" });
        Assert.Equal((int)StatusCode.NotFound, response.ErrorResponse.ErrorCode);
    }

    [Fact]
    public void Extensions_are_answered_and_missing_ones_are_not_found()
    {
        var found = Answer(new ServerReflectionRequest { FileContainingExtension = new ExtensionRequest { ContainingType = "google.protobuf.MessageOptions", ExtensionNumber = 50001 } });
        Assert.Equal("tests/custom.proto", NameOf(found.FileDescriptorResponse.FileDescriptorProto[0]));

        var missing = Answer(new ServerReflectionRequest { FileContainingExtension = new ExtensionRequest { ContainingType = "tests.Outer", ExtensionNumber = 100 } });
        Assert.Equal((int)StatusCode.NotFound, missing.ErrorResponse.ErrorCode);

        var numbers = Answer(new ServerReflectionRequest { AllExtensionNumbersOfType = "tests.Outer" });
        Assert.Equal("tests.Outer", numbers.AllExtensionNumbersResponse.BaseTypeName);
        Assert.Empty(numbers.AllExtensionNumbersResponse.ExtensionNumber);

        var unknownType = Answer(new ServerReflectionRequest { AllExtensionNumbersOfType = "tests.Nope" });
        Assert.Equal((int)StatusCode.NotFound, unknownType.ErrorResponse.ErrorCode);
    }

    [Fact]
    public void A_request_without_a_question_is_unimplemented()
    {
        var response = Answer(new ServerReflectionRequest { Host = "h" });
        Assert.Equal((int)StatusCode.Unimplemented, response.ErrorResponse.ErrorCode);
    }

    [Fact]
    public void The_v1alpha_and_v1_messages_share_one_wire_format()
    {
        var v1 = new ServerReflectionRequest { Host = "h", FileContainingSymbol = "tests.Custom" };
        var alpha = Grpc.Reflection.V1Alpha.ServerReflectionRequest.Parser.ParseFrom(v1.ToByteArray());
        Assert.Equal("tests.Custom", alpha.FileContainingSymbol);

        var response = Answer(v1);
        var alphaResponse = Grpc.Reflection.V1Alpha.ServerReflectionResponse.Parser.ParseFrom(response.ToByteArray());
        Assert.Equal(response.FileDescriptorResponse.FileDescriptorProto, alphaResponse.FileDescriptorResponse.FileDescriptorProto);
        Assert.Equal("h", alphaResponse.OriginalRequest.Host);
    }
}
