using System.Collections.Frozen;
using System.Text;

namespace Sentiment.Model;

/// <summary>What a token is.</summary>
public enum TokenKind
{
    /// <summary>Letters and digits, with inner apostrophes and hyphens (<c>don't</c>, <c>well-being</c>).</summary>
    Word,

    /// <summary>An emoticon such as <c>:)</c> standing on its own.</summary>
    Emoticon,
}

/// <summary>One token of a text.</summary>
/// <param name="Text">The lowercase text (apostrophes normalised to <c>'</c>).</param>
/// <param name="Kind">Word or emoticon.</param>
/// <param name="Clause">
/// The clause it belongs to: punctuation (<c>, ; : . ! ?</c>, brackets, dashes) starts a new one.
/// Negation and intensifiers do not reach across clauses.
/// </param>
/// <param name="Sentence">The sentence it belongs to: <c>. ! ?</c> and line breaks start a new one.</param>
public readonly record struct Token(string Text, TokenKind Kind, int Clause, int Sentence);

/// <summary>
/// Splits text into lowercase word tokens the way the lexicon is keyed: letters and digits, keeping
/// apostrophes and hyphens between them (<c>can't</c>, <c>once-in-a-lifetime</c>), plus standalone
/// emoticons. Everything else separates tokens; punctuation also ends clauses and sentences.
/// </summary>
public static class Tokenizer
{
    /// <summary>Emoticons and their valence on AFINN's −5…+5 scale (keys lowercase).</summary>
    public static FrozenDictionary<string, int> Emoticons { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        [":)"] = 2, [":-)"] = 2, [":]"] = 2, ["=)"] = 2, [";)"] = 2, [";-)"] = 2,
        [":d"] = 3, [":-d"] = 3, ["<3"] = 3, [":p"] = 1, [":-p"] = 1,
        [":("] = -2, [":-("] = -2, [":["] = -2, ["=("] = -2, [":/"] = -1, [":-/"] = -1,
        [":'("] = -3, ["</3"] = -3,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private const int MaxEmoticonLength = 3;

    /// <summary>Tokenizes <paramref name="text"/>; null or blank gives no tokens.</summary>
    public static List<Token> Tokenize(string? text)
    {
        var tokens = new List<Token>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return tokens;
        }
        var s = text.ToLowerInvariant();
        var word = new StringBuilder();
        int clause = 0, sentence = 0;

        void Flush()
        {
            if (word.Length > 0)
            {
                tokens.Add(new Token(word.ToString(), TokenKind.Word, clause, sentence));
                word.Clear();
            }
        }

        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                Flush();
                if (c == '\n')
                {
                    clause++;
                    sentence++;
                }
                i++;
                continue;
            }
            if (word.Length == 0 && (i == 0 || char.IsWhiteSpace(s[i - 1])) && MatchEmoticon(s, i) is { } emoticon)
            {
                tokens.Add(new Token(emoticon, TokenKind.Emoticon, clause, sentence));
                i += emoticon.Length;
                continue;
            }
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
                i++;
                continue;
            }
            if (word.Length > 0 && i + 1 < s.Length && char.IsLetterOrDigit(s[i + 1]))
            {
                if (c is '\'' or '\u2019' or '\u2018' or '`')
                {
                    word.Append('\'');
                    i++;
                    continue;
                }
                if (c is '-' or '\u2010' or '\u2011')
                {
                    word.Append('-');
                    i++;
                    continue;
                }
            }
            Flush();
            switch (c)
            {
                case '.' or '!' or '?' or '\u2026':
                    clause++;
                    sentence++;
                    break;
                case ',' or ';' or ':' or '(' or ')' or '[' or ']' or '{' or '}' or '-' or '\u2013' or '\u2014' or '"' or '\u201C' or '\u201D':
                    clause++;
                    break;
            }
            i++;
        }
        Flush();
        return tokens;
    }

    private static string? MatchEmoticon(string s, int start)
    {
        for (var length = Math.Min(MaxEmoticonLength, s.Length - start); length >= 2; length--)
        {
            var end = start + length;
            // An emoticon stands alone: whitespace, the end, or sentence punctuation after it.
            if (end < s.Length && !char.IsWhiteSpace(s[end]) && s[end] is not ('.' or ',' or '!' or '?'))
            {
                continue;
            }
            var candidate = s.Substring(start, length);
            if (Emoticons.ContainsKey(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}

/// <summary>Splits a text into sentences for per-sentence scoring.</summary>
public static class SentenceSplitter
{
    /// <summary>
    /// The sentences of <paramref name="text"/>: a sentence ends after a run of <c>. ! ?</c> (or <c>…</c>)
    /// followed by whitespace or the end, or at a line break. Sentences are trimmed; blank ones are dropped.
    /// </summary>
    public static List<string> Split(string? text)
    {
        var sentences = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return sentences;
        }
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n' or '\r')
            {
                Add(start, i);
                start = i + 1;
                continue;
            }
            if (c is '.' or '!' or '?' or '\u2026')
            {
                var end = i + 1;
                while (end < text.Length && text[end] is '.' or '!' or '?' or '\u2026' or '"' or '\'' or ')' or '\u201D' or '\u2019')
                {
                    end++;
                }
                if (end == text.Length || char.IsWhiteSpace(text[end]))
                {
                    Add(start, end);
                    start = end;
                    i = end - 1;
                }
            }
        }
        Add(start, text.Length);
        return sentences;

        void Add(int from, int to)
        {
            var sentence = text.AsSpan(from, to - from).Trim();
            if (!sentence.IsEmpty)
            {
                sentences.Add(sentence.ToString());
            }
        }
    }
}
