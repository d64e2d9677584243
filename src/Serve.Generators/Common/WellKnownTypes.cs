using Microsoft.CodeAnalysis;

namespace Serve.Generators;

/// <summary>
/// The types the parsers compare against, recognised by name. Resolving them with <c>GetTypeByMetadataName</c> searched
/// every referenced assembly for ~50 names in each new compilation, which an IDE makes on every edit; comparing a
/// symbol's name and namespace costs a few string comparisons, and only for the symbols actually looked at.
/// </summary>
internal static class WellKnownTypes
{
    public static readonly KnownType ServeRequestContext = new("Serve.ServeRequestContext");
    public static readonly KnownType GrpcContext = new("Serve.GrpcContext");
    public static readonly KnownType MultiplexedAttribute = new("Serve.MultiplexedAttribute");
    public static readonly KnownType BatchAttribute = new("Serve.BatchAttribute");
    public static readonly KnownType DeploymentAttribute = new("Serve.DeploymentAttribute");
    public static readonly KnownType Application = new("Serve.Application");
    public static readonly KnownType DeploymentHandleOfT = new("Serve.DeploymentHandle`1");
    public static readonly KnownType IReconfigurable = new("Serve.IReconfigurable");
    public static readonly KnownType HealthCheckAttribute = new("Serve.HealthCheckAttribute");
    public static readonly KnownType ApplicationArgs = new("Serve.ApplicationArgs");
    public static readonly KnownType GrpcServiceAttribute = new("Serve.GrpcServiceAttribute");
    public static readonly KnownType GrpcMethodAttribute = new("Serve.GrpcMethodAttribute");
    public static readonly KnownType ObsoleteAttribute = new("System.ObsoleteAttribute");
    public static readonly KnownType CancellationToken = new("System.Threading.CancellationToken");
    public static readonly KnownType Task = new("System.Threading.Tasks.Task");
    public static readonly KnownType TaskOfT = new("System.Threading.Tasks.Task`1");
    public static readonly KnownType ValueTask = new("System.Threading.Tasks.ValueTask");
    public static readonly KnownType ValueTaskOfT = new("System.Threading.Tasks.ValueTask`1");
    public static readonly KnownType IAsyncEnumerableOfT = new("System.Collections.Generic.IAsyncEnumerable`1");
    public static readonly KnownType IEnumerableOfT = new("System.Collections.Generic.IEnumerable`1");

    public static readonly KnownType HttpMethodAttribute = new("Serve.Http.HttpMethodAttribute");
    public static readonly KnownType HttpIngressAttribute = new("Serve.Http.HttpIngressAttribute");
    public static readonly KnownType FromRouteAttribute = new("Serve.Http.FromRouteAttribute");
    public static readonly KnownType FromQueryAttribute = new("Serve.Http.FromQueryAttribute");
    public static readonly KnownType FromHeaderAttribute = new("Serve.Http.FromHeaderAttribute");
    public static readonly KnownType FromBodyAttribute = new("Serve.Http.FromBodyAttribute");
    public static readonly KnownType JsonContextAttribute = new("Serve.Http.JsonContextAttribute");
    public static readonly KnownType HttpRequestData = new("Serve.Http.HttpRequestData");
    public static readonly KnownType HttpResult = new("Serve.Http.HttpResult");
    public static readonly KnownType Guid = new("System.Guid");
    public static readonly KnownType DateTimeOffset = new("System.DateTimeOffset");
    public static readonly KnownType TimeSpan = new("System.TimeSpan");
    public static readonly KnownType JsonSerializerContext = new("System.Text.Json.Serialization.JsonSerializerContext");
    public static readonly KnownType JsonSerializableAttribute = new("System.Text.Json.Serialization.JsonSerializableAttribute");
    public static readonly KnownType JsonSourceGenerationOptionsAttribute = new("System.Text.Json.Serialization.JsonSourceGenerationOptionsAttribute");
    public static readonly KnownType JsonPropertyNameAttribute = new("System.Text.Json.Serialization.JsonPropertyNameAttribute");
    public static readonly KnownType JsonIgnoreAttribute = new("System.Text.Json.Serialization.JsonIgnoreAttribute");
    public static readonly KnownType JsonRequiredAttribute = new("System.Text.Json.Serialization.JsonRequiredAttribute");
    public static readonly KnownType RequiredAttribute = new("System.ComponentModel.DataAnnotations.RequiredAttribute");
    public static readonly KnownType MinLengthAttribute = new("System.ComponentModel.DataAnnotations.MinLengthAttribute");
    public static readonly KnownType MaxLengthAttribute = new("System.ComponentModel.DataAnnotations.MaxLengthAttribute");
    public static readonly KnownType StringLengthAttribute = new("System.ComponentModel.DataAnnotations.StringLengthAttribute");
    public static readonly KnownType RangeAttribute = new("System.ComponentModel.DataAnnotations.RangeAttribute");
    public static readonly KnownType RegularExpressionAttribute = new("System.ComponentModel.DataAnnotations.RegularExpressionAttribute");
    public static readonly KnownType IDictionaryOfT = new("System.Collections.Generic.IDictionary`2");
    public static readonly KnownType IReadOnlyDictionaryOfT = new("System.Collections.Generic.IReadOnlyDictionary`2");
    public static readonly KnownType ICollectionOfT = new("System.Collections.Generic.ICollection`1");
    public static readonly KnownType IReadOnlyCollectionOfT = new("System.Collections.Generic.IReadOnlyCollection`1");
    public static readonly KnownType IReadOnlyListOfT = new("System.Collections.Generic.IReadOnlyList`1");
}

/// <summary>A top-level type named by its metadata name (<c>Namespace.Name`Arity</c>).</summary>
internal sealed class KnownType
{
    private readonly string _name;

    /// <summary>The namespace's parts, innermost first: the order they are met walking out from the type.</summary>
    private readonly string[] _namespace;

    public KnownType(string metadataName)
    {
        var dot = metadataName.LastIndexOf('.');
        _name = metadataName.Substring(dot + 1);
        _namespace = dot < 0 ? System.Array.Empty<string>() : metadataName.Substring(0, dot).Split('.');
        System.Array.Reverse(_namespace);
    }

    /// <summary>True when <paramref name="type"/> is this type (for a generic one, its definition: pass <c>OriginalDefinition</c>).</summary>
    public bool Matches(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol { ContainingType: null } named || named.MetadataName != _name)
        {
            return false;
        }
        var ns = named.ContainingNamespace;
        foreach (var part in _namespace)
        {
            if (ns is null || ns.IsGlobalNamespace || ns.Name != part)
            {
                return false;
            }
            ns = ns.ContainingNamespace;
        }
        return ns is { IsGlobalNamespace: true };
    }

    /// <summary>True when <paramref name="type"/> is this type or derives from it.</summary>
    public bool IsBaseOf(ITypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (Matches(current.OriginalDefinition))
            {
                return true;
            }
        }
        return false;
    }
}
