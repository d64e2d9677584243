using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Serve.Generators;

/// <summary>
/// What a compilation declares, as far as reading symbols can tell: its trees (compared at top level, the way the
/// compiler decides whether an edit changed any declaration), references and options. Two compilations whose
/// snapshots are equivalent differ only inside method bodies and non-constant field initializers, so every symbol
/// read from one reads the same from the other; only positions in the edited trees moved.
/// </summary>
/// <remarks>
/// Holds no compilation (a cache entry that outlives it must not keep it alive), only its trees and references, which
/// the next compilation mostly shares.
/// </remarks>
internal sealed class DeclarationSnapshot
{
    private static readonly ConditionalWeakTable<Compilation, DeclarationSnapshot> s_snapshots = new();

    private readonly SyntaxTree[] _trees;
    private readonly MetadataReference[] _references;
    private readonly CompilationOptions _options;
    private readonly string? _assemblyName;

    /// <summary>
    /// The earlier snapshots this one was compared with, and the answer (usually one: the previous edit's). Weak, so
    /// that each snapshot does not keep the whole history of edits alive.
    /// </summary>
    private readonly ConditionalWeakTable<DeclarationSnapshot, StrongBox<bool>> _equivalence = new();

    private DeclarationSnapshot(Compilation compilation)
    {
        _trees = compilation.SyntaxTrees.ToArray();
        _references = compilation.References.ToArray();
        _options = compilation.Options;
        _assemblyName = compilation.AssemblyName;
    }

    /// <summary>The snapshot of a compilation, taken once.</summary>
    public static DeclarationSnapshot Of(Compilation compilation) => s_snapshots.GetValue(compilation, static c => new DeclarationSnapshot(c));

    /// <summary>True when <paramref name="earlier"/> declares exactly what this snapshot does.</summary>
    public bool IsEquivalentTo(DeclarationSnapshot earlier, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(earlier, this))
        {
            return true;
        }
        // Compared once per pair: every deployment of the compilation asks the same question.
        lock (_equivalence)
        {
            if (!_equivalence.TryGetValue(earlier, out var equivalent))
            {
                equivalent = new StrongBox<bool>(Compare(earlier, this, cancellationToken));
                _equivalence.Add(earlier, equivalent);
            }
            return equivalent.Value;
        }
    }

    private static bool Compare(DeclarationSnapshot before, DeclarationSnapshot after, CancellationToken cancellationToken)
    {
        if (before._trees.Length != after._trees.Length
            || before._references.Length != after._references.Length
            || before._assemblyName != after._assemblyName
            || !before._options.Equals(after._options))
        {
            return false;
        }
        for (var i = 0; i < before._references.Length; i++)
        {
            if (!ReferenceEquals(before._references[i], after._references[i]))
            {
                return false;
            }
        }
        for (var i = 0; i < before._trees.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var old = before._trees[i];
            var current = after._trees[i];
            if (ReferenceEquals(old, current))
            {
                continue;
            }
            if (old.FilePath != current.FilePath
                || !old.Options.Equals(current.Options)
                || !SyntaxFactory.AreEquivalent(old, current, topLevel: true)
                || !SameNullableContexts(old.GetRoot(cancellationToken), current.GetRoot(cancellationToken)))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Top-level equivalence skips trivia, but a <c>#nullable</c> directive changes the annotations of the declarations
    /// after it. Only directives at the very top of both files are known to cover the same declarations; anywhere else
    /// (inside a body, say) an edit may have moved one past a declaration, so the trees are taken as different.
    /// </summary>
    private static bool SameNullableContexts(SyntaxNode before, SyntaxNode after)
    {
        var old = NullableDirectives(before);
        var current = NullableDirectives(after);
        if (old.Count != current.Count)
        {
            return false;
        }
        for (var i = 0; i < old.Count; i++)
        {
            if (!IsAtTop(old[i], before) || !IsAtTop(current[i], after)
                || old[i].SettingToken.RawKind != current[i].SettingToken.RawKind
                || old[i].TargetToken.RawKind != current[i].TargetToken.RawKind)
            {
                return false;
            }
        }
        return true;
    }

    private static List<NullableDirectiveTriviaSyntax> NullableDirectives(SyntaxNode root)
    {
        var directives = new List<NullableDirectiveTriviaSyntax>();
        if (root is CSharpSyntaxNode node && node.ContainsDirectives)
        {
            for (var directive = node.GetFirstDirective(IsNullable); directive is not null; directive = directive.GetNextDirective(IsNullable))
            {
                directives.Add((NullableDirectiveTriviaSyntax)directive);
            }
        }
        return directives;
    }

    private static bool IsNullable(DirectiveTriviaSyntax directive) => directive.IsKind(SyntaxKind.NullableDirectiveTrivia);

    private static bool IsAtTop(DirectiveTriviaSyntax directive, SyntaxNode root)
        => directive.ParentTrivia.Token == root.GetFirstToken(includeZeroWidth: true);
}
