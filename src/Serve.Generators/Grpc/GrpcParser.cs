using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Reads the gRPC side of a deployment from symbols: the services it serves and the RPC names its methods bind.</summary>
internal static class GrpcParser
{
    /// <summary>The <c>[GrpcService("package.Service")]</c> attributes of a deployment class.</summary>
    public static EquatableArray<ServiceReference> ParseServices(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var services = new List<ServiceReference>();
        foreach (var attribute in type.GetAttributes())
        {
            if (WellKnownTypes.GrpcServiceAttribute.Matches(attribute.AttributeClass)
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is string serviceName)
            {
                services.Add(new ServiceReference(serviceName, Symbols.AttributeLocation(attribute, cancellationToken)));
            }
        }
        return services.ToEquatableArray();
    }

    /// <summary>The name of a method's <c>[GrpcMethod("Name")]</c> and where it is written; nulls without one.</summary>
    public static (string? Name, LocationInfo? Location) ParseRpcName(IMethodSymbol method, CancellationToken cancellationToken)
    {
        string? name = null;
        LocationInfo? location = null;
        foreach (var attribute in method.GetAttributes())
        {
            if (WellKnownTypes.GrpcMethodAttribute.Matches(attribute.AttributeClass)
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is string value)
            {
                name = value;
                location = Symbols.AttributeLocation(attribute, cancellationToken);
            }
        }
        return (name, location);
    }
}
