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
        GrpcContext = compilation.GetTypeByMetadataName("Serve.GrpcContext");
        MultiplexedAttribute = compilation.GetTypeByMetadataName("Serve.MultiplexedAttribute");
        BatchAttribute = compilation.GetTypeByMetadataName("Serve.BatchAttribute");
        DeploymentAttribute = compilation.GetTypeByMetadataName("Serve.DeploymentAttribute");
        Application = compilation.GetTypeByMetadataName("Serve.Application");
        DeploymentHandleOfT = compilation.GetTypeByMetadataName("Serve.DeploymentHandle`1");
        ObsoleteAttribute = compilation.GetTypeByMetadataName("System.ObsoleteAttribute");
        IReconfigurable = compilation.GetTypeByMetadataName("Serve.IReconfigurable");
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

        HttpMethodAttribute = compilation.GetTypeByMetadataName("Serve.Http.HttpMethodAttribute");
        HttpIngressAttribute = compilation.GetTypeByMetadataName("Serve.Http.HttpIngressAttribute");
        FromRouteAttribute = compilation.GetTypeByMetadataName("Serve.Http.FromRouteAttribute");
        FromQueryAttribute = compilation.GetTypeByMetadataName("Serve.Http.FromQueryAttribute");
        FromHeaderAttribute = compilation.GetTypeByMetadataName("Serve.Http.FromHeaderAttribute");
        FromBodyAttribute = compilation.GetTypeByMetadataName("Serve.Http.FromBodyAttribute");
        JsonContextAttribute = compilation.GetTypeByMetadataName("Serve.Http.JsonContextAttribute");
        HttpRequestData = compilation.GetTypeByMetadataName("Serve.Http.HttpRequestData");
        HttpResult = compilation.GetTypeByMetadataName("Serve.Http.HttpResult");
        Guid = compilation.GetTypeByMetadataName("System.Guid");
        DateTimeOffset = compilation.GetTypeByMetadataName("System.DateTimeOffset");
        TimeSpan = compilation.GetTypeByMetadataName("System.TimeSpan");
        JsonSerializerContext = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSerializerContext");
        JsonSerializableAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSerializableAttribute");
        JsonSourceGenerationOptionsAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSourceGenerationOptionsAttribute");
        JsonPropertyNameAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonPropertyNameAttribute");
        JsonIgnoreAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonIgnoreAttribute");
        JsonRequiredAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonRequiredAttribute");
        RequiredAttribute = compilation.GetTypeByMetadataName("System.ComponentModel.DataAnnotations.RequiredAttribute");
        MinLengthAttribute = compilation.GetTypeByMetadataName("System.ComponentModel.DataAnnotations.MinLengthAttribute");
        MaxLengthAttribute = compilation.GetTypeByMetadataName("System.ComponentModel.DataAnnotations.MaxLengthAttribute");
        StringLengthAttribute = compilation.GetTypeByMetadataName("System.ComponentModel.DataAnnotations.StringLengthAttribute");
        RangeAttribute = compilation.GetTypeByMetadataName("System.ComponentModel.DataAnnotations.RangeAttribute");
        RegularExpressionAttribute = compilation.GetTypeByMetadataName("System.ComponentModel.DataAnnotations.RegularExpressionAttribute");
        IDictionaryOfT = compilation.GetTypeByMetadataName("System.Collections.Generic.IDictionary`2");
        IReadOnlyDictionaryOfT = compilation.GetTypeByMetadataName("System.Collections.Generic.IReadOnlyDictionary`2");
        ICollectionOfT = compilation.GetSpecialType(SpecialType.System_Collections_Generic_ICollection_T);
        IReadOnlyCollectionOfT = compilation.GetSpecialType(SpecialType.System_Collections_Generic_IReadOnlyCollection_T);
        IReadOnlyListOfT = compilation.GetSpecialType(SpecialType.System_Collections_Generic_IReadOnlyList_T);
    }

    public static WellKnownTypes Get(Compilation compilation) => s_cache.GetValue(compilation, c => new WellKnownTypes(c));

    public INamedTypeSymbol? ServeRequestContext { get; }
    public INamedTypeSymbol? GrpcContext { get; }
    public INamedTypeSymbol? MultiplexedAttribute { get; }
    public INamedTypeSymbol? BatchAttribute { get; }
    public INamedTypeSymbol? DeploymentAttribute { get; }
    public INamedTypeSymbol? Application { get; }
    public INamedTypeSymbol? DeploymentHandleOfT { get; }
    public INamedTypeSymbol? ObsoleteAttribute { get; }
    public INamedTypeSymbol? IReconfigurable { get; }
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
    public INamedTypeSymbol? HttpMethodAttribute { get; }
    public INamedTypeSymbol? HttpIngressAttribute { get; }
    public INamedTypeSymbol? FromRouteAttribute { get; }
    public INamedTypeSymbol? FromQueryAttribute { get; }
    public INamedTypeSymbol? FromHeaderAttribute { get; }
    public INamedTypeSymbol? FromBodyAttribute { get; }
    public INamedTypeSymbol? JsonContextAttribute { get; }
    public INamedTypeSymbol? HttpRequestData { get; }
    public INamedTypeSymbol? HttpResult { get; }
    public INamedTypeSymbol? Guid { get; }
    public INamedTypeSymbol? DateTimeOffset { get; }
    public INamedTypeSymbol? TimeSpan { get; }
    public INamedTypeSymbol? JsonSerializerContext { get; }
    public INamedTypeSymbol? JsonSerializableAttribute { get; }
    public INamedTypeSymbol? JsonSourceGenerationOptionsAttribute { get; }
    public INamedTypeSymbol? JsonPropertyNameAttribute { get; }
    public INamedTypeSymbol? JsonIgnoreAttribute { get; }
    public INamedTypeSymbol? JsonRequiredAttribute { get; }
    public INamedTypeSymbol? RequiredAttribute { get; }
    public INamedTypeSymbol? MinLengthAttribute { get; }
    public INamedTypeSymbol? MaxLengthAttribute { get; }
    public INamedTypeSymbol? StringLengthAttribute { get; }
    public INamedTypeSymbol? RangeAttribute { get; }
    public INamedTypeSymbol? RegularExpressionAttribute { get; }
    public INamedTypeSymbol? IDictionaryOfT { get; }
    public INamedTypeSymbol? IReadOnlyDictionaryOfT { get; }
    public INamedTypeSymbol ICollectionOfT { get; }
    public INamedTypeSymbol IReadOnlyCollectionOfT { get; }
    public INamedTypeSymbol IReadOnlyListOfT { get; }
}
