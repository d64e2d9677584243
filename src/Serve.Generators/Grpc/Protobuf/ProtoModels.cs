namespace Serve.Generators.Model;

/// <summary>The streaming shape of an RPC; the names match <c>Serve.Dispatch.GrpcMethodType</c>.</summary>
internal enum RpcKind
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>One <c>.proto</c> file of the compilation, read from its protoc-generated <c>*Reflection</c> class.</summary>
/// <param name="FileName">The proto file name (e.g. <c>user_defined_protos.proto</c>).</param>
/// <param name="Package">The proto package.</param>
/// <param name="ReflectionClass">The reflection class's name.</param>
/// <param name="DescriptorClass">The <c>global::</c>-qualified reflection class when it is top-level and has a static
/// <c>Descriptor</c> property (so the module registry can register it for server reflection); else empty.</param>
/// <param name="Messages">Every message (nested ones too) with its C# type, when known.</param>
/// <param name="Services">The services the file defines.</param>
/// <param name="Diagnostic">Why the descriptor could not be read, or null.</param>
/// <param name="Location">The reflection class declaration.</param>
internal sealed record ProtoFileModel(
    string FileName,
    string Package,
    string ReflectionClass,
    string DescriptorClass,
    EquatableArray<ProtoMessageModel> Messages,
    EquatableArray<ProtoServiceModel> Services,
    DiagnosticInfo? Diagnostic);

/// <param name="FullName">The proto full name without the leading dot (<c>pkg.Outer.Inner</c>).</param>
/// <param name="ClrType">The <c>global::</c>-qualified C# type, or empty when unknown.</param>
internal sealed record ProtoMessageModel(string FullName, string ClrType);

/// <param name="Name">The service's short name.</param>
/// <param name="FullName">The fully qualified name (<c>pkg.Service</c>).</param>
internal sealed record ProtoServiceModel(string Name, string FullName, EquatableArray<ProtoMethodModel> Methods);

/// <param name="InputType">The request's proto full name without the leading dot.</param>
/// <param name="OutputType">The response's proto full name without the leading dot.</param>
internal sealed record ProtoMethodModel(string Name, string InputType, string OutputType, bool ClientStreaming, bool ServerStreaming);

/// <summary>Every service of the compilation with message types resolved to C# types.</summary>
internal sealed record ServiceCatalog(EquatableArray<ServiceModel> Services)
{
    public ServiceModel? Find(string fullName)
    {
        foreach (var service in Services)
        {
            if (service.FullName == fullName)
            {
                return service;
            }
        }
        return null;
    }
}

internal sealed record ServiceModel(string Name, string FullName, EquatableArray<RpcModel> Methods);

/// <param name="RequestType">Proto full name of the request, without the leading dot.</param>
/// <param name="RequestClrType"><c>global::</c>-qualified C# type of the request, or empty when unknown.</param>
internal sealed record RpcModel(string Name, RpcKind Kind, string RequestType, string RequestClrType, string ResponseType, string ResponseClrType)
{
    public bool IsResolved => RequestClrType.Length > 0 && ResponseClrType.Length > 0;
}
