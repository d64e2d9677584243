using System.Collections.Frozen;

namespace Sentiment.Model;

/// <summary>
/// A lexicon-based sentiment classifier over AFINN-165, with VADER's rules for negation,
/// intensifiers, "but" and normalisation (Hutto &amp; Gilbert, 2014).
/// </summary>
/// <remarks>
/// <para>How a text is scored:</para>
/// <list type="number">
/// <item>Tokenize (<see cref="Tokenizer"/>): lowercase words with inner apostrophes/hyphens, emoticons.
/// A word the lexicon does not know that is a run of known words (<c>ilikeyou</c>) is split into them
/// (<see cref="Segment"/>); an unknown hyphenated word is split at its hyphens.</item>
/// <item>At each token the longest phrase entry wins (<c>does not work</c> −3, <c>not good</c> −2,
/// <c>kind of</c> 0), else the word's valence, else the emoticon's.</item>
/// <item>Intensifiers among the three tokens before (same clause) push the valence away from zero by
/// 0.293 (dampeners toward it), scaled 1, 0.95, 0.9 by distance.</item>
/// <item>A negator among the three tokens before (<c>not</c>, <c>no</c>, <c>never</c>, any <c>…n't</c>, …; same
/// clause) multiplies the valence by −0.74. A negator that negated nothing keeps its own valence
/// (<c>no</c> −1).</item>
/// <item>In a sentence with "but", valences before it count half and after it one and a half.</item>
/// <item>The sum <c>s</c> is normalised to <c>compound = s / √(s² + 15)</c> ∈ (−1, 1).</item>
/// <item>Label: POSITIVE when compound ≥ 0.05, NEGATIVE when ≤ −0.05, else NEUTRAL.
/// Score: read <c>(1 + compound) / 2</c> as the probability of positive; the score of POSITIVE is that,
/// of NEGATIVE its complement <c>(1 − compound) / 2</c>, and of NEUTRAL <c>1 − |compound|</c>.
/// So POSITIVE/NEGATIVE scores lie in [0.525, 1), NEUTRAL in (0.95, 1]; rounded to 4 decimals.</item>
/// </list>
/// <para>Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed class SentimentModel
{
    /// <summary>VADER's normalisation constant α in <c>s / √(s² + α)</c>.</summary>
    public const double Alpha = 15;

    /// <summary>|compound| below this is NEUTRAL.</summary>
    public const double Threshold = 0.05;

    /// <summary>The label of a positive text.</summary>
    public const string Positive = "POSITIVE";

    /// <summary>The label of a negative text.</summary>
    public const string Negative = "NEGATIVE";

    /// <summary>The label of a text with no clear polarity.</summary>
    public const string Neutral = "NEUTRAL";

    private const double NegationScalar = -0.74;
    private const double BoosterIncrement = 0.293;
    private const int Scope = 3;
    private const int MinSegmentedLength = 5;
    private const int MaxSegmentedLength = 64;
    private static readonly double[] s_distanceScale = [1.0, 0.95, 0.9];

    private static readonly FrozenSet<string> s_negators = new[]
    {
        "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "nowhere", "cannot", "without",
        "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt", "wont", "wouldnt",
        "shouldnt", "havent", "hasnt", "hadnt", "aint", "mustnt", "neednt", "darent", "nope", "nah",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, double> s_intensifiers = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["absolutely"] = BoosterIncrement, ["amazingly"] = BoosterIncrement, ["completely"] = BoosterIncrement,
        ["deeply"] = BoosterIncrement, ["especially"] = BoosterIncrement, ["exceptionally"] = BoosterIncrement,
        ["extremely"] = BoosterIncrement, ["highly"] = BoosterIncrement, ["hugely"] = BoosterIncrement,
        ["incredibly"] = BoosterIncrement, ["most"] = BoosterIncrement, ["particularly"] = BoosterIncrement,
        ["really"] = BoosterIncrement, ["so"] = BoosterIncrement, ["such"] = BoosterIncrement,
        ["super"] = BoosterIncrement, ["thoroughly"] = BoosterIncrement, ["too"] = BoosterIncrement,
        ["totally"] = BoosterIncrement, ["truly"] = BoosterIncrement, ["utterly"] = BoosterIncrement,
        ["very"] = BoosterIncrement, ["more"] = BoosterIncrement,
        ["barely"] = -BoosterIncrement, ["hardly"] = -BoosterIncrement, ["kinda"] = -BoosterIncrement,
        ["less"] = -BoosterIncrement, ["marginally"] = -BoosterIncrement, ["occasionally"] = -BoosterIncrement,
        ["partly"] = -BoosterIncrement, ["scarcely"] = -BoosterIncrement, ["slightly"] = -BoosterIncrement,
        ["somewhat"] = -BoosterIncrement, ["sorta"] = -BoosterIncrement,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Common words without valence that may appear glued to lexicon words (<c>ilikeyou</c>,
    /// <c>thisisgreat</c>): the segmentation fallback may use them, and a segmentation must contain one.
    /// </summary>
    private static readonly FrozenSet<string> s_functionWords = new[]
    {
        "i", "me", "my", "mine", "im", "ive", "you", "your", "yours", "u", "ur", "we", "us", "our", "he", "him", "his",
        "she", "her", "it", "its", "they", "them", "their", "this", "that", "these", "those", "a", "an", "the",
        "am", "is", "are", "was", "were", "be", "been", "do", "does", "did", "have", "has", "had", "will",
        "would", "can", "could", "should", "to", "of", "in", "on", "at", "for", "with", "about", "from", "by",
        "as", "and", "or", "all", "just", "much", "what", "how", "here", "there", "now", "today", "one", "some",
        "thing", "things", "feel", "think", "lot", "lots", "ever", "also", "day", "guys", "everyone", "people",
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly AfinnLexicon _lexicon;
    private readonly FrozenSet<string> _segmentVocabulary;
    private readonly int _longestSegment;

    /// <summary>Creates a model over <paramref name="lexicon"/>.</summary>
    public SentimentModel(AfinnLexicon lexicon)
    {
        ArgumentNullException.ThrowIfNull(lexicon);
        _lexicon = lexicon;
        // Pieces the segmentation may use: plain lexicon words, function words, negators and intensifiers.
        _segmentVocabulary = lexicon.Words.Keys.Where(w => w.Length >= 2 && w.All(char.IsLetter))
            .Concat(s_functionWords).Concat(s_negators).Concat(s_intensifiers.Keys)
            .ToFrozenSet(StringComparer.Ordinal);
        _longestSegment = _segmentVocabulary.Max(w => w.Length);
    }

    /// <summary>A model over the embedded AFINN-165 list.</summary>
    public static SentimentModel LoadDefault() => new(AfinnLexicon.Embedded);

    /// <summary>The lexicon.</summary>
    public AfinnLexicon Lexicon => _lexicon;

    /// <summary>Classifies <paramref name="text"/>: <c>{label, score}</c>.</summary>
    public SentimentResult Predict(string? text) => Analyze(text).Result;

    /// <summary>Classifies <paramref name="text"/> and explains the score term by term.</summary>
    public SentimentAnalysis Analyze(string? text)
    {
        var tokens = Expand(Tokenizer.Tokenize(text));
        var terms = new List<ScoredTerm>();
        var negatorUsed = new bool[tokens.Count];
        var inPhrase = new bool[tokens.Count];
        var butIndex = FirstButPerSentence(tokens);
        var sum = 0.0;

        var i = 0;
        while (i < tokens.Count)
        {
            var token = tokens[i];
            var (valence, length) = Lookup(tokens, i);
            if (length > 1)
            {
                Array.Fill(inPhrase, true, i, length);
            }
            if (valence is null or 0)
            {
                i += Math.Max(length, 1);
                continue;
            }

            var weight = (double)valence.Value;
            var negated = false;
            for (var distance = 1; distance <= Scope; distance++)
            {
                var j = i - distance;
                if (j < 0 || tokens[j].Clause != token.Clause)
                {
                    break;
                }
                if (s_intensifiers.TryGetValue(tokens[j].Text, out var increment))
                {
                    weight += Math.Sign(weight) * increment * s_distanceScale[distance - 1];
                }
                else if (!inPhrase[j] && IsNegator(tokens[j].Text))
                {
                    negated = true;
                    negatorUsed[j] = true;
                }
            }
            if (negated)
            {
                weight *= NegationScalar;
            }
            if (butIndex.TryGetValue(token.Sentence, out var but))
            {
                weight *= i < but ? 0.5 : 1.5;
            }

            var term = length > 1 ? string.Join(' ', tokens.Skip(i).Take(length).Select(t => t.Text)) : token.Text;
            terms.Add(new ScoredTerm(term, valence.Value, Math.Round(weight, 4), negated));
            sum += weight;
            i += length;
        }

        // A negator that negated nothing counts for itself ("no" is −1 in AFINN).
        for (var k = 0; k < tokens.Count; k++)
        {
            if (!negatorUsed[k] && !inPhrase[k] && IsNegator(tokens[k].Text) && _lexicon.Words.TryGetValue(tokens[k].Text, out var own) && own != 0)
            {
                terms.Add(new ScoredTerm(tokens[k].Text, own, own, false));
                sum += own;
            }
        }

        var compound = sum / Math.Sqrt((sum * sum) + Alpha);
        var (label, score) = compound >= Threshold ? (Positive, (1 + compound) / 2)
            : compound <= -Threshold ? (Negative, (1 - compound) / 2)
            : (Neutral, 1 - Math.Abs(compound));
        return new SentimentAnalysis(
            new SentimentResult(label, Math.Round(score, 4)),
            Math.Round(compound, 4),
            Math.Round(sum, 4),
            tokens.Select(t => t.Text).ToArray(),
            terms);
    }

    /// <summary>
    /// Splits <paramref name="word"/> into known words when it is a run of them (<c>ilikeyou</c> →
    /// <c>i like you</c>): the split with the fewest pieces drawn from the lexicon's plain words,
    /// common function words, negators and intensifiers. Returns null when the word is short
    /// (under 5 letters), known, not letters only, cannot be covered, or the split would not
    /// contain both a function word and a word with valence (so ordinary unknown words such as
    /// <c>killjoy</c> are left alone).
    /// </summary>
    public IReadOnlyList<string>? Segment(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length < MinSegmentedLength || word.Length > MaxSegmentedLength || !word.All(char.IsLetter)
            || _lexicon.Words.ContainsKey(word) || _segmentVocabulary.Contains(word))
        {
            return null;
        }
        // best[k]: fewest pieces covering word[..k]; from[k]: where the last piece starts.
        var best = new int[word.Length + 1];
        var from = new int[word.Length + 1];
        Array.Fill(best, int.MaxValue);
        best[0] = 0;
        for (var end = 1; end <= word.Length; end++)
        {
            for (var start = Math.Max(0, end - _longestSegment); start < end; start++)
            {
                if (best[start] == int.MaxValue || best[start] + 1 >= best[end])
                {
                    continue;
                }
                if (_segmentVocabulary.Contains(word[start..end]))
                {
                    best[end] = best[start] + 1;
                    from[end] = start;
                }
            }
        }
        if (best[word.Length] is int.MaxValue or < 2)
        {
            return null;
        }
        var pieces = new List<string>();
        for (var end = word.Length; end > 0; end = from[end])
        {
            pieces.Add(word[from[end]..end]);
        }
        pieces.Reverse();
        var hasFunctionWord = pieces.Exists(p => s_functionWords.Contains(p) || s_negators.Contains(p) || s_intensifiers.ContainsKey(p));
        var hasValence = pieces.Exists(p => _lexicon.Words.TryGetValue(p, out var v) && v != 0);
        return hasFunctionWord && hasValence ? pieces : null;
    }

    private static bool IsNegator(string word) => s_negators.Contains(word) || word.EndsWith("n't", StringComparison.Ordinal);

    /// <summary>Replaces unknown words by their known parts: hyphenated words at the hyphens, glued words by <see cref="Segment"/>.</summary>
    private List<Token> Expand(List<Token> tokens)
    {
        List<Token>? expanded = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            IReadOnlyList<string>? parts = null;
            if (token.Kind == TokenKind.Word && !IsKnown(token.Text))
            {
                parts = token.Text.Contains('-', StringComparison.Ordinal)
                    ? token.Text.Split('-', StringSplitOptions.RemoveEmptyEntries)
                    : Segment(token.Text);
            }
            if (parts is null)
            {
                expanded?.Add(token);
                continue;
            }
            expanded ??= tokens.GetRange(0, i);
            foreach (var part in parts)
            {
                expanded.Add(token with { Text = part });
            }
        }
        return expanded ?? tokens;
    }

    private bool IsKnown(string word)
        => _lexicon.Words.ContainsKey(word) || IsNegator(word) || s_intensifiers.ContainsKey(word) || s_functionWords.Contains(word);

    /// <summary>The valence at <paramref name="i"/>: the longest phrase starting there (same clause), else the word or emoticon.</summary>
    private (int? Valence, int Length) Lookup(List<Token> tokens, int i)
    {
        for (var length = Math.Min(_lexicon.MaxPhraseWords, tokens.Count - i); length >= 2; length--)
        {
            if (tokens[i + length - 1].Clause != tokens[i].Clause)
            {
                continue;
            }
            var key = string.Join(' ', tokens.Skip(i).Take(length).Select(t => t.Text));
            if (_lexicon.Phrases.TryGetValue(key, out var phrase))
            {
                return (phrase, length);
            }
        }
        var token = tokens[i];
        if (token.Kind == TokenKind.Emoticon)
        {
            return (Tokenizer.Emoticons[token.Text], 1);
        }
        // Negators are scored by what they negate; one that negates nothing is counted at the end.
        if (IsNegator(token.Text))
        {
            return (null, 1);
        }
        return (_lexicon.Words.TryGetValue(token.Text, out var valence) ? valence : null, 1);
    }

    private static Dictionary<int, int> FirstButPerSentence(List<Token> tokens)
    {
        var result = new Dictionary<int, int>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Text == "but" && tokens[i].Kind == TokenKind.Word)
            {
                result.TryAdd(tokens[i].Sentence, i);
            }
        }
        return result;
    }
}
