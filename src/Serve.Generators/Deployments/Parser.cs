using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Turns symbols into models: <c>[Deployment]</c> classes and <c>[ApplicationBuilder]</c> members.</summary>
internal static class Parser
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    private static readonly SymbolDisplayFormat s_annotatedTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Methods and constructors in messages: name and parameter types, types without namespaces (<c>Get(ImageData, int)</c>).</summary>
    private static readonly SymbolDisplayFormat s_signatureFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        memberOptions: SymbolDisplayMemberOptions.IncludeParameters,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeParamsRefOut,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Reads a <c>[Deployment]</c> class.</summary>
    public static DeploymentInfo? ParseDeployment(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
        {
            return null;
        }
        var wellKnown = WellKnownTypes.Get(context.SemanticModel.Compilation);

        var containing = new List<ContainingTypeInfo>();
        var isGeneric = type.TypeParameters.Length > 0;
        var isAccessible = IsAccessibleInAssembly(type.DeclaredAccessibility);
        var isPublic = type.DeclaredAccessibility == Accessibility.Public;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingTypeInfo(Keyword(outer), outer.Name, IsPartial(outer)));
            isGeneric |= outer.TypeParameters.Length > 0;
            isAccessible &= IsAccessibleInAssembly(outer.DeclaredAccessibility);
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
        var applicationParameters = new List<ApplicationParameterInfo>();
        EquatableArray<ParameterInfo>? constructorParameters = null;
        if (constructor is not null)
        {
            var parameters = new List<ParameterInfo>();
            foreach (var p in constructor.Parameters)
            {
                var target = HandleTarget(p.Type, wellKnown);
                var marked = ServiceAttribute(p, out var key);
                var service = target is null && (marked || IsHostService(p.Type))
                    ? new ServiceParameterInfo(
                        p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                        p.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_typeFormat),
                        key,
                        p.HasExplicitDefaultValue || (p.Type.IsReferenceType && p.NullableAnnotation == NullableAnnotation.Annotated))
                    : null;
                parameters.Add(new ParameterInfo(EscapeIdentifier(p.Name), p.Type.ToDisplayString(s_annotatedTypeFormat), target?.ToDisplayString(s_typeFormat) ?? "", service));
                if (target is null && service is null && DerivesFrom(p.Type, wellKnown.Application))
                {
                    applicationParameters.Add(new ApplicationParameterInfo(p.Name, p.Type.ToDisplayString(),
                        LocationInfo.From(p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken)) ?? LocationInfo.From(p.Locations.FirstOrDefault())));
                }
                if (target is not null)
                {
                    handleParameters.Add(new HandleParameterInfo(
                        p.Name,
                        target.ToDisplayString(s_typeFormat),
                        target.ToDisplayString(),
                        // An unresolved type is the compiler's error to report, not ours.
                        target.TypeKind == TypeKind.Error || IsDeploymentClass(target, wellKnown),
                        LocationInfo.From(p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken)) ?? LocationInfo.From(p.Locations.FirstOrDefault()),
                        marked));
                }
            }
            constructorParameters = parameters.ToEquatableArray();
        }

        var services = new List<ServiceReference>();
        foreach (var attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, wellKnown.GrpcServiceAttribute)
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is string serviceName)
            {
                services.Add(new ServiceReference(serviceName, AttributeLocation(attribute, cancellationToken)));
            }
        }

        var (jsonContext, namingPolicy) = HttpParser.ParseJsonContext(type, wellKnown, cancellationToken);
        var schemas = new HttpParser.SchemaBuilder(wellKnown, namingPolicy);
        var methods = new List<DeploymentMethodInfo>();
        var signatures = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsImplicitlyDeclared: false } method)
            {
                methods.Add(ParseMethod(method, wellKnown, schemas, declared: true, cancellationToken));
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
                    inherited.Add(ParseMethod(method, wellKnown, schemas, declared: false, cancellationToken));
                }
            }
        }
        var accessorConflict = methods.Any(m => m.Multiplexed is not null) ? FindMemberConflict(type, MultiplexedAccessorName) : null;

        return new DeploymentInfo(
            ns,
            type.Name,
            fullTypeName,
            type.ToDisplayString(s_typeFormat),
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
            services.ToEquatableArray(),
            methods.ToEquatableArray(),
            accessorConflict,
            jsonContext,
            schemas.Components,
            isPublic,
            inherited.ToEquatableArray(),
            handleParameters.ToEquatableArray(),
            applicationParameters.ToEquatableArray(),
            name is null ? null : nameLocation);
    }

    private static bool DerivesFrom(ITypeSymbol type, INamedTypeSymbol? baseType)
    {
        for (var current = type as INamedTypeSymbol; current is not null && baseType is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True for members a compiler synthesized (a record's Equals(T), read from metadata).</summary>
    private static bool IsCompilerGenerated(ISymbol symbol)
        => symbol.GetAttributes().Any(a => a.AttributeClass is { Name: "CompilerGeneratedAttribute" } attribute
            && attribute.ContainingNamespace.ToDisplayString() == "System.Runtime.CompilerServices");

    /// <summary>X when <paramref name="type"/> is <c>Serve.DeploymentHandle&lt;X&gt;</c>; else null.</summary>
    private static ITypeSymbol? HandleTarget(ITypeSymbol type, WellKnownTypes wellKnown)
        => type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
            && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, wellKnown.DeploymentHandleOfT)
            ? named.TypeArguments[0]
            : null;

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
        => type is INamedTypeSymbol named && s_hostServiceTypes.Contains(MetadataFullName(named.OriginalDefinition));

    private static string MetadataFullName(INamedTypeSymbol type)
        => type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + type.MetadataName : type.MetadataName;

    /// <summary>
    /// True for a parameter marked ASP.NET Core's <c>[FromServices]</c> (any attribute implementing
    /// <c>IFromServiceMetadata</c>) or Microsoft.Extensions.DependencyInjection's <c>[FromKeyedServices(key)]</c>, matched
    /// by name; <paramref name="key"/> is the latter's key as C#.
    /// </summary>
    private static bool ServiceAttribute(IParameterSymbol parameter, out string? key)
    {
        key = null;
        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass is not { } attributeClass)
            {
                continue;
            }
            if (MetadataFullName(attributeClass) == "Microsoft.Extensions.DependencyInjection.FromKeyedServicesAttribute")
            {
                key = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].ToCSharpString() : "null";
                return true;
            }
            // As minimal APIs decide: [FromServices] and any other attribute that says it binds from services.
            if (attributeClass.AllInterfaces.Any(i => MetadataFullName(i) == "Microsoft.AspNetCore.Http.Metadata.IFromServiceMetadata"))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsDeploymentClass(ITypeSymbol type, WellKnownTypes wellKnown)
        => type is INamedTypeSymbol { TypeKind: TypeKind.Class }
            && type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, wellKnown.DeploymentAttribute));

    /// <summary>Name, arity and parameter types: what decides whether a derived class's method hides a base class's.</summary>
    private static string Signature(IMethodSymbol method)
        => method.Name + "`" + method.Arity.ToString(System.Globalization.CultureInfo.InvariantCulture) + "("
            + string.Join(",", method.Parameters.Select(p => (p.RefKind == RefKind.None ? "" : "&") + p.Type.ToDisplayString(s_typeFormat))) + ")";

    /// <summary>The name of the model accessor generated for a <c>[Multiplexed]</c> loader.</summary>
    public const string MultiplexedAccessorName = "GetMultiplexedModelAsync";

    /// <summary>A user member of the type, or a non-private one of a base type, named <paramref name="name"/>.</summary>
    private static MemberConflict? FindMemberConflict(INamedTypeSymbol type, string name)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers(name))
            {
                if (member.IsImplicitlyDeclared || (!SymbolEqualityComparer.Default.Equals(current, type) && member.DeclaredAccessibility == Accessibility.Private))
                {
                    continue;
                }
                var kind = member.Kind switch
                {
                    SymbolKind.Method => "method",
                    SymbolKind.Property => "property",
                    SymbolKind.Field => "field",
                    SymbolKind.Event => "event",
                    SymbolKind.NamedType => "nested type",
                    _ => "member",
                };
                var inherited = SymbolEqualityComparer.Default.Equals(current, type) ? "" : " (inherited from '" + current.ToDisplayString() + "')";
                return new MemberConflict(kind + " '" + member.ToDisplayString() + "'" + inherited, LocationInfo.From(member.Locations.FirstOrDefault()));
            }
        }
        return null;
    }

    /// <param name="declared">False for a base class's method: read for handles only (no gRPC or HTTP binding).</param>
    private static DeploymentMethodInfo ParseMethod(IMethodSymbol method, WellKnownTypes wellKnown, HttpParser.SchemaBuilder schemas, bool declared, CancellationToken cancellationToken)
    {
        string? rpcName = null;
        LocationInfo? rpcNameLocation = null;
        foreach (var attribute in method.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, wellKnown.GrpcMethodAttribute)
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is string value)
            {
                rpcName = value;
                rpcNameLocation = AttributeLocation(attribute, cancellationToken);
            }
        }

        MultiplexedInfo? multiplexed = null;
        string? obsoleteMessage = null;
        AttributeData? batchAttribute = null;
        foreach (var attribute in method.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, wellKnown.MultiplexedAttribute))
            {
                multiplexed = ParseMultiplexed(method, attribute, wellKnown, cancellationToken);
            }
            else if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, wellKnown.ObsoleteAttribute))
            {
                obsoleteMessage = attribute.ConstructorArguments.FirstOrDefault().Value as string ?? "";
            }
            else if (declared && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, wellKnown.BatchAttribute))
            {
                batchAttribute = attribute;
            }
        }
        BatchInfo? batch = null;
        HttpParser.BatchSignature? batchSignature = null;
        if (batchAttribute is not null)
        {
            (batch, batchSignature) = ParseBatch(method, batchAttribute, multiplexed is not null, wellKnown, cancellationToken);
        }

        var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as MethodDeclarationSyntax;
        var parameters = method.Parameters.Select(p => new MethodParameterInfo(
            p.Name,
            p.Type.ToDisplayString(s_typeFormat),
            p.Type.ToDisplayString(),
            SymbolEqualityComparer.Default.Equals(p.Type, wellKnown.ServeRequestContext) ? ParameterKind.Context
                : SymbolEqualityComparer.Default.Equals(p.Type, wellKnown.CancellationToken) ? ParameterKind.CancellationToken
                : SymbolEqualityComparer.Default.Equals(p.Type, wellKnown.GrpcContext) ? ParameterKind.GrpcContext
                : ParameterKind.Other,
            p.RefKind != RefKind.None,
            LocationInfo.From(p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken)) ?? LocationInfo.From(p.Locations.FirstOrDefault()),
            p.Type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
                && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, wellKnown.IAsyncEnumerableOfT)
                ? named.TypeArguments[0].ToDisplayString(s_typeFormat)
                : "",
            p.Type.ToDisplayString(s_annotatedTypeFormat),
            p.HasExplicitDefaultValue ? DefaultValue(p) : null,
            CanBeTypeArgument(p.Type)))
            .ToEquatableArray();

        var returnInfo = ClassifyReturn(method.ReturnType, method.ReturnsVoid, wellKnown);
        if (batchSignature is { } perItem)
        {
            // Everything else (gRPC, HTTP, handles) sees the per-item overload the emitter adds:
            // ValueTask<TOut> M(TIn item, CancellationToken cancellationToken).
            parameters = new EquatableArray<MethodParameterInfo>(new[]
            {
                parameters[0] with
                {
                    Type = perItem.Item.ToDisplayString(s_typeFormat),
                    Display = perItem.Item.ToDisplayString(),
                    Kind = ParameterKind.Other,
                    AsyncStreamElement = "",
                    AnnotatedType = perItem.Item.ToDisplayString(s_annotatedTypeFormat),
                    DefaultValue = null,
                    CanBeTypeArgument = CanBeTypeArgument(perItem.Item),
                },
                new MethodParameterInfo(perItem.TokenName, "global::System.Threading.CancellationToken", "System.Threading.CancellationToken", ParameterKind.CancellationToken,
                    false, null, "", "global::System.Threading.CancellationToken", null, true),
            });
            var result = perItem.Result.ToDisplayString(s_annotatedTypeFormat);
            returnInfo = new ReturnInfo(ReturnKind.ValueTask, perItem.Result.ToDisplayString(s_typeFormat), method.ReturnType.ToDisplayString(), false,
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
            IsAccessibleInAssembly(method.DeclaredAccessibility),
            returnInfo,
            parameters,
            multiplexed,
            declared ? HttpParser.ParseMethod(method, wellKnown, schemas, cancellationToken, batchSignature) : null,
            method.DeclaredAccessibility == Accessibility.Public,
            overridesObjectMember,
            Cref(method),
            obsoleteMessage,
            IsLifecycleHook(method, wellKnown),
            batch,
            method.ToDisplayString(s_signatureFormat));
    }

    /// <summary>
    /// Reads a <c>[Batch]</c> method: its settings, and whether its signature is
    /// <c>[Task|ValueTask&lt;]list of TOut[&gt;] M(IReadOnlyList&lt;TIn&gt; items[, CancellationToken])</c>. The signature
    /// (symbols, for parsing only) is returned when the method is valid.
    /// </summary>
    private static (BatchInfo Info, HttpParser.BatchSignature? Signature) ParseBatch(IMethodSymbol method, AttributeData attribute, bool isMultiplexed, WellKnownTypes wellKnown, CancellationToken cancellationToken)
    {
        int Default(string name, int fallback)
            => attribute.AttributeClass?.GetMembers(name).OfType<IFieldSymbol>().FirstOrDefault() is { HasConstantValue: true, ConstantValue: int value } ? value : fallback;
        var size = Default("DefaultMaxBatchSize", 10);
        var concurrent = Default("DefaultMaxConcurrentBatches", 1);
        var timeout = attribute.AttributeClass?.GetMembers("DefaultBatchWaitTimeoutS").OfType<IFieldSymbol>().FirstOrDefault() is { HasConstantValue: true, ConstantValue: double defaultTimeout }
            ? defaultTimeout
            : 0.01;
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var attributeLocation = LocationInfo.From(syntax);
        LocationInfo? ArgumentLocation(string name)
            => LocationInfo.From(syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)) ?? attributeLocation;
        LocationInfo? sizeLocation = attributeLocation, timeoutLocation = attributeLocation, concurrentLocation = attributeLocation;
        foreach (var argument in attribute.NamedArguments)
        {
            switch (argument.Key)
            {
                case "MaxBatchSize" when argument.Value.Value is int value:
                    size = value;
                    sizeLocation = ArgumentLocation(argument.Key);
                    break;
                case "BatchWaitTimeoutS" when argument.Value.Value is double value:
                    timeout = value;
                    timeoutLocation = ArgumentLocation(argument.Key);
                    break;
                case "MaxConcurrentBatches" when argument.Value.Value is int value:
                    concurrent = value;
                    concurrentLocation = ArgumentLocation(argument.Key);
                    break;
            }
        }

        var problems = new List<string>();
        if (method.IsStatic)
        {
            problems.Add("is static; batches run on the replica's instance");
        }
        if (method.IsGenericMethod)
        {
            problems.Add("is generic");
        }
        if (isMultiplexed)
        {
            problems.Add("is also [Multiplexed]; a model loader cannot be batched");
        }

        ITypeSymbol? item = null;
        var takesToken = false;
        var parameters = method.Parameters;
        if (parameters.Length == 0)
        {
            problems.Add("takes no parameters");
        }
        else
        {
            var first = parameters[0];
            if (first.Type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } list
                && SymbolEqualityComparer.Default.Equals(list.OriginalDefinition, wellKnown.IReadOnlyListOfT))
            {
                item = list.TypeArguments[0];
            }
            else
            {
                var element = first.Type is IArrayTypeSymbol array ? array.ElementType
                    : first.Type.AllInterfaces.FirstOrDefault(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, wellKnown.IEnumerableOfT))?.TypeArguments[0];
                problems.Add(element is not null && first.Type.SpecialType != SpecialType.System_String
                    ? "takes '" + first.Type.ToDisplayString() + "'; declare the parameter as IReadOnlyList<" + element.ToDisplayString() + ">"
                    : "takes '" + first.Type.ToDisplayString() + "' first, not a list of items (IReadOnlyList<TIn>)");
            }
            if (first.RefKind != RefKind.None)
            {
                problems.Add("takes its list by reference (ref, out or in)");
            }
            for (var i = 1; i < parameters.Length; i++)
            {
                var parameter = parameters[i];
                if (i == 1 && parameter.RefKind == RefKind.None && SymbolEqualityComparer.Default.Equals(parameter.Type, wellKnown.CancellationToken))
                {
                    takesToken = true;
                    continue;
                }
                problems.Add("takes parameter '" + parameter.Name + "' of type '" + parameter.Type.ToDisplayString() + "' after its list; only a CancellationToken may follow it"
                    + (SymbolEqualityComparer.Default.Equals(parameter.Type, wellKnown.ServeRequestContext) ? " (ServeRequestContext.Current is the batch's own context)" : ""));
            }
        }

        ITypeSymbol? result = null;
        var resultKind = BatchResultKind.Value;
        var exactList = false;
        var returnType = method.ReturnType;
        if (method.ReturnsVoid || SymbolEqualityComparer.Default.Equals(returnType, wellKnown.Task) || SymbolEqualityComparer.Default.Equals(returnType, wellKnown.ValueTask))
        {
            problems.Add("returns no results; it must return one result per item");
        }
        else if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            problems.Add("returns by reference");
        }
        else
        {
            var awaited = returnType;
            if (returnType is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } task)
            {
                if (SymbolEqualityComparer.Default.Equals(task.OriginalDefinition, wellKnown.TaskOfT))
                {
                    resultKind = BatchResultKind.Task;
                    awaited = task.TypeArguments[0];
                }
                else if (SymbolEqualityComparer.Default.Equals(task.OriginalDefinition, wellKnown.ValueTaskOfT))
                {
                    resultKind = BatchResultKind.ValueTask;
                    awaited = task.TypeArguments[0];
                }
            }
            var isAsyncStream = (awaited is INamedTypeSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, wellKnown.IAsyncEnumerableOfT))
                || awaited.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, wellKnown.IAsyncEnumerableOfT));
            var isIterator = awaited is INamedTypeSymbol enumerable && SymbolEqualityComparer.Default.Equals(enumerable.OriginalDefinition, wellKnown.IEnumerableOfT);
            if (isAsyncStream || isIterator)
            {
                problems.Add("returns a stream ('" + returnType.ToDisplayString() + "'): batched streaming methods (Ray Serve's batched generators) are not supported yet; return the list of results");
            }
            else if (awaited is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } readOnlyList
                && SymbolEqualityComparer.Default.Equals(readOnlyList.OriginalDefinition, wellKnown.IReadOnlyListOfT))
            {
                result = readOnlyList.TypeArguments[0];
                exactList = true;
            }
            else
            {
                var lists = awaited.AllInterfaces.Where(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, wellKnown.IReadOnlyListOfT)).ToList();
                if (lists.Count == 1 && awaited.TypeKind != TypeKind.TypeParameter)
                {
                    result = lists[0].TypeArguments[0];
                }
                else
                {
                    problems.Add("returns '" + returnType.ToDisplayString() + "', not a list of results");
                }
            }
        }

        var listName = parameters.Length > 0 ? parameters[0].Name : "items";
        var tokenName = listName == "cancellationToken" ? "ct" : "cancellationToken";
        var canEmit = item is not null && result is not null && !method.IsStatic && !method.IsGenericMethod
            && item.TypeKind != TypeKind.Error && result.TypeKind != TypeKind.Error;
        if (item is not null && canEmit && FindPerItemConflict(method, item, wellKnown) is { } conflict)
        {
            problems.Add("cannot get its per-item overload '" + method.Name + "(" + item.ToDisplayString() + ", CancellationToken)': the class already has " + conflict + "; rename one of them");
            canEmit = false;
        }

        var info = new BatchInfo(
            size,
            sizeLocation,
            timeout,
            timeoutLocation,
            concurrent,
            concurrentLocation,
            problems.ToEquatableArray(),
            item?.ToDisplayString(s_annotatedTypeFormat) ?? "",
            item?.ToDisplayString() ?? "TIn",
            result?.ToDisplayString(s_annotatedTypeFormat) ?? "",
            result?.ToDisplayString() ?? "TOut",
            resultKind,
            exactList,
            takesToken,
            EscapeIdentifier(listName),
            tokenName,
            AccessibilityText(method.DeclaredAccessibility),
            canEmit);
        return (info, problems.Count == 0 ? new HttpParser.BatchSignature(item!, result!, tokenName) : null);
    }

    /// <summary>A method of the class, or a non-private one of a base class, with the per-item overload's signature <c>M(TIn, CancellationToken)</c>.</summary>
    private static string? FindPerItemConflict(IMethodSymbol method, ITypeSymbol item, WellKnownTypes wellKnown)
    {
        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers(method.Name).OfType<IMethodSymbol>())
            {
                if (member.Parameters.Length == 2
                    && member.Arity == 0
                    && (SymbolEqualityComparer.Default.Equals(type, method.ContainingType) || member.DeclaredAccessibility != Accessibility.Private)
                    && SymbolEqualityComparer.Default.Equals(member.Parameters[0].Type, item)
                    && SymbolEqualityComparer.Default.Equals(member.Parameters[1].Type, wellKnown.CancellationToken))
                {
                    var inherited = SymbolEqualityComparer.Default.Equals(type, method.ContainingType) ? "" : " (inherited from '" + type.ToDisplayString() + "')";
                    return "'" + member.ToDisplayString() + "'" + inherited;
                }
            }
        }
        return null;
    }

    private static string AccessibilityText(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };

    private static bool IsLifecycleHook(IMethodSymbol method, WellKnownTypes wellKnown)
    {
        if (method.Name is "Dispose" or "DisposeAsync")
        {
            return true;
        }
        if (method.Name != "ReconfigureAsync" || wellKnown.IReconfigurable is null)
        {
            return false;
        }
        return wellKnown.IReconfigurable.GetMembers("ReconfigureAsync").Any(member =>
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
    private static bool CanBeTypeArgument(ITypeSymbol type) => type switch
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
        return container + "." + EscapeIdentifier(method.Name) + typeParameters + "(" + string.Join(", ", parameters) + ")";
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
                    return named.ToDisplayString(s_typeFormat);
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
                    return prefix + EscapeIdentifier(named.Name);
                }
                var arguments = named.TypeArguments.Select(CrefType).ToList();
                return arguments.Any(a => a is null) ? null : prefix + EscapeIdentifier(named.Name) + "{" + string.Join(", ", arguments) + "}";
            default:
                return null;
        }
    }

    private static MultiplexedInfo ParseMultiplexed(IMethodSymbol method, AttributeData attribute, WellKnownTypes wellKnown, CancellationToken cancellationToken)
    {
        var max = attribute.AttributeClass?.GetMembers("DefaultMaxModelsPerReplica").OfType<IFieldSymbol>().FirstOrDefault() is { HasConstantValue: true, ConstantValue: int defaultMax }
            ? defaultMax
            : 3;
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var location = LocationInfo.From(syntax);
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "MaxModelsPerReplica" && argument.Value.Value is int value)
            {
                max = value;
                var argumentSyntax = syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "MaxModelsPerReplica");
                location = LocationInfo.From(argumentSyntax) ?? location;
            }
        }

        var type = method.ReturnType;
        var kind = LoaderReturnKind.Value;
        if (method.ReturnsVoid || method.ReturnsByRef || method.ReturnsByRefReadonly
            || SymbolEqualityComparer.Default.Equals(type, wellKnown.Task) || SymbolEqualityComparer.Default.Equals(type, wellKnown.ValueTask))
        {
            kind = LoaderReturnKind.Invalid;
        }
        else if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named)
        {
            if (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, wellKnown.TaskOfT))
            {
                kind = LoaderReturnKind.Task;
                type = named.TypeArguments[0];
            }
            else if (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, wellKnown.ValueTaskOfT))
            {
                kind = LoaderReturnKind.ValueTask;
                type = named.TypeArguments[0];
            }
        }
        return kind == LoaderReturnKind.Invalid
            ? new MultiplexedInfo(max, location, kind, "", "")
            : new MultiplexedInfo(max, location, kind, type.ToDisplayString(s_annotatedTypeFormat), type.ToDisplayString());
    }

    /// <summary>
    /// Reads a <c>[Multiplexed]</c> method: null when its type is a deployment (the deployment's parser reads it),
    /// else the diagnostic saying the attribute has no effect there.
    /// </summary>
    public static DiagnosticInfo? ParseStrayMultiplexed(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || method.ContainingType is not { } type)
        {
            return null;
        }
        var deploymentAttribute = WellKnownTypes.Get(context.SemanticModel.Compilation).DeploymentAttribute;
        if (type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, deploymentAttribute)))
        {
            return null;
        }
        cancellationToken.ThrowIfCancellationRequested();
        return DiagnosticInfo.Create(DiagnosticDescriptors.MultiplexedOutsideDeployment,
            MemberLocation(context.TargetNode), method.Name, type.ToDisplayString());
    }

    /// <summary>
    /// Reads a <c>[Batch]</c> method: null when its type is a deployment (the deployment's parser reads it),
    /// else the diagnostic saying the attribute has no effect there.
    /// </summary>
    public static DiagnosticInfo? ParseStrayBatch(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || method.ContainingType is not { } type)
        {
            return null;
        }
        var deploymentAttribute = WellKnownTypes.Get(context.SemanticModel.Compilation).DeploymentAttribute;
        if (type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, deploymentAttribute)))
        {
            return null;
        }
        cancellationToken.ThrowIfCancellationRequested();
        return DiagnosticInfo.Create(DiagnosticDescriptors.BatchOutsideDeployment,
            MemberLocation(context.TargetNode), method.Name, type.ToDisplayString());
    }

    private static ReturnInfo ClassifyReturn(ITypeSymbol type, bool returnsVoid, WellKnownTypes wellKnown)
    {
        var display = type.ToDisplayString();
        if (returnsVoid)
        {
            return new ReturnInfo(ReturnKind.Void, "", display, false, "", "", true);
        }
        var annotatedType = type.ToDisplayString(s_annotatedTypeFormat);
        if (SymbolEqualityComparer.Default.Equals(type, wellKnown.Task))
        {
            return new ReturnInfo(ReturnKind.NonGenericTask, "", display, false, annotatedType, "", true);
        }
        if (SymbolEqualityComparer.Default.Equals(type, wellKnown.ValueTask))
        {
            return new ReturnInfo(ReturnKind.NonGenericValueTask, "", display, false, annotatedType, "", true);
        }
        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named)
        {
            var definition = named.OriginalDefinition;
            var argument = named.TypeArguments[0];
            var element = argument.ToDisplayString(s_typeFormat);
            var annotated = argument.ToDisplayString(s_annotatedTypeFormat);
            if (SymbolEqualityComparer.Default.Equals(definition, wellKnown.TaskOfT))
            {
                return new ReturnInfo(ReturnKind.Task, element, display, false, annotatedType, annotated, true);
            }
            if (SymbolEqualityComparer.Default.Equals(definition, wellKnown.ValueTaskOfT))
            {
                return new ReturnInfo(ReturnKind.ValueTask, element, display, false, annotatedType, annotated, true);
            }
            if (SymbolEqualityComparer.Default.Equals(definition, wellKnown.IAsyncEnumerableOfT))
            {
                return new ReturnInfo(ReturnKind.AsyncEnumerable, element, display, true, annotatedType, annotated, true);
            }
            if (SymbolEqualityComparer.Default.Equals(definition, wellKnown.IEnumerableOfT))
            {
                return new ReturnInfo(ReturnKind.Enumerable, element, display, true, annotatedType, annotated, true);
            }
        }
        if (type.SpecialType != SpecialType.System_String)
        {
            foreach (var candidate in new[] { wellKnown.IAsyncEnumerableOfT, wellKnown.IEnumerableOfT })
            {
                var implemented = type.AllInterfaces.FirstOrDefault(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, candidate));
                if (implemented is not null)
                {
                    var kind = SymbolEqualityComparer.Default.Equals(candidate, wellKnown.IEnumerableOfT) ? ReturnKind.Enumerable : ReturnKind.AsyncEnumerable;
                    return new ReturnInfo(kind, implemented.TypeArguments[0].ToDisplayString(s_typeFormat), display, false,
                        annotatedType, implemented.TypeArguments[0].ToDisplayString(s_annotatedTypeFormat), CanBeTypeArgument(type));
                }
            }
        }
        return new ReturnInfo(ReturnKind.Value, type.ToDisplayString(s_typeFormat), display, false, annotatedType, annotatedType, CanBeTypeArgument(type));
    }

    /// <summary>Reads an <c>[ApplicationBuilder]</c> member.</summary>
    public static ApplicationBuilderModel? ParseApplicationBuilder(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var member = context.TargetSymbol;
        var type = member.ContainingType;
        if (type is null)
        {
            return null;
        }
        var wellKnown = WellKnownTypes.Get(context.SemanticModel.Compilation);
        var typeNames = new List<string>();
        var typeOk = true;
        for (var t = type; t is not null; t = t.ContainingType)
        {
            typeNames.Insert(0, t.Name);
            typeOk &= t.TypeParameters.Length == 0 && IsAccessibleInAssembly(t.DeclaredAccessibility);
        }
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        var importPath = (ns.Length == 0 ? "" : ns + ".") + string.Join(".", typeNames) + ":" + member.Name;
        var target = type.ToDisplayString(s_typeFormat) + "." + EscapeIdentifier(member.Name);

        string? problem = null;
        string expression = "";
        ITypeSymbol? returnType = member switch
        {
            IMethodSymbol m => m.ReturnType,
            IPropertySymbol p => p.Type,
            _ => null,
        };
        if (!member.IsStatic)
        {
            problem = "is not static";
        }
        else if (!typeOk)
        {
            problem = "is declared in a generic, private or protected type";
        }
        else if (!IsAccessibleInAssembly(member.DeclaredAccessibility))
        {
            problem = "is private or protected";
        }
        else if (!IsApplication(returnType, wellKnown))
        {
            problem = "does not return Serve.Application";
        }
        else if (member is IMethodSymbol method)
        {
            if (method.IsGenericMethod)
            {
                problem = "is generic";
            }
            else if (method.Parameters.Length == 0)
            {
                expression = target + "()";
            }
            else if (method.Parameters.Length == 1 && method.Parameters[0].RefKind == RefKind.None
                && SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, wellKnown.ApplicationArgs))
            {
                expression = target + "(args)";
            }
            else
            {
                problem = "has parameters other than one Serve.ApplicationArgs";
            }
        }
        else if (member is IPropertySymbol property)
        {
            if (property.GetMethod is null || !IsAccessibleInAssembly(property.GetMethod.DeclaredAccessibility) || property.IsIndexer)
            {
                problem = "has no public or internal getter";
            }
            else
            {
                expression = target;
            }
        }

        var diagnostics = problem is null
            ? EquatableArray<DiagnosticInfo>.Empty
            : new EquatableArray<DiagnosticInfo>(new[]
            {
                DiagnosticInfo.Create(DiagnosticDescriptors.InvalidApplicationBuilder, MemberLocation(context.TargetNode), importPath, problem),
            });
        return new ApplicationBuilderModel(importPath, problem is null ? expression : "", diagnostics);
    }

    /// <summary>True for <c>Serve.Application</c> and the types deriving from it (<c>Application&lt;TDeployment&gt;</c>, what Bind returns).</summary>
    private static bool IsApplication(ITypeSymbol? type, WellKnownTypes wellKnown)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, wellKnown.Application))
            {
                return true;
            }
        }
        return false;
    }

    private static LocationInfo? MemberLocation(SyntaxNode node) => node switch
    {
        MethodDeclarationSyntax m => LocationInfo.From(m.Identifier.GetLocation()),
        PropertyDeclarationSyntax p => LocationInfo.From(p.Identifier.GetLocation()),
        _ => LocationInfo.From(node),
    };

    private static LocationInfo? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax syntax)
        {
            var argument = syntax.ArgumentList?.Arguments.FirstOrDefault();
            return LocationInfo.From((SyntaxNode?)argument ?? syntax);
        }
        return null;
    }

    private static bool IsAccessibleInAssembly(Accessibility accessibility)
        => accessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

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

    public static string EscapeIdentifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
