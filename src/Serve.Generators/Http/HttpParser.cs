using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Reads the HTTP side of a deployment from symbols: route attributes, parameters, results, the JSON context and schemas.</summary>
internal static partial class HttpParser
{
    /// <summary>Reads <c>[JsonContext(typeof(Ctx))]</c> of a deployment and the naming policy of the context.</summary>
    public static (JsonContextInfo? Info, SchemaBuilder.NamingPolicy Policy) ParseJsonContext(INamedTypeSymbol deployment, CancellationToken cancellationToken)
    {
        foreach (var attribute in deployment.GetAttributes())
        {
            if (!WellKnownTypes.JsonContextAttribute.Matches(attribute.AttributeClass)
                || attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol context)
            {
                continue;
            }
            var isContext = false;
            for (var t = context.BaseType; t is not null; t = t.BaseType)
            {
                isContext |= WellKnownTypes.JsonSerializerContext.Matches(t);
            }
            var types = new SortedSet<string>(StringComparer.Ordinal);
            var policy = SchemaBuilder.NamingPolicy.None;
            foreach (var contextAttribute in context.GetAttributes())
            {
                if (WellKnownTypes.JsonSerializableAttribute.Matches(contextAttribute.AttributeClass)
                    && contextAttribute.ConstructorArguments.Length >= 1
                    && contextAttribute.ConstructorArguments[0].Value is ITypeSymbol serializable)
                {
                    types.Add(serializable.ToDisplayString(Symbols.TypeFormat));
                }
                else if (WellKnownTypes.JsonSourceGenerationOptionsAttribute.Matches(contextAttribute.AttributeClass))
                {
                    // JsonSerializerDefaults.Web (1) means camelCase; an explicit PropertyNamingPolicy wins.
                    if (contextAttribute.ConstructorArguments.Length == 1 && contextAttribute.ConstructorArguments[0].Value is int defaults && defaults == 1)
                    {
                        policy = SchemaBuilder.NamingPolicy.CamelCase;
                    }
                    foreach (var named in contextAttribute.NamedArguments)
                    {
                        if (named.Key == "PropertyNamingPolicy" && named.Value.Value is int value && Enum.IsDefined(typeof(SchemaBuilder.NamingPolicy), value))
                        {
                            policy = (SchemaBuilder.NamingPolicy)value;
                        }
                    }
                }
            }
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            return (new JsonContextInfo(context.ToDisplayString(Symbols.TypeFormat), context.ToDisplayString(), isContext, types.ToEquatableArray(), LocationInfo.From(syntax)), policy);
        }
        return (null, SchemaBuilder.NamingPolicy.None);
    }

