using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Reuses a deployment's model across compilations that declare the same things (an IDE's compilations while the user
/// types in a method body), so that an edit reads again the deployments of the edited file, not every deployment.
/// </summary>
/// <remarks>
/// <para>
/// <c>ForAttributeWithMetadataName</c> runs the deployment step again for every deployment of each new compilation,
/// because its symbols are new; reading them binds each method signature, attribute and message type again, which
/// costs several times the lookup itself. The model read from a class is a function of the compilation's declarations
/// (<see cref="DeclarationSnapshot"/>) and of positions in the trees that declare the class and its base classes
/// (its locations). So a model is reused when the compilation's snapshot is equivalent to the one it was read in and
/// those trees are the same objects; anything else reads the class again.
/// </para>
/// <para>
/// Keyed by tree (weakly) and position, not by node, as an unchanged tree keeps its positions while its nodes may be
/// created anew. The pipeline still compares the models it gets, so a reused model leaves the steps after it cached.
/// </para>
/// </remarks>
internal static class DeploymentCache
{
    private static readonly ConditionalWeakTable<SyntaxTree, ConcurrentDictionary<int, Entry>> s_entries = new();

    public static DeploymentInfo? GetOrParse(
        GeneratorAttributeSyntaxContext context,
        Func<GeneratorAttributeSyntaxContext, CancellationToken, DeploymentInfo?> parse,
        CancellationToken cancellationToken)
    {
        var compilation = context.SemanticModel.Compilation;
        if (Find(context.TargetNode, compilation, cancellationToken) is { } cached)
        {
            return cached;
        }
        var info = parse(context, cancellationToken);
        if (info is not null && context.TargetSymbol is INamedTypeSymbol type)
        {
            var entries = s_entries.GetValue(context.TargetNode.SyntaxTree, static _ => new ConcurrentDictionary<int, Entry>());
            entries[context.TargetNode.SpanStart] = new Entry(info, DeclaringTrees(type, compilation), DeclarationSnapshot.Of(compilation));
        }
        return info;
    }

    /// <summary>The model read from <paramref name="declaration"/> in an earlier compilation, when it holds in this one; else null.</summary>
    public static DeploymentInfo? Find(SyntaxNode declaration, Compilation compilation, CancellationToken cancellationToken)
    {
        if (!s_entries.TryGetValue(declaration.SyntaxTree, out var entries) || !entries.TryGetValue(declaration.SpanStart, out var entry))
        {
            return null;
        }
        return entry.IsValidIn(compilation, DeclarationSnapshot.Of(compilation), cancellationToken) ? entry.Info : null;
    }

    /// <summary>
    /// The trees of the class's declarations and of its base classes' in this compilation: where its locations point.
    /// (A base class in the source of a referenced project, which an IDE may reference as a compilation, changes that
    /// reference when it changes.)
    /// </summary>
    private static SyntaxTree[] DeclaringTrees(INamedTypeSymbol type, Compilation compilation)
    {
        var trees = new List<SyntaxTree>();
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var reference in current.DeclaringSyntaxReferences)
            {
                if (!trees.Contains(reference.SyntaxTree) && compilation.ContainsSyntaxTree(reference.SyntaxTree))
                {
                    trees.Add(reference.SyntaxTree);
                }
            }
        }
        return trees.ToArray();
    }

    private sealed class Entry
    {
        private readonly SyntaxTree[] _trees;
        private DeclarationSnapshot _snapshot;

        public Entry(DeploymentInfo info, SyntaxTree[] trees, DeclarationSnapshot snapshot)
        {
            Info = info;
            _trees = trees;
            _snapshot = snapshot;
        }

        public DeploymentInfo Info { get; }

        public bool IsValidIn(Compilation compilation, DeclarationSnapshot snapshot, CancellationToken cancellationToken)
        {
            if (!snapshot.IsEquivalentTo(Volatile.Read(ref _snapshot), cancellationToken))
            {
                return false;
            }
            foreach (var tree in _trees)
            {
                if (!compilation.ContainsSyntaxTree(tree))
                {
                    return false;
                }
            }
            // Compared with the latest equivalent snapshot from now on, so that the earlier one (with the trees it
            // held) can be collected.
            Volatile.Write(ref _snapshot, snapshot);
            return true;
        }
    }
}
