using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Serve.Generators;

/// <summary>The symbols the parser compares against, resolved once per compilation.</summary>
internal sealed class WellKnownTypes
{
    private static readonly ConditionalWeakTable<Compilation, WellKnownTypes> s_cache = new();

    private WellKnownTypes(Compilation compilation)
    {
        ServeRequestContext = compilation.GetTypeByMetadataName("Serve.ServeRequestContext");
        GrpcContext = compilation.GetTypeByMetadataName("Serve.Grpc.GrpcContext");
        MultiplexedAttribute = compilation.GetTypeByMetadataName("Serve.MultiplexedAttribute");
        DeploymentAttribute = compilation.GetTypeByMetadataName("Serve.DeploymentAttribute");
        Application = compilation.GetTypeByMetadataName("Serve.Application");
        ApplicationArgs = compilation.GetTypeByMetadataName("Serve.ApplicationArgs");
        GrpcServiceAttribute = compilation.GetTypeByMetadataName("Serve.GrpcServiceAttribute");
        GrpcMethodAttribute = compilation.GetTypeByMetadataName("Serve.GrpcMethodAttribute");
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        TaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        ValueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        IAsyncEnumerableOfT = compilation.GetTypeByMetadataName("System.Collections.Generic.IAsyncEnumerable`1");
        IEnumerableOfT = compilation.GetSpecialType(SpecialType.System_Collections_Generic_IEnumerable_T);
    }

    public static WellKnownTypes Get(Compilation compilation) => s_cache.GetValue(compilation, c => new WellKnownTypes(c));

    public INamedTypeSymbol? ServeRequestContext { get; }
    public INamedTypeSymbol? GrpcContext { get; }
    public INamedTypeSymbol? MultiplexedAttribute { get; }
    public INamedTypeSymbol? DeploymentAttribute { get; }
    public INamedTypeSymbol? Application { get; }
    public INamedTypeSymbol? ApplicationArgs { get; }
    public INamedTypeSymbol? GrpcServiceAttribute { get; }
    public INamedTypeSymbol? GrpcMethodAttribute { get; }
    public INamedTypeSymbol? CancellationToken { get; }
    public INamedTypeSymbol? Task { get; }
    public INamedTypeSymbol? TaskOfT { get; }
    public INamedTypeSymbol? ValueTask { get; }
    public INamedTypeSymbol? ValueTaskOfT { get; }
    public INamedTypeSymbol? IAsyncEnumerableOfT { get; }
    public INamedTypeSymbol IEnumerableOfT { get; }
}
