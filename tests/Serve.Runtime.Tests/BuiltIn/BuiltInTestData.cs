using System.Collections.Frozen;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Serve.Control;
using Serve.Dispatch;
using Serve.Routing;

namespace Serve.Runtime.Tests.BuiltIn;

/// <summary>Route tables and descriptors for the built-in service tests.</summary>
internal static class BuiltInTestData
{
    public static ApplicationState App(string name, ApplicationStatus status, params string[] services)
    {
        var methods = services
            .Select(s => new GrpcMethodDefinition(s, "__call__", GrpcMethodType.Unary, "pkg.Req", "pkg.Resp", static (_, _) => ValueTask.CompletedTask))
            .ToArray();
        var definition = new DeploymentDefinition("D", "Tests.D", new DeploymentOptions(), 0, (_, _) => new object(), services, methods);
        var deployment = new DeploymentState(name, definition, "D", 1, 5, -1);
        return new ApplicationState(name, null, deployment, methods.ToFrozenDictionary(m => m.Path, StringComparer.Ordinal))
        {
            Status = status,
        };
    }

    public static RouteTable Routes(params ApplicationState[] apps) => new(apps);

    /// <summary>
    /// <c>tests/custom.proto</c>: <c>package tests;</c>, importing descriptor.proto and empty.proto, declaring
    /// <c>service Custom { rpc Ping(google.protobuf.Empty) returns (Outer); }</c>, a message <c>Outer</c> with a
    /// nested message, a nested enum and a oneof, a top-level enum <c>Color</c>, and the custom option
    /// <c>extend google.protobuf.MessageOptions { string tag = 50001; }</c>.
    /// </summary>
    public static FileDescriptor CustomFile { get; } = BuildCustomFile();

    private static FileDescriptor BuildCustomFile()
    {
        var proto = new FileDescriptorProto
        {
            Name = "tests/custom.proto",
            Package = "tests",
            Syntax = "proto3",
            Dependency = { "google/protobuf/descriptor.proto", "google/protobuf/empty.proto" },
            MessageType =
            {
                new DescriptorProto
                {
                    Name = "Outer",
                    Field =
                    {
                        new FieldDescriptorProto { Name = "inner", Number = 1, Label = FieldDescriptorProto.Types.Label.Optional, Type = FieldDescriptorProto.Types.Type.Message, TypeName = ".tests.Outer.Inner", JsonName = "inner" },
                        new FieldDescriptorProto { Name = "text", Number = 2, Label = FieldDescriptorProto.Types.Label.Optional, Type = FieldDescriptorProto.Types.Type.String, OneofIndex = 0, JsonName = "text" },
                    },
                    OneofDecl = { new OneofDescriptorProto { Name = "choice" } },
                    NestedType = { new DescriptorProto { Name = "Inner" } },
                    EnumType = { new EnumDescriptorProto { Name = "Mode", Value = { new EnumValueDescriptorProto { Name = "MODE_UNSPECIFIED", Number = 0 } } } },
                },
            },
            EnumType = { new EnumDescriptorProto { Name = "Color", Value = { new EnumValueDescriptorProto { Name = "COLOR_RED", Number = 0 } } } },
            Service =
            {
                new ServiceDescriptorProto
                {
                    Name = "Custom",
                    Method = { new MethodDescriptorProto { Name = "Ping", InputType = ".google.protobuf.Empty", OutputType = ".tests.Outer" } },
                },
            },
            Extension =
            {
                new FieldDescriptorProto { Name = "tag", Number = 50001, Label = FieldDescriptorProto.Types.Label.Optional, Type = FieldDescriptorProto.Types.Type.String, Extendee = ".google.protobuf.MessageOptions", JsonName = "tag" },
            },
        };
        var files = FileDescriptor.BuildFromByteStrings(
        [
            DescriptorReflection.Descriptor.SerializedData,
            Google.Protobuf.WellKnownTypes.EmptyReflection.Descriptor.SerializedData,
            proto.ToByteString(),
        ]);
        return files[^1];
    }

    public static string NameOf(ByteString serialized) => FileDescriptorProto.Parser.ParseFrom(serialized).Name;
}
