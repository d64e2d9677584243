using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serve.Config;

/// <summary>
/// YAML 1.2 core-schema scalar resolution: which type a scalar has (null, bool, int, float or string) and its grammar.
/// Shared by the reader, which types values by it, and the writer, which quotes strings that would resolve to another type.
/// </summary>
internal static class YamlScalars
{
    private const string StrTag = "tag:yaml.org,2002:str";
    private const string NullTag = "tag:yaml.org,2002:null";

    /// <summary>True when the scalar is a string whatever its text: quoted, a block scalar, or tagged <c>!!str</c>.</summary>
    public static bool IsStringTyped(YamlScalarNode scalar)
        => scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded
           || HasTag(scalar, StrTag);

    /// <summary>True for a null scalar: tagged <c>!!null</c>, or plain with a null spelling (including empty).</summary>
    public static bool IsNull(YamlNode node)
        => node is YamlScalarNode scalar
           && (HasTag(scalar, NullTag) || (!IsStringTyped(scalar) && IsNull(scalar.Value)));

    private static bool HasTag(YamlNode node, string tag)
        => !node.Tag.IsEmpty && !node.Tag.IsNonSpecific && node.Tag.Value == tag;

    /// <summary>True for a plain scalar's null spellings: empty, <c>~</c>, <c>null</c>, <c>Null</c>, <c>NULL</c>.</summary>
    public static bool IsNull(string? text) => text is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>The core schema's booleans: true/True/TRUE and false/False/FALSE.</summary>
    public static bool TryBool(string? text, out bool value)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE":
                value = true;
                return true;
            case "false" or "False" or "FALSE":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>YAML 1.1 booleans (yes/no/on/off/y/n in any case): strings in 1.2, named in error hints and quoted by the writer.</summary>
    public static bool IsYaml11Bool(string text)
        => text.ToUpperInvariant() is "YES" or "NO" or "ON" or "OFF" or "Y" or "N";

    /// <summary><c>[-+]?[0-9]+</c>.</summary>
    public static bool IsInteger(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var start = text[0] is '-' or '+' ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }

        for (var i = start; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>0o[0-7]+</c> or <c>0x[0-9a-fA-F]+</c> that fits a long.</summary>
    public static bool TryRadixInteger(string text, out long value)
    {
        value = 0;
        if (text.Length < 3 || text[0] != '0')
        {
            return false;
        }

        try
        {
            return text[1] switch
            {
                'o' when text[2..].All(c => c is >= '0' and <= '7') => (value = Convert.ToInt64(text[2..], 8)) == value,
                'x' when text[2..].All(char.IsAsciiHexDigit) => (value = Convert.ToInt64(text[2..], 16)) == value,
                _ => false,
            };
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary><c>[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?</c>.</summary>
    public static bool IsFloat(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var i = text[0] is '-' or '+' ? 1 : 0;
        var intDigits = CountDigits(text, ref i);
        var fracDigits = 0;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            fracDigits = CountDigits(text, ref i);
        }

        if (intDigits == 0 && fracDigits == 0)
        {
            return false;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '-' or '+')
            {
                i++;
            }

            if (CountDigits(text, ref i) == 0)
            {
                return false;
            }
        }

        return i == text.Length;
    }

    /// <summary>The core schema's infinities and NaN (<c>.inf</c>, <c>-.Inf</c>, <c>.nan</c>, …), which JSON cannot hold.</summary>
    public static bool IsSpecialFloat(string? text)
        => text is ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF"
            or ".nan" or ".NaN" or ".NAN";

    private static int CountDigits(string text, ref int i)
    {
        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        return i - start;
    }
}
