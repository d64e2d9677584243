using System;

namespace Serve;

/// <summary>
/// How far apart two names are, for "did you mean" suggestions: one source file compiled into both the generator
/// (netstandard2.0) and the runtime, which share no assembly.
/// </summary>
internal static class EditDistance
{
    /// <summary>
    /// The optimal-string-alignment distance ignoring case: insertions, deletions, substitutions and swaps of two
    /// neighbouring characters each count 1 (<c>SayHelo</c> → <c>SayHello</c> is 1, <c>SayHlelo</c> too).
    /// </summary>
    public static int Between(string a, string b)
    {
        // Three rows are enough: the swap looks two characters back.
        var before = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = Same(a[i - 1], b[j - 1]) ? 0 : 1;
                var distance = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && Same(a[i - 1], b[j - 2]) && Same(a[i - 2], b[j - 1]))
                {
                    distance = Math.Min(distance, before[j - 2] + 1);
                }
                current[j] = distance;
            }
            (before, previous, current) = (previous, current, before);
        }
        return previous[b.Length];
    }

    /// <summary>
    /// True when <paramref name="candidate"/> is probably a misspelling of <paramref name="name"/>: at most one edit for
    /// names of 4 to 7 characters, two for longer ones; never for shorter names, where one edit makes another word.
    /// </summary>
    public static bool IsNearMiss(string candidate, string name) => TryNearMiss(candidate, name, out _);

    /// <summary><see cref="IsNearMiss"/>, with the distance when it is one (so that ranking candidates computes it once).</summary>
    public static bool TryNearMiss(string candidate, string name, out int distance)
    {
        var allowed = name.Length < 4 ? 0 : name.Length < 8 ? 1 : 2;
        distance = allowed > 0 && Math.Abs(candidate.Length - name.Length) <= allowed ? Between(candidate, name) : int.MaxValue;
        return distance <= allowed;
    }

    private static bool Same(char x, char y) => x == y || char.ToUpperInvariant(x) == char.ToUpperInvariant(y);
}
