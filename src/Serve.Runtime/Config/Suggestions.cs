namespace Serve.Config;

/// <summary>"Did you mean" suggestions for unknown keys: the allowed key nearest to a misspelt one, if any is near.</summary>
internal static class Suggestions
{
    /// <summary>
    /// The candidate equal to <paramref name="key"/> in another spelling (snake_case, camelCase, PascalCase, kebab-case),
    /// or else the one fewest edits away, if that is at most a third of the key's length (1 to 3 edits); otherwise null.
    /// </summary>
    public static string? Closest(string key, IEnumerable<string> candidates)
    {
        var normalized = Normalize(key);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var normalizedCandidate = Normalize(candidate);
            if (normalizedCandidate == normalized)
            {
                return candidate;
            }

            var distance = EditDistance.Between(normalized, normalizedCandidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        var limit = Math.Max(1, Math.Min(3, key.Length / 3));
        return bestDistance <= limit ? best : null;
    }

    // snake_case, camelCase, PascalCase and kebab-case spellings of one key compare equal.
    private static string Normalize(string key)
        => new(key.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant).ToArray());
}
