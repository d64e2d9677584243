using Sentiment.Model;

namespace Serve.Sentiment.Tests;

/// <summary>The AFINN-165 sentiment model of samples/Sentiment.</summary>
public sealed class SentimentModelTests
{
    private static readonly SentimentModel s_model = SentimentModel.LoadDefault();

    [Theory]
    [InlineData("I love this movie, it is wonderful!")]
    [InlineData("What a great day :)")]
    [InlineData("The service was excellent and the staff were friendly.")]
    [InlineData("i like you")]
    [InlineData("Thanks, that helped a lot")]
    public void Clear_positive_sentences_are_POSITIVE(string text)
    {
        var result = s_model.Predict(text);
        Assert.Equal("POSITIVE", result.Label);
        Assert.InRange(result.Score, 0.525, 1.0);
    }

    [Theory]
    [InlineData("This is terrible, I hate it.")]
    [InlineData("The worst experience of my life :(")]
    [InlineData("The food was awful and the waiter was rude")]
    [InlineData("I am sad and angry")]
    public void Clear_negative_sentences_are_NEGATIVE(string text)
    {
        var result = s_model.Predict(text);
        Assert.Equal("NEGATIVE", result.Label);
        Assert.InRange(result.Score, 0.525, 1.0);
    }

    [Theory]
    [InlineData("The meeting is at 10 am in room 4.")]
    [InlineData("dummy check! Classifier is all ready to go!")]
    [InlineData("Sentiment Classifier (0 -> Negative and 1 -> Positive)")]
    [InlineData("i")]
    public void Sentences_without_polarity_are_NEUTRAL(string text)
    {
        var result = s_model.Predict(text);
        Assert.Equal("NEUTRAL", result.Label);
        Assert.InRange(result.Score, 0.95, 1.0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("?!.,;")]
    public void Empty_input_is_NEUTRAL_with_score_1(string? text)
    {
        var analysis = s_model.Analyze(text);
        Assert.Equal(new SentimentResult("NEUTRAL", 1.0), analysis.Result);
        Assert.Equal(0, analysis.Compound);
        Assert.Empty(analysis.Terms);
    }

    [Theory]
    [InlineData("not good")]
    [InlineData("This movie is not good.")]
    [InlineData("I don't like it")]
    [InlineData("I do not like it")]
    [InlineData("It never works and I am not happy")]
    [InlineData("the update does not work")]
    [InlineData("I don’t love it")]
    public void Negation_turns_positive_words_NEGATIVE(string text)
        => Assert.Equal("NEGATIVE", s_model.Predict(text).Label);

    [Theory]
    [InlineData("not bad")]
    [InlineData("It wasn't bad at all")]
    [InlineData("no problem")]
    [InlineData("I never hated it")]
    public void Negation_turns_negative_words_POSITIVE(string text)
        => Assert.Equal("POSITIVE", s_model.Predict(text).Label);

    [Fact]
    public void Negation_flips_with_VADERs_scalar_and_marks_the_term()
    {
        var plain = s_model.Analyze("good");
        var negated = s_model.Analyze("not really good");
        Assert.Equal(3, plain.Sum);
        var term = Assert.Single(negated.Terms);
        Assert.True(term.Negated);
        // "really" right before "good" adds 0.293; "not" two words back multiplies by −0.74.
        Assert.Equal(Math.Round((3 + 0.293) * -0.74, 4), term.Weight);
        Assert.Equal(Math.Round((3 + 0.293 * 0.95) * -0.74, 4), s_model.Analyze("not really the good").Terms.Single().Weight);
    }

    [Fact]
    public void Negation_does_not_cross_a_clause()
    {
        // "not" ends at the comma: "good" stays positive.
        Assert.Equal("POSITIVE", s_model.Predict("Not now, this is good").Label);
    }

    [Fact]
    public void Negation_reaches_three_words_and_no_further()
    {
        Assert.True(s_model.Analyze("not a very good").Terms.Single().Negated);
        Assert.False(s_model.Analyze("not one of the good ones").Terms.Single().Negated);
    }

    [Fact]
    public void A_negator_that_negates_nothing_keeps_its_own_valence()
    {
        var analysis = s_model.Analyze("No.");
        Assert.Equal(-1, analysis.Sum);
        Assert.Equal("NEGATIVE", analysis.Result.Label);
    }

    [Fact]
    public void Intensifiers_raise_and_dampeners_lower_the_magnitude()
    {
        var plain = s_model.Analyze("good").Compound;
        Assert.True(s_model.Analyze("very good").Compound > plain);
        Assert.True(s_model.Analyze("slightly good").Compound < plain);
        Assert.True(s_model.Analyze("extremely bad").Compound < s_model.Analyze("bad").Compound);
    }

    [Fact]
    public void But_shifts_the_weight_to_the_second_clause()
    {
        Assert.Equal("NEGATIVE", s_model.Predict("The food was good but the service was terrible").Label);
        Assert.Equal("POSITIVE", s_model.Predict("The food was bad but the dessert was great").Label);
    }

    [Fact]
    public void Phrase_entries_win_over_their_words()
    {
        // "kind" is +2, "kind of" is 0; "does not work" is −3 as a whole.
        Assert.Equal("NEUTRAL", s_model.Predict("it is kind of long").Label);
        var analysis = s_model.Analyze("this does not work");
        var term = Assert.Single(analysis.Terms);
        Assert.Equal(("does not work", -3, false), (term.Term, term.Valence, term.Negated));
    }

    [Fact]
    public void Hyphenated_entries_are_one_token()
    {
        var analysis = s_model.Analyze("a well-being program");
        Assert.Contains("well-being", analysis.Tokens);
        Assert.Equal(2, Assert.Single(analysis.Terms).Valence);
    }

    [Fact]
    public void Emoticons_count()
    {
        Assert.Equal("POSITIVE", s_model.Predict("see you tomorrow :)").Label);
        Assert.Equal("NEGATIVE", s_model.Predict("see you tomorrow :(").Label);
    }

    [Fact]
    public void The_tutorials_ilikeyou_is_segmented_and_POSITIVE()
    {
        var analysis = s_model.Analyze("ilikeyou");
        Assert.Equal(["i", "like", "you"], analysis.Tokens);
        Assert.Equal("POSITIVE", analysis.Result.Label);
        // s = 2 ("like"), compound = 2 / √(4 + 15).
        var compound = 2 / Math.Sqrt(19);
        Assert.Equal(Math.Round(compound, 4), analysis.Compound);
        Assert.Equal(Math.Round((1 + compound) / 2, 4), analysis.Result.Score);
        Assert.Equal(s_model.Predict("i like you"), analysis.Result);
    }

    [Theory]
    [InlineData("ihateyou", "NEGATIVE")]
    [InlineData("thisisgreat", "POSITIVE")]
    [InlineData("idontlikeit", "NEGATIVE")]
    [InlineData("#lovethis", "POSITIVE")]
    public void Glued_words_are_segmented(string text, string label)
        => Assert.Equal(label, s_model.Predict(text).Label);

    [Theory]
    [InlineData("killjoy")]        // two lexicon words, no function word
    [InlineData("classifier")]     // not a run of known words
    [InlineData("good")]           // known
    [InlineData("ilke")]           // too short
    [InlineData("i2likeyou")]      // not letters only
    public void Segmentation_leaves_other_words_alone(string word)
        => Assert.Null(s_model.Segment(word));

    [Fact]
    public void Segmentation_takes_the_fewest_pieces()
        => Assert.Equal(["i", "like", "you"], s_model.Segment("ilikeyou"));

    [Fact]
    public void The_tutorials_short_input_i_is_NEUTRAL()
        => Assert.Equal(new SentimentResult("NEUTRAL", 1.0), s_model.Predict("i"));

    [Theory]
    [InlineData("good")]
    [InlineData("bad")]
    [InlineData("superb amazing wonderful fantastic great excellent outstanding")]
    [InlineData("horrible terrible awful dreadful catastrophic")]
    [InlineData("meh")]
    [InlineData("It was fine but not great, although the ending was sad.")]
    public void Scores_lie_in_their_ranges_and_follow_the_compound(string text)
    {
        var analysis = s_model.Analyze(text);
        Assert.InRange(analysis.Compound, -1.0, 1.0);
        Assert.InRange(analysis.Result.Score, 0.5, 1.0);
        var expected = analysis.Result.Label switch
        {
            "POSITIVE" => (1 + analysis.Compound) / 2,
            "NEGATIVE" => (1 - analysis.Compound) / 2,
            _ => 1 - Math.Abs(analysis.Compound),
        };
        Assert.Equal(expected, analysis.Result.Score, 0.0002);
        Assert.Equal(analysis.Sum / Math.Sqrt(analysis.Sum * analysis.Sum + 15), analysis.Compound, 0.0002);
    }

    [Fact]
    public void Stronger_text_scores_higher()
    {
        Assert.True(s_model.Predict("good").Score < s_model.Predict("good and great and wonderful").Score);
        Assert.True(s_model.Predict("bad").Score < s_model.Predict("bad, awful and horrible").Score);
    }

    [Fact]
    public void The_model_is_case_insensitive()
        => Assert.Equal(s_model.Predict("i love it"), s_model.Predict("I LOVE IT"));

    [Fact]
    public void Concurrent_predictions_agree()
    {
        var expected = s_model.Predict("what a lovely day");
        var results = new SentimentResult[64];
        Parallel.For(0, results.Length, i => results[i] = s_model.Predict("what a lovely day"));
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
