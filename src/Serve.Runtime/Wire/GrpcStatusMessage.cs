using System.Buffers;
using System.Text;

namespace Serve.Wire;

/// <summary>
/// The <c>grpc-message</c> encoding: the detail as UTF-8, with every byte outside 0x20–0x7E and every
/// <c>%</c> written as <c>%XX</c> (uppercase hex), as the gRPC HTTP/2 protocol specifies.
/// </summary>
internal static class GrpcStatusMessage
{
    // Printable ASCII except '%': sent as-is.
    private static readonly SearchValues<char> Unescaped = SearchValues.Create(
        " !\"#$&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private const int StackLimit = 256;

    /// <summary>
    /// Percent-encodes <paramref name="detail"/> for <c>grpc-message</c>. Returns the same instance (no
    /// allocation) when nothing needs escaping; null becomes the empty string.
    /// </summary>
    public static string Encode(string? detail)
    {
        if (string.IsNullOrEmpty(detail))
        {
            return "";
        }
        var first = detail.AsSpan().IndexOfAnyExcept(Unescaped);
        if (first < 0)
        {
            return detail;
        }

        var tail = detail.AsSpan(first);
        var maxBytes = Encoding.UTF8.GetMaxByteCount(tail.Length);
        byte[]? rentedBytes = null;
        var bytes = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        var byteCount = Encoding.UTF8.GetBytes(tail, bytes);
        bytes = bytes[..byteCount];

        var outputLength = first;
        foreach (var b in bytes)
        {
            outputLength += NeedsEscape(b) ? 3 : 1;
        }

        char[]? rentedChars = null;
        var chars = outputLength <= StackLimit ? stackalloc char[StackLimit] : (rentedChars = ArrayPool<char>.Shared.Rent(outputLength));
        detail.AsSpan(0, first).CopyTo(chars);
        var position = first;
        foreach (var b in bytes)
        {
            if (NeedsEscape(b))
            {
                chars[position++] = '%';
                chars[position++] = ToHex(b >> 4);
                chars[position++] = ToHex(b & 0xF);
            }
            else
            {
                chars[position++] = (char)b;
            }
        }
        var result = new string(chars[..position]);

        if (rentedBytes is not null)
        {
            ArrayPool<byte>.Shared.Return(rentedBytes);
        }
        if (rentedChars is not null)
        {
            ArrayPool<char>.Shared.Return(rentedChars);
        }
        return result;
    }

    /// <summary>
    /// Decodes a received <c>grpc-message</c>. Tolerant, as the protocol asks: a <c>%</c> not followed by two
    /// hex digits is kept literally, and invalid UTF-8 becomes U+FFFD. Returns the same instance when it
    /// contains no <c>%</c>; null becomes the empty string.
    /// </summary>
    public static string Decode(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        var first = value.IndexOf('%', StringComparison.Ordinal);
        if (first < 0)
        {
            return value;
        }

        // Decoded text is never longer than the input: n escaped bytes (3n chars) decode to at most n chars.
        char[]? rentedChars = null;
        var chars = value.Length <= StackLimit ? stackalloc char[StackLimit] : (rentedChars = ArrayPool<char>.Shared.Rent(value.Length));
        byte[]? rentedBytes = null;
        var byteCapacity = (value.Length / 3) + 1;
        var bytes = byteCapacity <= StackLimit ? stackalloc byte[StackLimit] : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCapacity));

        value.AsSpan(0, first).CopyTo(chars);
        var written = first;
        var pendingBytes = 0;
        var i = first;
        while (i < value.Length)
        {
            var c = value[i];
            if (c == '%' && i + 2 < value.Length && TryHex(value[i + 1], out var high) && TryHex(value[i + 2], out var low))
            {
                bytes[pendingBytes++] = (byte)((high << 4) | low);
                i += 3;
                continue;
            }
            if (pendingBytes > 0)
            {
                written += Encoding.UTF8.GetChars(bytes[..pendingBytes], chars[written..]);
                pendingBytes = 0;
            }
            chars[written++] = c;
            i++;
        }
        if (pendingBytes > 0)
        {
            written += Encoding.UTF8.GetChars(bytes[..pendingBytes], chars[written..]);
        }
        var result = new string(chars[..written]);

        if (rentedChars is not null)
        {
            ArrayPool<char>.Shared.Return(rentedChars);
        }
        if (rentedBytes is not null)
        {
            ArrayPool<byte>.Shared.Return(rentedBytes);
        }
        return result;
    }

    private static bool NeedsEscape(byte b) => b is < 0x20 or > 0x7E or (byte)'%';

    private static char ToHex(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'A' and <= 'F' => c - 'A' + 10,
            >= 'a' and <= 'f' => c - 'a' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
