using System.Text;
using Sentiment.Model;

namespace Serve.Sentiment.Tests;

/// <summary>The embedded AFINN-165 list, the tokenizer and the sentence splitter.</summary>
public sealed class LexiconAndTextTests
{
    [Fact]
    public void Embedded_lexicon_loads_all_3382_entries()
    {
        var lexicon = AfinnLexicon.LoadEmbedded();
        Assert.True(lexicon.Count > 3000);
        Assert.Equal(3382, lexicon.Count);
        Assert.Equal(3, lexicon.MaxPhraseWords);
        Assert.Contains("does not work", lexicon.Phrases.Keys);
    }

    [Theory]
    [InlineData("abandon", -2)]
    [InlineData("good", 3)]
    [InlineData("like", 2)]
    [InlineData("outstanding", 5)]
    [InlineData("bastard", -5)]
    [InlineData("not good", -2)]
    [InlineData("can't stand", -3)]
    [InlineData("well-being", 2)]
    [InlineData("naïve", -2)]
    [InlineData("kind of", 0)]
    public void Lexicon_has_the_published_valences(string term, int valence)
        => Assert.Equal(valence, AfinnLexicon.Embedded[term]);

    [Fact]
    public void Unknown_terms_have_no_valence()
        => Assert.Null(AfinnLexicon.Embedded["classifier"]);

    [Fact]
    public void Every_valence_is_between_minus_5_and_5()
        => Assert.All(AfinnLexicon.Embedded.Words.Values.Concat(AfinnLexicon.Embedded.Phrases.Values), v => Assert.InRange(v, -5, 5));

    [Fact]
    public void The_embedded_lexicon_is_parsed_once()
        => Assert.Same(AfinnLexicon.Embedded, AfinnLexicon.Embedded);

    [Fact]
    public void Parse_reads_words_and_phrases()
    {
        var lexicon = AfinnLexicon.Parse("""{"Good": 3, "not  good": -2, "well-being": 2}"""u8);
        Assert.Equal(3, lexicon.Words["good"]);
        Assert.Equal(-2, lexicon.Phrases["not good"]);
        Assert.Equal(2, lexicon.Words["well-being"]);
        Assert.Equal(2, lexicon.MaxPhraseWords);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("{\"good\": \"3\"}")]
    [InlineData("{\"good\": 3.5}")]
    [InlineData("{\"good\": 9}")]
    [InlineData("{\"good\": 3")]
    [InlineData("")]
    public void Parse_rejects_other_shapes(string json)
        => Assert.Throws<InvalidDataException>(() => AfinnLexicon.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Tokenizer_keeps_inner_apostrophes_and_hyphens_and_lowercases()
    {
        var tokens = Tokenizer.Tokenize("I DON'T like self-abuse -- 'quoted' it’s gr8!");
        Assert.Equal(["i", "don't", "like", "self-abuse", "quoted", "it's", "gr8"], tokens.Select(t => t.Text));
    }

    [Fact]
    public void Tokenizer_numbers_clauses_and_sentences()
    {
        var tokens = Tokenizer.Tokenize("good, bad. ugly\nnew");
        Assert.Equal([(0, 0), (1, 0), (2, 1), (3, 2)], tokens.Select(t => (t.Clause, t.Sentence)));
    }

    [Fact]
    public void Tokenizer_recognises_standalone_emoticons_only()
    {
        var tokens = Tokenizer.Tokenize("nice :) and :D. but a:)b");
        Assert.Equal(
            [("nice", TokenKind.Word), (":)", TokenKind.Emoticon), ("and", TokenKind.Word), (":d", TokenKind.Emoticon), ("but", TokenKind.Word), ("a", TokenKind.Word), ("b", TokenKind.Word)],
            tokens.Select(t => (t.Text, t.Kind)));
    }

    [Fact]
    public void Sentences_split_at_end_punctuation_and_line_breaks()
    {
        var sentences = SentenceSplitter.Split("I love it! Is it good?  It costs 3.50 dollars... Really.\nNew line\r\n\n");
        Assert.Equal(["I love it!", "Is it good?", "It costs 3.50 dollars...", "Really.", "New line"], sentences);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \n ")]
    public void Blank_text_has_no_sentences(string? text)
        => Assert.Empty(SentenceSplitter.Split(text));
}