    /// <summary>Reads the HTTP attributes, parameters and result of a method; null when it has no route attribute and no <c>[HttpIngress]</c>.</summary>
    /// <param name="batch">For a valid <c>[Batch]</c> method: the item and result types of its per-item overload
    /// (<c>ValueTask&lt;TOut&gt; M(TIn item, CancellationToken cancellationToken)</c>), which the HTTP route binds instead.</param>
    public static HttpMethodInfo? ParseMethod(IMethodSymbol method, SchemaBuilder schemas, CancellationToken cancellationToken, BatchParser.BatchSignature? batch = null)
    {
        var routes = new List<HttpRouteAttributeInfo>();
        var isIngress = false;
        LocationInfo? ingressLocation = null;
        foreach (var attribute in method.GetAttributes())
        {
            var attributeClass = attribute.AttributeClass;
            if (attributeClass is null)
            {
                continue;
            }
            if (WellKnownTypes.HttpIngressAttribute.Matches(attributeClass))
            {
                isIngress = true;
                ingressLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
                continue;
            }
            if (!WellKnownTypes.HttpMethodAttribute.IsBaseOf(attributeClass.BaseType))
            {
                continue;
            }
            var name = attributeClass.Name;
            if (name.StartsWith("Http", StringComparison.Ordinal))
            {
                name = name.Substring(4);
            }
            if (name.EndsWith("Attribute", StringComparison.Ordinal))
            {
                name = name.Substring(0, name.Length - "Attribute".Length);
            }
            var template = attribute.ConstructorArguments.Length == 0 ? "/" : attribute.ConstructorArguments[0].Value as string ?? "";
            var statusCode = 200;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "StatusCode" && named.Value.Value is int code)
                {
                    statusCode = code;
                }
            }
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var location = LocationInfo.From((SyntaxNode?)syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null) ?? syntax);
            routes.Add(new HttpRouteAttributeInfo(name.ToUpperInvariant(), template, statusCode, location));
        }
        if (routes.Count == 0 && !isIngress)
        {
            return null;
        }
        if (batch is { } b)
        {
            // The per-item overload: the list parameter's attributes apply to one item; the call's token always reaches the queue.
            var item = ParseParameter(method.Parameters[0], schemas, cancellationToken, b.Item);
            var token = new HttpParameterInfo(b.TokenName, "global::System.Threading.CancellationToken", "global::System.Threading.CancellationToken",
                "System.Threading.CancellationToken", HttpParameterKind.CancellationToken, HttpSource.None, null, ScalarKind.None, "", true, false, false, true, "",
                false, null, "", EquatableArray<string>.Empty, EquatableArray<ValidationInfo>.Empty, TypeSchema.Of(SchemaKind.Any), null);
            return new HttpMethodInfo(routes.ToEquatableArray(), isIngress, ingressLocation, new EquatableArray<HttpParameterInfo>(new[] { item, token }),
                ParseReturn(method, schemas, b.Result));
        }
        var parameters = method.Parameters.Select(p => ParseParameter(p, schemas, cancellationToken)).ToEquatableArray();
        return new HttpMethodInfo(routes.ToEquatableArray(), isIngress, ingressLocation, parameters, ParseReturn(method, schemas));
    }

    /// <param name="typeOverride">For the list parameter of a <c>[Batch]</c> method: the item type, bound instead of the list.</param>
    private static HttpParameterInfo ParseParameter(IParameterSymbol parameter, SchemaBuilder schemas, CancellationToken cancellationToken, ITypeSymbol? typeOverride = null)
    {
        var type = typeOverride ?? parameter.Type;
        var kind = WellKnownTypes.ServeRequestContext.Matches(type) ? HttpParameterKind.Context
            : WellKnownTypes.CancellationToken.Matches(type) ? HttpParameterKind.CancellationToken
            : WellKnownTypes.HttpRequestData.Matches(type) ? HttpParameterKind.Request
            : HttpParameterKind.Value;

        var source = HttpSource.None;
        string? explicitName = null;
        foreach (var attribute in parameter.GetAttributes())
        {
            var attributeClass = attribute.AttributeClass;
            var attributeSource = WellKnownTypes.FromRouteAttribute.Matches(attributeClass) ? HttpSource.Path
                : WellKnownTypes.FromQueryAttribute.Matches(attributeClass) ? HttpSource.Query
                : WellKnownTypes.FromHeaderAttribute.Matches(attributeClass) ? HttpSource.Header
                : WellKnownTypes.FromBodyAttribute.Matches(attributeClass) ? HttpSource.Body
                : HttpSource.None;
            if (attributeSource == HttpSource.None)
            {
                continue;
            }
            source = attributeSource;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "Name" && named.Value.Value is string value)
                {
                    explicitName = value;
                }
            }
        }

        var underlying = type;
        var isNullableValueType = false;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            underlying = nullable.TypeArguments[0];
            isNullableValueType = true;
        }
        var scalar = Classify(underlying);
        var isNullable = isNullableValueType || (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated);

        var unbindable = "";
        if (scalar == ScalarKind.None)
        {
            unbindable = UnbindableReason(type);
        }
        var enumMembers = scalar == ScalarKind.Enum
            ? underlying.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => f.Name).ToEquatableArray()
            : EquatableArray<string>.Empty;

        var syntax = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken);
        var schema = kind == HttpParameterKind.Value
            ? (scalar != ScalarKind.None ? SchemaBuilder.ScalarSchema(scalar, enumMembers, isNullable) : schemas.For(type))
            : TypeSchema.Of(SchemaKind.Any);

        return new HttpParameterInfo(
            parameter.Name,
            type.ToDisplayString(Symbols.AnnotatedTypeFormat),
            type.ToDisplayString(Symbols.TypeFormat),
            type.ToDisplayString(),
            kind,
            source,
            explicitName,
            scalar,
            scalar == ScalarKind.None ? "" : underlying.ToDisplayString(Symbols.TypeFormat),
            type.IsValueType && !isNullableValueType,
            isNullableValueType,
            isNullable,
            unbindable.Length == 0,
            unbindable,
            parameter.RefKind != RefKind.None,
            typeOverride is null && parameter.HasExplicitDefaultValue ? DefaultValue(parameter.ExplicitDefaultValue, underlying, scalar) : null,
            CountMember(type),
            enumMembers,
            ParseValidations(parameter, cancellationToken),
            schema,
            LocationInfo.From(syntax) ?? LocationInfo.From(parameter.Locations.FirstOrDefault()));
    }

    /// <param name="batchResult">For a <c>[Batch]</c> method: TOut, the result of its per-item overload (a <c>ValueTask&lt;TOut&gt;</c>).</param>
    private static HttpReturnInfo ParseReturn(IMethodSymbol method, SchemaBuilder schemas, ITypeSymbol? batchResult = null)
    {
        var display = method.ReturnType.ToDisplayString();
        var any = TypeSchema.Of(SchemaKind.Any);
        if (batchResult is null && (method.ReturnsByRef || method.ReturnsByRefReadonly))
        {
            return new HttpReturnInfo(HttpResultKind.Unsupported, HttpAwaitKind.None, "", "", display, false, false, any);
        }
        if (batchResult is null && method.ReturnsVoid)
        {
            return new HttpReturnInfo(HttpResultKind.Empty, HttpAwaitKind.None, "", "", display, false, false, any);
        }
        var type = batchResult ?? method.ReturnType;
        if (batchResult is null && (WellKnownTypes.Task.Matches(type) || WellKnownTypes.ValueTask.Matches(type)))
        {
            var kind = WellKnownTypes.Task.Matches(type) ? HttpAwaitKind.Task : HttpAwaitKind.ValueTask;
            return new HttpReturnInfo(HttpResultKind.Empty, kind, "", "", display, false, false, any);
        }
        var awaitKind = batchResult is null ? HttpAwaitKind.None : HttpAwaitKind.ValueTask;
        if (batchResult is null && Symbols.TryGetAwaited(type, out var awaited, out var isValueTask))
        {
            awaitKind = isValueTask ? HttpAwaitKind.ValueTask : HttpAwaitKind.Task;
            type = awaited;
        }
        if (type.SpecialType != SpecialType.System_String)
        {
            var stream = type is INamedTypeSymbol named && WellKnownTypes.IAsyncEnumerableOfT.Matches(named.OriginalDefinition)
                ? named
                : type.AllInterfaces.FirstOrDefault(i => WellKnownTypes.IAsyncEnumerableOfT.Matches(i.OriginalDefinition));
            if (stream is not null)
            {
                if (awaitKind != HttpAwaitKind.None)
                {
                    return new HttpReturnInfo(HttpResultKind.Unsupported, awaitKind, "", "", display, false, false, any);
                }
                var element = stream.TypeArguments[0];
                var isText = element.SpecialType == SpecialType.System_String;
                return new HttpReturnInfo(HttpResultKind.Stream, awaitKind, element.ToDisplayString(Symbols.AnnotatedTypeFormat), element.ToDisplayString(Symbols.TypeFormat), display,
                    isText, !SymbolEqualityComparer.Default.Equals(type, stream), isText ? TypeSchema.Of(SchemaKind.String) : schemas.For(element));
            }
        }
        var annotated = type.ToDisplayString(Symbols.AnnotatedTypeFormat);
        var plain = type.ToDisplayString(Symbols.TypeFormat);
        if (type.SpecialType == SpecialType.System_String)
        {
            return new HttpReturnInfo(HttpResultKind.Text, awaitKind, annotated, plain, display, false, false, TypeSchema.Of(SchemaKind.String));
        }
        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
        {
            return new HttpReturnInfo(HttpResultKind.Bytes, awaitKind, annotated, plain, display, false, false, TypeSchema.Of(SchemaKind.String, "binary"));
        }
        if (WellKnownTypes.HttpResult.Matches(type))
        {
            return new HttpReturnInfo(HttpResultKind.Result, awaitKind, annotated, plain, display, false, false, any);
        }
        if (type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer or TypeKind.TypeParameter or TypeKind.Error or TypeKind.Dynamic || type.IsRefLikeType)
        {
            return new HttpReturnInfo(HttpResultKind.Unsupported, awaitKind, annotated, plain, display, false, false, any);
        }
        return new HttpReturnInfo(HttpResultKind.Json, awaitKind, annotated, plain, display, false, false, schemas.For(type));
    }

    /// <summary>The scalar kind of a type read from text (after unwrapping <c>Nullable&lt;T&gt;</c>).</summary>
    public static ScalarKind Classify(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_String: return ScalarKind.String;
            case SpecialType.System_Boolean: return ScalarKind.Boolean;
            case SpecialType.System_Char: return ScalarKind.Char;
            case SpecialType.System_Byte: return ScalarKind.Byte;
            case SpecialType.System_SByte: return ScalarKind.SByte;
            case SpecialType.System_Int16: return ScalarKind.Int16;
            case SpecialType.System_UInt16: return ScalarKind.UInt16;
            case SpecialType.System_Int32: return ScalarKind.Int32;
            case SpecialType.System_UInt32: return ScalarKind.UInt32;
            case SpecialType.System_Int64: return ScalarKind.Int64;
            case SpecialType.System_UInt64: return ScalarKind.UInt64;
            case SpecialType.System_Single: return ScalarKind.Single;
            case SpecialType.System_Double: return ScalarKind.Double;
            case SpecialType.System_Decimal: return ScalarKind.Decimal;
            case SpecialType.System_DateTime: return ScalarKind.DateTime;
        }
        if (type.TypeKind == TypeKind.Enum)
        {
            return ScalarKind.Enum;
        }
        if (WellKnownTypes.Guid.Matches(type))
        {
            return ScalarKind.Guid;
        }
        if (WellKnownTypes.DateTimeOffset.Matches(type))
        {
            return ScalarKind.DateTimeOffset;
        }
        if (WellKnownTypes.TimeSpan.Matches(type))
        {
            return ScalarKind.TimeSpan;
        }
        return ScalarKind.None;
    }

    private static string UnbindableReason(ITypeSymbol type)
    {
        if (type.TypeKind is TypeKind.Error)
        {
            return "its type does not compile";
        }
        if (type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer || type.IsRefLikeType)
        {
            return "pointers and ref structs cannot hold request values";
        }
        if (type.TypeKind == TypeKind.TypeParameter)
        {
            return "a type parameter has no JSON metadata";
        }
        if (type.TypeKind == TypeKind.Dynamic)
        {
            return "'dynamic' has no JSON metadata";
        }
        if (type.TypeKind == TypeKind.Delegate)
        {
            return "a delegate cannot be read from a request";
        }
        if (type.TypeKind == TypeKind.Interface)
        {
            var isCollection = (type is INamedTypeSymbol named && WellKnownTypes.IEnumerableOfT.Matches(named.OriginalDefinition))
                || type.AllInterfaces.Any(i => WellKnownTypes.IEnumerableOfT.Matches(i.OriginalDefinition));
            return isCollection ? "" : "an interface (other than a collection interface) cannot be deserialized; take a concrete class";
        }
        if (type.IsAbstract && type.TypeKind == TypeKind.Class)
        {
            return "an abstract class cannot be deserialized; take a concrete class";
        }
        return "";
    }

    private static string CountMember(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_String || type is IArrayTypeSymbol)
        {
            return "Length";
        }
        bool IsCollection(INamedTypeSymbol i) => WellKnownTypes.ICollectionOfT.Matches(i.OriginalDefinition)
            || WellKnownTypes.IReadOnlyCollectionOfT.Matches(i.OriginalDefinition);
        if ((type is INamedTypeSymbol named && IsCollection(named)) || type.AllInterfaces.Any(IsCollection))
        {
            return "Count";
        }
        return "";
    }

    /// <summary>The C# expression of a parameter's default value.</summary>
    internal static string DefaultValue(object? value, ITypeSymbol type, ScalarKind scalar)
    {
        if (value is null)
        {
            return "default!";
        }
        var typeName = type.ToDisplayString(Symbols.TypeFormat);
        switch (value)
        {
            case string s:
                return SymbolDisplay.FormatLiteral(s, quote: true);
            case bool b:
                return b ? "true" : "false";
            case char c:
                return SymbolDisplay.FormatLiteral(c, quote: true);
            case decimal m:
                return m.ToString(CultureInfo.InvariantCulture) + "m";
            case double d:
                return double.IsNaN(d) ? "double.NaN" : double.IsPositiveInfinity(d) ? "double.PositiveInfinity" : double.IsNegativeInfinity(d) ? "double.NegativeInfinity"
                    : d.ToString("R", CultureInfo.InvariantCulture) + "d";
            case float f:
                return float.IsNaN(f) ? "float.NaN" : float.IsPositiveInfinity(f) ? "float.PositiveInfinity" : float.IsNegativeInfinity(f) ? "float.NegativeInfinity"
                    : f.ToString("R", CultureInfo.InvariantCulture) + "f";
            case IFormattable formattable:
                var text = formattable.ToString(null, CultureInfo.InvariantCulture);
                return scalar == ScalarKind.Int32 ? text : "(" + typeName + ")(" + text + ")";
            default:
                return "default!";
        }
    }

}
