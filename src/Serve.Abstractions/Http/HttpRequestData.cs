using System.Text;

namespace Serve.Http;

/// <summary>
/// An HTTP request as a deployment sees it (Ray Serve's Starlette request): method, path below the
/// route prefix, query, headers and the buffered body.
/// </summary>
public sealed class HttpRequestData
{
    /// <summary>Creates a request; the runtime does this for each call.</summary>
    public HttpRequestData(string method, string rootPath, string path, string queryString, HttpValues query, HttpValues headers, string? contentType, ReadOnlyMemory<byte> body)
    {
        Method = method;
        RootPath = rootPath;
        Path = path;
        QueryString = queryString;
        Query = query;
        Headers = headers;
        ContentType = contentType;
        Body = body;
    }

    /// <summary>GET, POST, …</summary>
    public string Method { get; }

    /// <summary>The matched route prefix (with <c>http_options.root_path</c> before it).</summary>
    public string RootPath { get; }

    /// <summary>The path below the route prefix, starting with <c>/</c>.</summary>
    public string Path { get; }

    /// <summary>The raw query string, with its leading <c>?</c> when not empty.</summary>
    public string QueryString { get; }

    /// <summary>The decoded query parameters (Ray's <c>request.query_params</c>).</summary>
    public HttpValues Query { get; }

    /// <summary>The request headers; names compare case-insensitively.</summary>
    public HttpValues Headers { get; }

    /// <summary>The Content-Type header, if any.</summary>
    public string? ContentType { get; }

    /// <summary>
    /// The request body, read whole (at most <c>http_options.max_request_body_size</c> bytes). Valid until the method
    /// returns: the proxy reuses the memory for other requests afterwards, as Kestrel reuses its request buffers, so
    /// copy it (<c>Body.ToArray()</c>) to keep it longer, e.g. for work that outlives the call.
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The body decoded as UTF-8.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body.Span);
}

/// <summary>Named values with repeats, such as query parameters or headers.</summary>
public sealed class HttpValues
{
    private readonly IReadOnlyList<KeyValuePair<string, string>> _entries;
    private readonly StringComparison _comparison;

    /// <summary>Wraps entries; <paramref name="ignoreCase"/> for header names.</summary>
    public HttpValues(IReadOnlyList<KeyValuePair<string, string>> entries, bool ignoreCase)
    {
        _entries = entries;
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
    }

    /// <summary>No values.</summary>
    public static HttpValues Empty { get; } = new([], ignoreCase: false);

    /// <summary>The first value of <paramref name="name"/>, or null.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var entry in _entries)
            {
                if (string.Equals(entry.Key, name, _comparison))
                {
                    return entry.Value;
                }
            }
            return null;
        }
    }

    /// <summary>Every value of <paramref name="name"/>, in order.</summary>
    public IReadOnlyList<string> GetAll(string name)
        => _entries.Where(e => string.Equals(e.Key, name, _comparison)).Select(e => e.Value).ToArray();

    /// <summary>True when <paramref name="name"/> is present.</summary>
    public bool Contains(string name) => this[name] is not null;

    /// <summary>All entries, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries => _entries;
}
