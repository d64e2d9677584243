using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Serve.Config;

/// <summary>
/// Checks YAML text against Serve's limits from the parser's events, before any node tree is built. YamlDotNet builds
/// its node tree recursively, one stack frame per nesting level, so a deeply nested document (50,000 <c>[</c>) overflows
/// the stack and kills the process; and the tree shares aliased nodes, but converting a value to JSON (a
/// <c>user_config</c>) expands every alias, so a kilobyte of nested aliases (the "billion laughs") becomes gigabytes.
/// The events come from a state machine, not recursion: any input is checked in constant stack and linear time.
/// </summary>
internal static class YamlLimits
{
    /// <summary>How deeply collections may nest. A config needs six levels above a <c>user_config</c>, which may nest 64 more.</summary>
    public const int MaxDepth = 100;

    /// <summary>How many values (scalars and collections) the document may hold with every alias expanded.</summary>
    public const long MaxExpandedValues = 1_000_000;

    /// <summary>How many characters of scalar text the document may hold with every alias expanded.</summary>
    public const long MaxExpandedTextLength = 16 * 1024 * 1024;

    /// <summary>Throws <see cref="ServeConfigException"/> when <paramref name="yaml"/> breaks a limit.</summary>
    /// <exception cref="YamlException">The text is not valid YAML (reported by the caller as such).</exception>
    public static void Check(string yaml, string sourceName)
    {
        var parser = new Parser(new StringReader(yaml));
        var open = new Stack<Collection>();
        // Anchors are scoped to their document; the sizes are of the anchored value, aliases inside it expanded.
        var anchors = new Dictionary<string, Size>(StringComparer.Ordinal);
        var total = default(Size);

        // Counts a value in the whole document's size, and in its collection's (for the collection's anchor).
        void Add(Size size, Mark at, bool inParent = true)
        {
            total += size;
            if (inParent && open.TryPeek(out var parent))
            {
                parent.Size += size;
            }
            if (total.Values > MaxExpandedValues)
            {
                Fail(sourceName, at, string.Create(CultureInfo.InvariantCulture,
                    $"the document holds more than {MaxExpandedValues:N0} values with its aliases expanded; write fewer values, or use fewer aliases (each alias counts as a copy of what it names)."));
            }
            if (total.Text > MaxExpandedTextLength)
            {
                Fail(sourceName, at, string.Create(CultureInfo.InvariantCulture,
                    $"the document holds more than {MaxExpandedTextLength:N0} characters of text with its aliases expanded; write less, or use fewer aliases (each alias counts as a copy of what it names)."));
            }
        }

        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case DocumentStart:
                    anchors.Clear();
                    break;
                case Scalar scalar:
                    var text = new Size(1, scalar.Value.Length);
                    Remember(anchors, scalar.Anchor, text);
                    Add(text, scalar.Start);
                    break;
                case AnchorAlias alias:
                    // An unknown alias is YamlDotNet's error to report when the tree is built.
                    Add(anchors.TryGetValue(alias.Value.Value, out var aliased) ? aliased : new Size(1, 0), alias.Start);
                    break;
                case NodeEvent start when start is SequenceStart or MappingStart:
                    if (open.Count == MaxDepth)
                    {
                        Fail(sourceName, start.Start, string.Create(CultureInfo.InvariantCulture,
                            $"the document nests more than {MaxDepth} levels deep here; a Serve config needs far fewer."));
                    }
                    // The collection counts as one value; what it holds is added as it arrives, and to its parent when it ends.
                    Add(new Size(1, 0), start.Start, inParent: false);
                    open.Push(new Collection(start.Anchor) { Size = new Size(1, 0) });
                    break;
                case SequenceEnd or MappingEnd:
                    var closed = open.Pop();
                    Remember(anchors, closed.Anchor, closed.Size);
                    if (open.TryPeek(out var outer))
                    {
                        // Already in the total, counted as its parts arrived.
                        outer.Size += closed.Size;
                    }
                    break;
            }
        }
    }

    private static void Remember(Dictionary<string, Size> anchors, AnchorName anchor, Size size)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = size;
        }
    }

    private static void Fail(string sourceName, Mark at, string message)
        => throw new ServeConfigException([new ServeConfigError(sourceName, (int)at.Line, (int)at.Column, "", message)]);

    /// <summary>A value's size with its aliases expanded.</summary>
    private readonly record struct Size(long Values, long Text)
    {
        public static Size operator +(Size a, Size b) => new(a.Values + b.Values, a.Text + b.Text);
    }

    private sealed class Collection(AnchorName anchor)
    {
        public AnchorName Anchor { get; } = anchor;

        public Size Size { get; set; }
    }
}
