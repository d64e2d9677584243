using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Serve.Generators;

/// <summary>
/// What a compilation declares, as far as reading symbols can tell: its trees (compared at top level, the way the
/// compiler decides whether an edit changed any declaration: everything but method bodies and non-constant field
/// initializers, <c>#nullable</c> directives included wherever they are), references and options. Two compilations
/// whose snapshots are equivalent differ only inside bodies and initializers, so every symbol read from one reads the
/// same from the other; only positions in the edited trees moved.
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

    /// <summary>The last earlier snapshot found equivalent: what every other deployment of the compilation asks about.</summary>
    private WeakReference<DeclarationSnapshot>? _lastEquivalent;

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
        if (ReferenceEquals(earlier, this)
            || (Volatile.Read(ref _lastEquivalent) is { } last && last.TryGetTarget(out var target) && ReferenceEquals(target, earlier)))
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
            if (equivalent.Value)
            {
                Volatile.Write(ref _lastEquivalent, new WeakReference<DeclarationSnapshot>(earlier));
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
                || !SyntaxFactory.AreEquivalent(old, current, topLevel: true))
            {
                return false;
            }
        }
        return true;
    }
}
