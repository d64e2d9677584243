using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Reads <c>[Batch]</c> methods: the attribute's settings and whether the signature takes a list of items and returns a list of results.</summary>
internal static class BatchParser
{
    /// <summary>The per-item view of a valid <c>[Batch]</c> method, while parsing (symbols never reach the model).</summary>
    /// <param name="Item">TIn of the <c>IReadOnlyList&lt;TIn&gt;</c> parameter.</param>
    /// <param name="Result">TOut of the returned list.</param>
    /// <param name="TokenName">The name of the per-item overload's CancellationToken parameter.</param>
    internal readonly struct BatchSignature
    {
        public BatchSignature(ITypeSymbol item, ITypeSymbol result, string tokenName)
        {
            Item = item;
            Result = result;
            TokenName = tokenName;
        }

        public ITypeSymbol Item { get; }

        public ITypeSymbol Result { get; }

        public string TokenName { get; }
    }

    /// <summary>
    /// Reads a <c>[Batch]</c> method: its settings, and whether its signature is
    /// <c>[Task|ValueTask&lt;]list of TOut[&gt;] M(IReadOnlyList&lt;TIn&gt; items[, CancellationToken])</c>. The signature
    /// (symbols, for parsing only) is returned when the method is valid.
    /// </summary>
    public static (BatchInfo Info, BatchSignature? Signature) ParseBatch(IMethodSymbol method, AttributeData attribute, bool isMultiplexed, CancellationToken cancellationToken)
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
                && WellKnownTypes.IReadOnlyListOfT.Matches(list.OriginalDefinition))
            {
                item = list.TypeArguments[0];
            }
            else
            {
                var element = first.Type is IArrayTypeSymbol array ? array.ElementType
                    : first.Type.AllInterfaces.FirstOrDefault(i => WellKnownTypes.IEnumerableOfT.Matches(i.OriginalDefinition))?.TypeArguments[0];
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
                if (i == 1 && parameter.RefKind == RefKind.None && WellKnownTypes.CancellationToken.Matches(parameter.Type))
                {
                    takesToken = true;
                    continue;
                }
                problems.Add("takes parameter '" + parameter.Name + "' of type '" + parameter.Type.ToDisplayString() + "' after its list; only a CancellationToken may follow it"
                    + (WellKnownTypes.ServeRequestContext.Matches(parameter.Type) ? " (ServeRequestContext.Current is the batch's own context)" : ""));
            }
        }

        ITypeSymbol? result = null;
        var resultKind = BatchResultKind.Value;
        var exactList = false;
        var returnType = method.ReturnType;
        if (method.ReturnsVoid || WellKnownTypes.Task.Matches(returnType) || WellKnownTypes.ValueTask.Matches(returnType))
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
            if (Symbols.TryGetAwaited(returnType, out var taskResult, out var isValueTask))
            {
                resultKind = isValueTask ? BatchResultKind.ValueTask : BatchResultKind.Task;
                awaited = taskResult;
            }
            var isAsyncStream = (awaited is INamedTypeSymbol named && WellKnownTypes.IAsyncEnumerableOfT.Matches(named.OriginalDefinition))
                || awaited.AllInterfaces.Any(i => WellKnownTypes.IAsyncEnumerableOfT.Matches(i.OriginalDefinition));
            var isIterator = awaited is INamedTypeSymbol enumerable && WellKnownTypes.IEnumerableOfT.Matches(enumerable.OriginalDefinition);
            if (isAsyncStream || isIterator)
            {
                problems.Add("returns a stream ('" + returnType.ToDisplayString() + "'): batched streaming methods (Ray Serve's batched generators) are not supported yet; return the list of results");
            }
            else if (awaited is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } readOnlyList
                && WellKnownTypes.IReadOnlyListOfT.Matches(readOnlyList.OriginalDefinition))
            {
                result = readOnlyList.TypeArguments[0];
                exactList = true;
            }
            else
            {
                var lists = awaited.AllInterfaces.Where(i => WellKnownTypes.IReadOnlyListOfT.Matches(i.OriginalDefinition)).ToList();
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
        if (item is not null && canEmit && FindPerItemConflict(method, item) is { } conflict)
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
            item?.ToDisplayString(Symbols.AnnotatedTypeFormat) ?? "",
            item?.ToDisplayString() ?? "TIn",
            result?.ToDisplayString(Symbols.AnnotatedTypeFormat) ?? "",
            result?.ToDisplayString() ?? "TOut",
            resultKind,
            exactList,
            takesToken,
            Symbols.EscapeIdentifier(listName),
            tokenName,
            AccessibilityText(method.DeclaredAccessibility),
            canEmit);
        return (info, problems.Count == 0 ? new BatchSignature(item!, result!, tokenName) : null);
    }

    /// <summary>A method of the class, or a non-private one of a base class, with the per-item overload's signature <c>M(TIn, CancellationToken)</c>.</summary>
    private static string? FindPerItemConflict(IMethodSymbol method, ITypeSymbol item)
    {
        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers(method.Name).OfType<IMethodSymbol>())
            {
                if (member.Parameters.Length == 2
                    && member.Arity == 0
                    && (SymbolEqualityComparer.Default.Equals(type, method.ContainingType) || member.DeclaredAccessibility != Accessibility.Private)
                    && SymbolEqualityComparer.Default.Equals(member.Parameters[0].Type, item)
                    && WellKnownTypes.CancellationToken.Matches(member.Parameters[1].Type))
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

    /// <summary>
    /// Reads a <c>[Batch]</c> method: null when its type is a deployment (the deployment's parser reads it),
    /// else the diagnostic saying the attribute has no effect there.
    /// </summary>
    public static DiagnosticInfo? ParseStrayBatch(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        => Symbols.OutsideDeployment(context, DiagnosticDescriptors.BatchOutsideDeployment, cancellationToken);
}
