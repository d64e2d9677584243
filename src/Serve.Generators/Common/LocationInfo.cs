using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Serve.Generators.Model;

/// <summary>
/// An equatable stand-in for <see cref="Location"/> (which holds a syntax tree): the file, span and line span of a
/// source location. <see cref="ToLocation(SyntaxTree?)"/> rebinds it to the tree when the diagnostic is reported.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>
    /// The location in <paramref name="tree"/> (the compilation's tree with <see cref="FilePath"/>), so that
    /// <c>#pragma warning</c>, <c>[SuppressMessage]</c> and <c>.editorconfig</c> severities apply to the diagnostic.
    /// Without a tree (or when the span does not fit it) an external-file location, which only project-wide
    /// settings can silence.
    /// </summary>
    public Location ToLocation(SyntaxTree? tree)
        => tree is not null && Span.End <= tree.Length
            ? Location.Create(tree, Span)
            : Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());
}

/// <summary>A diagnostic to report: its id (see <c>DiagnosticDescriptors</c>), location and message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments)
        => new(descriptor.Id, location, new EquatableArray<string>(arguments));
}
