using System.Collections.Frozen;
using System.Text.Json;

namespace Sentiment.Model;

/// <summary>
/// The AFINN-165 word list: English words and short phrases rated for valence from −5 to +5.
/// The list ships inside this assembly (<c>afinn-165.json</c>, see <c>AFINN-LICENSE.md</c>); it is
/// read with <see cref="Utf8JsonReader"/>, without reflection.
/// </summary>
public sealed class AfinnLexicon
{
    /// <summary>The manifest resource name of the embedded list.</summary>
    public const string ResourceName = "Sentiment.Model.afinn-165.json";

    /// <summary>The lowest valence of the list.</summary>
    public const int MinValence = -5;

    /// <summary>The highest valence of the list.</summary>
    public const int MaxValence = 5;

    private static readonly Lazy<AfinnLexicon> s_embedded = new(LoadEmbeddedCore, LazyThreadSafetyMode.ExecutionAndPublication);

    private AfinnLexicon(FrozenDictionary<string, int> words, FrozenDictionary<string, int> phrases, int maxPhraseWords)
    {
        Words = words;
        Phrases = phrases;
        MaxPhraseWords = maxPhraseWords;
    }

    /// <summary>Single-token entries (hyphenated words such as <c>well-being</c> are one token).</summary>
    public FrozenDictionary<string, int> Words { get; }

    /// <summary>Multi-word entries, keyed by their tokens joined with one space (<c>not good</c>, <c>does not work</c>).</summary>
    public FrozenDictionary<string, int> Phrases { get; }

    /// <summary>The most tokens in a phrase entry (3 for AFINN-165).</summary>
    public int MaxPhraseWords { get; }

    /// <summary>Every entry: words and phrases.</summary>
    public int Count => Words.Count + Phrases.Count;

    /// <summary>
    /// The embedded AFINN-165 list, parsed once per process and shared (it is immutable). Each
    /// replica still builds its own <see cref="SentimentModel"/> around it.
    /// </summary>
    public static AfinnLexicon Embedded => s_embedded.Value;

    /// <summary>The valence of a word or phrase (lowercase, tokens separated by one space), or null.</summary>
    public int? this[string term]
        => Words.TryGetValue(term, out var valence) || Phrases.TryGetValue(term, out valence) ? valence : null;

    /// <summary>Parses the embedded list again (for callers that want a private copy).</summary>
    public static AfinnLexicon LoadEmbedded() => LoadEmbeddedCore();

    /// <summary>
    /// Parses a list in the <c>afinn-165</c> package's JSON shape: one object whose property names
    /// are the terms and whose values are integers from −5 to +5.
    /// </summary>
    /// <exception cref="InvalidDataException">The JSON is not such an object.</exception>
    public static AfinnLexicon Parse(ReadOnlySpan<byte> utf8Json)
    {
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var phrases = new Dictionary<string, int>(StringComparer.Ordinal);
        var maxPhraseWords = 1;
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException("The AFINN list must be a JSON object of term → valence.");
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var term = reader.GetString()!.Trim().ToLowerInvariant();
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var valence)
                    || valence < MinValence || valence > MaxValence)
                {
                    throw new InvalidDataException($"The valence of '{term}' must be an integer from {MinValence} to {MaxValence}.");
                }
                if (term.Length == 0)
                {
                    continue;
                }
                // A phrase is matched token by token: normalise it with the same tokenizer as the text.
                var tokens = Tokenizer.Tokenize(term).Select(t => t.Text).ToArray();
                if (tokens.Length <= 1)
                {
                    words[tokens.Length == 1 ? tokens[0] : term] = valence;
                }
                else
                {
                    phrases[string.Join(' ', tokens)] = valence;
                    maxPhraseWords = Math.Max(maxPhraseWords, tokens.Length);
                }
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The AFINN list is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).", ex);
        }
        return new AfinnLexicon(words.ToFrozenDictionary(StringComparer.Ordinal), phrases.ToFrozenDictionary(StringComparer.Ordinal), maxPhraseWords);
    }

    private static AfinnLexicon LoadEmbeddedCore()
    {
        using var stream = typeof(AfinnLexicon).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{ResourceName}' is missing from {typeof(AfinnLexicon).Assembly.GetName().Name}.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Parse(bytes);
    }
}
