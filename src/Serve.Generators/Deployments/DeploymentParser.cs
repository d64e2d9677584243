using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Turns a <c>[Deployment]</c> class into its model: the class, its constructor and its methods, each feature's attributes read by that feature's parser.</summary>
internal static class DeploymentParser
{
    /// <summary>Methods and constructors in messages: name and parameter types, types without namespaces (<c>Get(ImageData, int)</c>).</summary>
    private static readonly SymbolDisplayFormat s_signatureFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        memberOptions: SymbolDisplayMemberOptions.IncludeParameters,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeParamsRefOut,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Reads a <c>[Deployment]</c> class.</summary>
    public static DeploymentInfo? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
        {
            return null;
        }

        var containing = new List<ContainingTypeInfo>();
        var isGeneric = type.TypeParameters.Length > 0;
        var isAccessible = Symbols.IsAccessibleInAssembly(type.DeclaredAccessibility);
        var isPublic = type.DeclaredAccessibility == Accessibility.Public;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingTypeInfo(Keyword(outer), outer.Name, IsPartial(outer)));
            isGeneric |= outer.TypeParameters.Length > 0;
            isAccessible &= Symbols.IsAccessibleInAssembly(outer.DeclaredAccessibility);
            isPublic &= outer.DeclaredAccessibility == Accessibility.Public;
        }
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        var fullTypeName = string.Join(".", new[] { ns }.Where(s => s.Length > 0).Concat(containing.Select(c => c.Name)).Concat(new[] { type.Name }));

        string? name = null;
        LocationInfo? nameLocation = null;
        int? numReplicas = null, maxOngoing = null, maxQueued = null;
        foreach (var attribute in context.Attributes)
        {
            foreach (var argument in attribute.NamedArguments)
            {
                switch (argument.Key)
                {
                    case "Name":
                        name = argument.Value.Value as string;
                        nameLocation = LocationInfo.From((attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments
                            .FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Name"));
                        break;
                    case "NumReplicas":
                        numReplicas = argument.Value.Value as int?;
                        break;
                    case "MaxOngoingRequests":
                        maxOngoing = argument.Value.Value as int?;
                        break;
                    case "MaxQueuedRequests":
                        maxQueued = argument.Value.Value as int?;
                        break;
                }
            }
        }

        var publicConstructors = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
        var constructor = publicConstructors.FirstOrDefault();
        var handleParameters = new List<HandleParameterInfo>();
        string? byRefParameter = null;
        var applicationParameters = new List<ApplicationParameterInfo>();
        EquatableArray<ParameterInfo>? constructorParameters = null;
        if (constructor is not null)
        {
            var parameters = new List<ParameterInfo>();
            foreach (var p in constructor.Parameters)
            {
                var target = HandleParser.HandleTarget(p.Type);
                var marked = ServiceAttribute(p, out var key, out var keyDisplay);
                if (p.RefKind is RefKind.Ref or RefKind.Out)
                {
                    byRefParameter ??= p.Name;
                }
                var service = target is null && (marked || IsHostService(p.Type))
                    ? new ServiceParameterInfo(
                        p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                        p.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(Symbols.TypeFormat),
                        key,
                        keyDisplay,
                        p.HasExplicitDefaultValue
                            || p.Type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T
                            || (p.Type.IsReferenceType && p.NullableAnnotation == NullableAnnotation.Annotated),
                        p.HasExplicitDefaultValue && p.ExplicitDefaultValue is not null ? DefaultValue(p) : null,
                        // ILogger itself is no registered service: like ILogger<T>, it is the factory's logger for the class.
                        key is null && p.Type is INamedTypeSymbol named && Symbols.MetadataFullName(named.OriginalDefinition) == "Microsoft.Extensions.Logging.ILogger"
                            ? type.ToDisplayString()
                            : null)
                    : null;
                parameters.Add(new ParameterInfo(Symbols.EscapeIdentifier(p.Name), p.Type.ToDisplayString(Symbols.AnnotatedTypeFormat), target?.ToDisplayString(Symbols.TypeFormat) ?? "", service));
                if (target is null && service is null && HandleParser.ParseApplicationParameter(p, cancellationToken) is { } application)
                {
                    applicationParameters.Add(application);
                }
                if (target is not null)
                {
                    handleParameters.Add(HandleParser.ParseHandleParameter(p, target, marked, cancellationToken));
                }
            }
            constructorParameters = parameters.ToEquatableArray();
        }

        var services = GrpcParser.ParseServices(type, cancellationToken);

        var (jsonContext, namingPolicy) = HttpParser.ParseJsonContext(type, cancellationToken);
        var schemas = new SchemaBuilder(namingPolicy);
        var methods = new List<DeploymentMethodInfo>();
        var signatures = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsImplicitlyDeclared: false } method)
            {
                methods.Add(ParseMethod(method, schemas, declared: true, cancellationToken));
                signatures.Add(Signature(method));
            }
        }

        // Handles also call public methods of base classes, unless the class overrides or hides them.
        var inherited = new List<DeploymentMethodInfo>();
        for (var baseType = type.BaseType; baseType is not null && baseType.SpecialType != SpecialType.System_Object; baseType = baseType.BaseType)
        {
            foreach (var member in baseType.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsImplicitlyDeclared: false, IsStatic: false, CanBeReferencedByName: true } method
                    && signatures.Add(Signature(method))
                    && method.DeclaredAccessibility == Accessibility.Public
                    && !IsCompilerGenerated(method))
                {
                    inherited.Add(ParseMethod(method, schemas, declared: false, cancellationToken));
                }
            }
        }
        var accessorConflict = methods.Any(m => m.Multiplexed is not null) ? MultiplexingParser.FindAccessorConflict(type) : null;

        return new DeploymentInfo(
            ns,
            type.Name,
            fullTypeName,
            type.ToDisplayString(Symbols.TypeFormat),
            Keyword(type),
            containing.ToEquatableArray(),
            declaration.Modifiers.Any(SyntaxKind.PartialKeyword) && IsPartial(type),
            isGeneric,
            type.IsAbstract,
            type.IsStatic,
            isAccessible,
            LocationInfo.From(declaration.Identifier.GetLocation()),
            name ?? type.Name,
            name is not null,
            numReplicas,
            maxOngoing,
            maxQueued,
            constructorParameters,
            publicConstructors.Select(c => c.ToDisplayString(s_signatureFormat)).ToEquatableArray(),
            services,
            methods.ToEquatableArray(),
            accessorConflict,
            jsonContext,
            schemas.Components,
            isPublic,
            inherited.ToEquatableArray(),
            handleParameters.ToEquatableArray(),
            applicationParameters.ToEquatableArray(),
            name is null ? null : nameLocation,
            byRefParameter);
    }

    /// <summary>True for members a compiler synthesized (a record's Equals(T), read from metadata).</summary>
    private static bool IsCompilerGenerated(ISymbol symbol)
        => symbol.GetAttributes().Any(a => a.AttributeClass is { Name: "CompilerGeneratedAttribute" } attribute
            && attribute.ContainingNamespace.ToDisplayString() == "System.Runtime.CompilerServices");

    /// <summary>
    /// Types every .NET host registers (or that ASP.NET Core users expect to inject without ceremony): a constructor
    /// parameter of one of them is resolved from the replica's services rather than bound. Matched by name, so the
    /// generator needs no reference to the assemblies that define them.
    /// </summary>
    private static readonly HashSet<string> s_hostServiceTypes = new(StringComparer.Ordinal)
    {
        "Microsoft.Extensions.Logging.ILogger`1",
        "Microsoft.Extensions.Logging.ILogger",
        "Microsoft.Extensions.Logging.ILoggerFactory",
        "Microsoft.Extensions.Options.IOptions`1",
        "Microsoft.Extensions.Options.IOptionsMonitor`1",
        "Microsoft.Extensions.Options.IOptionsSnapshot`1",
        "Microsoft.Extensions.Configuration.IConfiguration",
        "Microsoft.Extensions.Hosting.IHostEnvironment",
        "Microsoft.Extensions.Hosting.IHostApplicationLifetime",
        "Microsoft.Extensions.DependencyInjection.IServiceScopeFactory",
        "System.Net.Http.IHttpClientFactory",
        "System.Diagnostics.Metrics.IMeterFactory",
        "System.TimeProvider",
        "System.IServiceProvider",
    };

    private static bool IsHostService(ITypeSymbol type)
        => type is INamedTypeSymbol named && s_hostServiceTypes.Contains(Symbols.MetadataFullName(named.OriginalDefinition));

    /// <summary>
    /// True for a parameter marked ASP.NET Core's <c>[FromServices]</c> (any attribute implementing
    /// <c>IFromServiceMetadata</c>) or Microsoft.Extensions.DependencyInjection's <c>[FromKeyedServices(key)]</c>, matched
    /// by name; <paramref name="key"/> is the latter's key as C#.
    /// </summary>
    private static bool ServiceAttribute(IParameterSymbol parameter, out string? key, out string? keyDisplay)
    {
        key = null;
        keyDisplay = null;
        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass is not { } attributeClass)
            {
                continue;
            }
            if (Symbols.MetadataFullName(attributeClass) == "Microsoft.Extensions.DependencyInjection.FromKeyedServicesAttribute")
            {
                key = attribute.ConstructorArguments.Length == 1 ? KeyExpression(attribute.ConstructorArguments[0]) : "null";
                keyDisplay = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].ToCSharpString() : "null";
                return true;
            }
            // As minimal APIs decide: [FromServices] and any other attribute that says it binds from services.
            if (attributeClass.AllInterfaces.Any(i => Symbols.MetadataFullName(i) == "Microsoft.AspNetCore.Http.Metadata.IFromServiceMetadata"))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A service key as C# that means the same inside the generated class, whatever the user's usings.</summary>
    private static string KeyExpression(TypedConstant key) => key switch
    {
        // An enum member by its value, cast to the global:: type: its name could be shadowed where the factory is.
        { Kind: TypedConstantKind.Enum, Type: { } enumType, Value: { } value }
            => "(" + enumType.ToDisplayString(Symbols.TypeFormat) + ")(" + Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) + ")",
        { Kind: TypedConstantKind.Type, Value: ITypeSymbol type } => "typeof(" + type.ToDisplayString(Symbols.TypeFormat) + ")",
        _ => key.ToCSharpString(),
    };

    /// <summary>Name, arity and parameter types: what decides whether a derived class's method hides a base class's.</summary>
    private static string Signature(IMethodSymbol method)
        => method.Name + "`" + method.Arity.ToString(System.Globalization.CultureInfo.InvariantCulture) + "("
            + string.Join(",", method.Parameters.Select(p => (p.RefKind == RefKind.None ? "" : "&") + p.Type.ToDisplayString(Symbols.TypeFormat))) + ")";

    /// <param name="declared">False for a base class's method: read for handles only (no gRPC or HTTP binding).</param>
    private static DeploymentMethodInfo ParseMethod(IMethodSymbol method, SchemaBuilder schemas, bool declared, CancellationToken cancellationToken)
    {
        var (rpcName, rpcNameLocation) = GrpcParser.ParseRpcName(method, cancellationToken);

        MultiplexedInfo? multiplexed = null;
        string? obsoleteMessage = null;
        AttributeData? batchAttribute = null;
        var healthCheck = false;
        foreach (var attribute in method.GetAttributes())
        {
            if (WellKnownTypes.HealthCheckAttribute.Matches(attribute.AttributeClass))
            {
                healthCheck = true;
            }
            else if (WellKnownTypes.MultiplexedAttribute.Matches(attribute.AttributeClass))
            {
                multiplexed = MultiplexingParser.ParseMultiplexed(method, attribute, cancellationToken);
            }
            else if (WellKnownTypes.ObsoleteAttribute.Matches(attribute.AttributeClass))
            {
                obsoleteMessage = attribute.ConstructorArguments.FirstOrDefault().Value as string ?? "";
            }
            else if (declared && WellKnownTypes.BatchAttribute.Matches(attribute.AttributeClass))
            {
                batchAttribute = attribute;
            }
        }
        BatchInfo? batch = null;
        BatchParser.BatchSignature? batchSignature = null;
        if (batchAttribute is not null)
        {
            (batch, batchSignature) = BatchParser.ParseBatch(method, batchAttribute, multiplexed is not null, cancellationToken);
        }

        var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as MethodDeclarationSyntax;
        var parameters = method.Parameters.Select(p => new MethodParameterInfo(
            p.Name,
            p.Type.ToDisplayString(Symbols.TypeFormat),
            p.Type.ToDisplayString(),
            WellKnownTypes.ServeRequestContext.Matches(p.Type) ? ParameterKind.Context
                : WellKnownTypes.CancellationToken.Matches(p.Type) ? ParameterKind.CancellationToken
                : WellKnownTypes.GrpcContext.Matches(p.Type) ? ParameterKind.GrpcContext
                : ParameterKind.Other,
            p.RefKind != RefKind.None,
            LocationInfo.From(p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken)) ?? LocationInfo.From(p.Locations.FirstOrDefault()),
            p.Type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
                && WellKnownTypes.IAsyncEnumerableOfT.Matches(named.OriginalDefinition)
                ? named.TypeArguments[0].ToDisplayString(Symbols.TypeFormat)
                : "",
            p.Type.ToDisplayString(Symbols.AnnotatedTypeFormat),
            p.HasExplicitDefaultValue ? DefaultValue(p) : null,
            CanBeTypeArgument(p.Type)))
            .ToEquatableArray();

        var returnInfo = ClassifyReturn(method.ReturnType, method.ReturnsVoid);
        if (batchSignature is { } perItem)
        {
            // Everything else (gRPC, HTTP, handles) sees the per-item overload the emitter adds:
            // ValueTask<TOut> M(TIn item, CancellationToken cancellationToken).
            parameters = new EquatableArray<MethodParameterInfo>(new[]
            {
                parameters[0] with
                {
                    Type = perItem.Item.ToDisplayString(Symbols.TypeFormat),
                    Display = perItem.Item.ToDisplayString(),
                    Kind = ParameterKind.Other,
                    AsyncStreamElement = "",
                    AnnotatedType = perItem.Item.ToDisplayString(Symbols.AnnotatedTypeFormat),
                    DefaultValue = null,
                    CanBeTypeArgument = CanBeTypeArgument(perItem.Item),
                },
                new MethodParameterInfo(perItem.TokenName, "global::System.Threading.CancellationToken", "System.Threading.CancellationToken", ParameterKind.CancellationToken,
                    false, null, "", "global::System.Threading.CancellationToken", null, true),
            });
            var result = perItem.Result.ToDisplayString(Symbols.AnnotatedTypeFormat);
            returnInfo = new ReturnInfo(ReturnKind.ValueTask, perItem.Result.ToDisplayString(Symbols.TypeFormat), method.ReturnType.ToDisplayString(), false,
                "global::System.Threading.Tasks.ValueTask<" + result + ">", result, CanBeTypeArgument(perItem.Result));
        }

        var overridesObjectMember = false;
        for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            overridesObjectMember = overridden.ContainingType.SpecialType == SpecialType.System_Object;
        }

        return new DeploymentMethodInfo(
            method.Name,
            rpcName,
            rpcNameLocation,
            LocationInfo.From(method.Locations.FirstOrDefault()),
            LocationInfo.From(syntax?.ReturnType) ?? LocationInfo.From(method.Locations.FirstOrDefault()),
            method.IsStatic,
            method.IsGenericMethod,
            Symbols.IsAccessibleInAssembly(method.DeclaredAccessibility),
            returnInfo,
            parameters,
            multiplexed,
            declared ? HttpParser.ParseMethod(method, schemas, cancellationToken, batchSignature) : null,
            method.DeclaredAccessibility == Accessibility.Public,
            overridesObjectMember,
            Cref(method),
            obsoleteMessage,
            IsLifecycleHook(method) || healthCheck || HealthCheckParser.IsNamedCheck(method),
            batch,
            method.ToDisplayString(s_signatureFormat),
            healthCheck);
    }

    private static bool IsLifecycleHook(IMethodSymbol method)
    {
        if (method.Name is "Dispose" or "DisposeAsync")
        {
            return true;
        }
        if (method.Name != "ReconfigureAsync" || method.ContainingType.AllInterfaces.FirstOrDefault(WellKnownTypes.IReconfigurable.Matches) is not { } reconfigurable)
        {
            return false;
        }
        return reconfigurable.GetMembers("ReconfigureAsync").Any(member =>
            SymbolEqualityComparer.Default.Equals(method.ContainingType.FindImplementationForInterfaceMember(member), method));
    }

    /// <summary>A parameter's default value as an expression of its type.</summary>
    private static string DefaultValue(IParameterSymbol parameter)
    {
        var type = parameter.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : parameter.Type;
        return HttpParser.DefaultValue(parameter.ExplicitDefaultValue, type, type.SpecialType == SpecialType.System_Int32 ? ScalarKind.Int32 : ScalarKind.None);
    }

    /// <summary>False for types a generic type argument cannot be: pointers, ref structs, void.</summary>
    public static bool CanBeTypeArgument(ITypeSymbol type) => type switch
    {
        IPointerTypeSymbol or IFunctionPointerTypeSymbol => false,
        IArrayTypeSymbol array => CanBeTypeArgument(array.ElementType),
        _ => !type.IsRefLikeType && type.SpecialType != SpecialType.System_Void,
    };

    /// <summary>The method as a doc-comment <c>cref</c>, e.g. <c>global::Ns.C.M(global::System.Collections.Generic.List{int})</c>; empty when a type cannot be written in one.</summary>
    private static string Cref(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        var container = CrefType(method.ContainingType);
        if (container is null)
        {
            return "";
        }
        var parameters = new List<string>();
        foreach (var parameter in method.Parameters)
        {
            var type = CrefType(parameter.Type);
            if (type is null)
            {
                return "";
            }
            var prefix = parameter.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.Out => "out ",
                RefKind.In => "in ",
                _ => "",
            };
            parameters.Add(prefix + type);
        }
        var typeParameters = method.TypeParameters.Length == 0 ? "" : "{" + string.Join(", ", method.TypeParameters.Select(t => t.Name)) + "}";
        return container + "." + Symbols.EscapeIdentifier(method.Name) + typeParameters + "(" + string.Join(", ", parameters) + ")";
    }

    private static string? CrefType(ITypeSymbol type)
    {
        switch (type)
        {
            case ITypeParameterSymbol parameter:
                return parameter.Name;
            case IArrayTypeSymbol array:
                return CrefType(array.ElementType) is { } element ? element + "[" + new string(',', array.Rank - 1) + "]" : null;
            case IPointerTypeSymbol pointer:
                return CrefType(pointer.PointedAtType) is { } pointed ? pointed + "*" : null;
            case IDynamicTypeSymbol:
                return "object";
            case INamedTypeSymbol named when named.TypeKind != TypeKind.Error:
                named = named.TupleUnderlyingType ?? named;
                if (!named.IsGenericType && named.ContainingType is null)
                {
                    return named.ToDisplayString(Symbols.TypeFormat);
                }
                var prefix = named.ContainingType is { } outer
                    ? CrefType(outer) is { } outerCref ? outerCref + "." : null
                    : named.ContainingNamespace is { IsGlobalNamespace: false } ns ? "global::" + ns.ToDisplayString() + "." : "global::";
                if (prefix is null)
                {
                    return null;
                }
                if (named.TypeArguments.Length == 0)
                {
                    return prefix + Symbols.EscapeIdentifier(named.Name);
                }
                var arguments = named.TypeArguments.Select(CrefType).ToList();
                return arguments.Any(a => a is null) ? null : prefix + Symbols.EscapeIdentifier(named.Name) + "{" + string.Join(", ", arguments) + "}";
            default:
                return null;
        }
    }

    private static ReturnInfo ClassifyReturn(ITypeSymbol type, bool returnsVoid)
    {
        var display = type.ToDisplayString();
        if (returnsVoid)
        {
            return new ReturnInfo(ReturnKind.Void, "", display, false, "", "", true);
        }
        var annotatedType = type.ToDisplayString(Symbols.AnnotatedTypeFormat);
        if (WellKnownTypes.Task.Matches(type))
        {
            return new ReturnInfo(ReturnKind.NonGenericTask, "", display, false, annotatedType, "", true);
        }
        if (WellKnownTypes.ValueTask.Matches(type))
        {
            return new ReturnInfo(ReturnKind.NonGenericValueTask, "", display, false, annotatedType, "", true);
        }
        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named)
        {
            var definition = named.OriginalDefinition;
            var argument = named.TypeArguments[0];
            var element = argument.ToDisplayString(Symbols.TypeFormat);
            var annotated = argument.ToDisplayString(Symbols.AnnotatedTypeFormat);
            if (WellKnownTypes.TaskOfT.Matches(definition))
            {
                return new ReturnInfo(ReturnKind.Task, element, display, false, annotatedType, annotated, true);
            }
            if (WellKnownTypes.ValueTaskOfT.Matches(definition))
            {
                return new ReturnInfo(ReturnKind.ValueTask, element, display, false, annotatedType, annotated, true);
            }
            if (WellKnownTypes.IAsyncEnumerableOfT.Matches(definition))
            {
                return new ReturnInfo(ReturnKind.AsyncEnumerable, element, display, true, annotatedType, annotated, true);
            }
            if (WellKnownTypes.IEnumerableOfT.Matches(definition))
            {
                return new ReturnInfo(ReturnKind.Enumerable, element, display, true, annotatedType, annotated, true);
            }
        }
        if (type.SpecialType != SpecialType.System_String)
        {
            foreach (var candidate in new[] { WellKnownTypes.IAsyncEnumerableOfT, WellKnownTypes.IEnumerableOfT })
            {
                var implemented = type.AllInterfaces.FirstOrDefault(i => candidate.Matches(i.OriginalDefinition));
                if (implemented is not null)
                {
                    var kind = candidate == WellKnownTypes.IEnumerableOfT ? ReturnKind.Enumerable : ReturnKind.AsyncEnumerable;
                    return new ReturnInfo(kind, implemented.TypeArguments[0].ToDisplayString(Symbols.TypeFormat), display, false,
                        annotatedType, implemented.TypeArguments[0].ToDisplayString(Symbols.AnnotatedTypeFormat), CanBeTypeArgument(type));
                }
            }
        }
        return new ReturnInfo(ReturnKind.Value, type.ToDisplayString(Symbols.TypeFormat), display, false, annotatedType, annotatedType, CanBeTypeArgument(type));
    }

    private static bool IsPartial(INamedTypeSymbol type)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return false;
            }
        }
        return true;
    }

    private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
    {
        TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
        TypeKind.Interface => "interface",
        _ => type.IsRecord ? "record" : "class",
    };
}
