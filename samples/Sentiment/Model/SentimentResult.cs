using System.Text.Json.Serialization;

namespace Sentiment.Model;

/// <summary>
/// A classification, shaped like the Hugging Face pipeline's output the tutorial returned:
/// <c>{"label": "POSITIVE", "score": 0.7294}</c>.
/// </summary>
/// <param name="Label">POSITIVE, NEGATIVE or NEUTRAL.</param>
/// <param name="Score">The confidence in <paramref name="Label"/>, from 0.5 to 1 (see <see cref="SentimentModel"/>).</param>
public sealed record SentimentResult(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("score")] double Score);

/// <summary>One lexicon hit and what it contributed.</summary>
/// <param name="Term">The word, phrase or emoticon.</param>
/// <param name="Valence">Its AFINN valence (−5…+5).</param>
/// <param name="Weight">What it added to the sum after intensifiers, negation and "but".</param>
/// <param name="Negated">True when a negator flipped it.</param>
public sealed record ScoredTerm(string Term, int Valence, double Weight, bool Negated);

/// <summary>A classification with its workings.</summary>
/// <param name="Result">Label and score.</param>
/// <param name="Compound">The normalised sum, in (−1, 1).</param>
/// <param name="Sum">The sum of the weights.</param>
/// <param name="Tokens">The tokens scored (after segmentation).</param>
/// <param name="Terms">The lexicon hits, in order.</param>
public sealed record SentimentAnalysis(
    SentimentResult Result,
    double Compound,
    double Sum,
    IReadOnlyList<string> Tokens,
    IReadOnlyList<ScoredTerm> Terms);
