namespace Serve.Proxy;

/// <summary>
/// Request ids for both proxies: the client's, when it is safe to echo back in a header or
/// trailer (printable ASCII, at most 256 characters), else a new UUID. An id with a line break or a
/// non-ASCII byte would make Kestrel refuse the response header and fail the request.
/// </summary>
internal static class RequestIds
{
    private const int MaxLength = 256;

    public static string FromClient(string? candidate)
        => IsSafe(candidate) ? candidate! : Guid.NewGuid().ToString();

    internal static bool IsSafe(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxLength)
        {
            return false;
        }
        foreach (var c in candidate)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }
        return true;
    }
}
