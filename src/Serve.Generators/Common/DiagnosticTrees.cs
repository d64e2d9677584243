using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// The syntax trees that the generator's diagnostics point into, found by path in the current compilation, so that
/// each diagnostic is reported at a tree-bound location (which <c>#pragma warning</c>, <c>[SuppressMessage]</c> and
/// <c>.editorconfig</c> severities honour) while the models stay free of trees.
/// </summary>
/// <remarks>
/// Not a model: it is the one pipeline value that holds trees, and it is read only by the reporting output. It
/// compares its trees by reference, so the output re-reports exactly when a file holding a diagnostic is replaced;
/// an output that reused its earlier diagnostics then would point into a tree that is no longer in the compilation.
/// </remarks>
internal sealed class DiagnosticTrees : IEquatable<DiagnosticTrees>
{
    public static readonly DiagnosticTrees Empty = new(Array.Empty<SyntaxTree>());

    private readonly SyntaxTree[] _trees;

    private DiagnosticTrees(SyntaxTree[] trees) => _trees = trees;

    /// <summary>The file paths the diagnostics point into, ordinal-sorted and distinct.</summary>
    public static EquatableArray<string> Paths(EquatableArray<DiagnosticInfo> diagnostics)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Location is { } location)
            {
                paths.Add(location.FilePath);
            }
        }
        return paths.ToEquatableArray();
    }

    /// <summary>The compilation's trees with those paths (the first tree of each path).</summary>
    public static DiagnosticTrees Find(EquatableArray<string> paths, Compilation compilation, CancellationToken cancellationToken)
    {
        if (paths.IsEmpty)
        {
            return Empty;
        }
        var wanted = new HashSet<string>(paths, StringComparer.Ordinal);
        var found = new List<SyntaxTree>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (wanted.Remove(tree.FilePath))
            {
                found.Add(tree);
                if (wanted.Count == 0)
                {
                    break;
                }
            }
        }
        return new DiagnosticTrees(found.ToArray());
    }

    /// <summary>The tree with this path, or null.</summary>
    public SyntaxTree? Get(string path)
    {
        foreach (var tree in _trees)
        {
            if (string.Equals(tree.FilePath, path, StringComparison.Ordinal))
            {
                return tree;
            }
        }
        return null;
    }

    public bool Equals(DiagnosticTrees? other)
    {
        if (other is null || other._trees.Length != _trees.Length)
        {
            return false;
        }
        for (var i = 0; i < _trees.Length; i++)
        {
            if (!ReferenceEquals(_trees[i], other._trees[i]))
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as DiagnosticTrees);

    public override int GetHashCode()
    {
        var hash = 17;
        foreach (var tree in _trees)
        {
            hash = unchecked((hash * 31) + System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(tree));
        }
        return hash;
    }
}
