using System.Net;
using System.Text;

namespace ImageClassification;

/// <summary>Why <see cref="ImageDownloader"/> could not fetch an image.</summary>
public enum ImageDownloadError
{
    /// <summary>The URL is empty, malformed, or has no scheme (a gRPC service answers INVALID_ARGUMENT).</summary>
    InvalidUrl,

    /// <summary>The scheme is not <c>file</c>, <c>data</c>, <c>http</c> or <c>https</c> (INVALID_ARGUMENT).</summary>
    UnsupportedScheme,

    /// <summary>No file at the path, or the server answered 404/410 (NOT_FOUND).</summary>
    NotFound,

    /// <summary>The file may not be read (PERMISSION_DENIED).</summary>
    AccessDenied,

    /// <summary>The image is larger than <see cref="ImageDownloaderOptions.MaxBytes"/> (INVALID_ARGUMENT).</summary>
    TooLarge,

    /// <summary>An http(s) server could not be reached in time or answered with an error (UNAVAILABLE).</summary>
    Unreachable,
}

/// <summary>An image URL that could not be fetched; the message names the URL (shortened if long).</summary>
public sealed class ImageDownloadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageDownloadException(ImageDownloadError error, string url, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        Url = url;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ImageDownloadException() : this(ImageDownloadError.InvalidUrl, "", "The image could not be downloaded.") { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ImageDownloadException(string message) : this(ImageDownloadError.InvalidUrl, "", message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public ImageDownloadException(string message, Exception innerException) : this(ImageDownloadError.InvalidUrl, "", message, innerException) { }

    /// <summary>What went wrong.</summary>
    public ImageDownloadError Error { get; }

    /// <summary>The URL that was asked for.</summary>
    public string Url { get; }
}

/// <summary>Limits of <see cref="ImageDownloader"/>.</summary>
public sealed class ImageDownloaderOptions
{
    /// <summary>The largest image accepted, in bytes. Default 16 MiB.</summary>
    public long MaxBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>How long an http(s) download may take in all. Default 5 seconds.</summary>
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Fetches image bytes by URL (the guide's <c>ImageDownloader</c>), without needing a network:
/// <list type="bullet">
/// <item><c>file:///absolute/path.png</c> (or <c>file://localhost/…</c>) reads a local file;</item>
/// <item><c>data:[type][;base64],…</c> (RFC 2397) carries the image itself, base64 or percent-encoded;</item>
/// <item><c>http://</c> and <c>https://</c> are fetched when reachable, within <see cref="ImageDownloaderOptions.HttpTimeout"/>.</item>
/// </list>
/// Failures throw <see cref="ImageDownloadException"/> with an <see cref="ImageDownloadError"/> and a
/// message naming the URL. Note that <c>file://</c> serves any file the process may read: put a
/// deployment that uses it behind your own checks if its callers are not trusted.
/// </summary>
public sealed class ImageDownloader
{
    private static readonly Lazy<HttpClient> s_sharedHttp = new(() => new HttpClient(new SocketsHttpHandler
    {
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 5,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    });

    private readonly HttpClient? _http;

    /// <summary>Creates a downloader; http(s) goes through <paramref name="httpClient"/> or a shared client.</summary>
    public ImageDownloader(ImageDownloaderOptions? options = null, HttpClient? httpClient = null)
    {
        Options = options ?? new ImageDownloaderOptions();
        _http = httpClient;
    }

    /// <summary>The limits in force.</summary>
    public ImageDownloaderOptions Options { get; }

    /// <summary>Fetches the bytes at <paramref name="url"/>.</summary>
    /// <exception cref="ImageDownloadException">The URL is invalid or unsupported, or the image cannot be had.</exception>
    public async Task<byte[]> DownloadAsync(string url, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url ?? "", "The image url is empty: use file:///path/to/image.png, a data: URI or an http(s) URL.");
        }
        url = url.Trim();
        var scheme = SchemeOf(url);
        switch (scheme?.ToUpperInvariant())
        {
            case null:
                throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url,
                    $"The image url {Describe(url)} has no scheme: use file:///absolute/path/to/image.png, a data: URI or an http(s) URL.");
            case "DATA":
                return DecodeDataUri(url);
            case "FILE":
                return await ReadFileAsync(url, cancellationToken).ConfigureAwait(false);
            case "HTTP" or "HTTPS":
                return await GetHttpAsync(url, cancellationToken).ConfigureAwait(false);
            default:
                throw new ImageDownloadException(ImageDownloadError.UnsupportedScheme, url,
                    $"Unsupported URL scheme '{scheme}' in {Describe(url)}: use file://, data: or http(s)://.");
        }
    }

    /// <summary>The URL quoted for a message, shortened when long (data: URIs carry whole images).</summary>
    public static string Describe(string? url)
    {
        url ??= "";
        const int Max = 96;
        return url.Length <= Max ? $"'{url}'" : $"'{url[..(Max - 16)]}…' ({url.Length} characters)";
    }

    /// <summary>The URL's scheme (RFC 3986: a letter, then letters, digits, '+', '-', '.'), or null.</summary>
    private static string? SchemeOf(string url)
    {
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        if (colon < 1 || !char.IsAsciiLetter(url[0]))
        {
            return null;
        }
        for (var i = 1; i < colon; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(url[i]) || url[i] is '+' or '-' or '.'))
            {
                return null;
            }
        }
        // A one-letter "scheme" is a Windows drive (C:\images\a.png), not a URL.
        return colon == 1 ? null : url[..colon];
    }

    private byte[] DecodeDataUri(string url)
    {
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url, $"The data: URI {Describe(url)} has no ',' before its data (data:[<media type>][;base64],<data>).");
        }
        var meta = url.AsSpan(5, comma - 5);
        var payload = url.AsSpan(comma + 1);
        var isBase64 = meta.EndsWith(";base64", StringComparison.OrdinalIgnoreCase);
        if (payload.Length / (isBase64 ? 4.0 / 3.0 : 3.0) > Options.MaxBytes * 1.01 + 16)
        {
            // Quick bound before decoding: base64 has 4 characters per 3 bytes, a %XX escape 3 per byte.
            TooLarge(url, (long)(isBase64 ? payload.Length * 3L / 4 : payload.Length / 3));
        }
        byte[] bytes;
        if (isBase64)
        {
            var text = payload.Contains('%') ? Encoding.ASCII.GetString(PercentDecode(url, payload)) : payload.ToString();
            var compact = new StringBuilder(text.Length);
            foreach (var c in text)
            {
                if (!char.IsWhiteSpace(c))
                {
                    compact.Append(c);
                }
            }
            try
            {
                bytes = Convert.FromBase64String(compact.ToString());
            }
            catch (FormatException ex)
            {
                throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url, $"The data: URI {Describe(url)} is marked ;base64 but its data is not valid base64.", ex);
            }
        }
        else
        {
            bytes = PercentDecode(url, payload);
        }
        if (bytes.LongLength > Options.MaxBytes)
        {
            TooLarge(url, bytes.LongLength);
        }
        if (bytes.Length == 0)
        {
            throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url, $"The data: URI {Describe(url)} carries no data.");
        }
        return bytes;
    }

    /// <summary>Decodes %XX escapes to bytes; other characters are taken as UTF-8.</summary>
    private static byte[] PercentDecode(string url, ReadOnlySpan<char> text)
    {
        var output = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                {
                    throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url, $"The data: URI {Describe(url)} has an invalid percent escape at character {i} of its data.");
                }
                output.Add((byte)((HexValue(text[i + 1]) << 4) | HexValue(text[i + 2])));
                i += 2;
            }
            else if (c < 0x80)
            {
                output.Add((byte)c);
            }
            else
            {
                var length = char.IsHighSurrogate(c) && i + 1 < text.Length
                    ? Encoding.UTF8.GetBytes(text.Slice(i++, 2), utf8)
                    : Encoding.UTF8.GetBytes(text.Slice(i, 1), utf8);
                for (var k = 0; k < length; k++)
                {
                    output.Add(utf8[k]);
                }
            }
        }
        return [.. output];
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private async Task<byte[]> ReadFileAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !uri.IsFile)
        {
            throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url, $"The file URL {Describe(url)} is malformed: use file:///absolute/path/to/image.png.");
        }
        if (!string.IsNullOrEmpty(uri.Host) && !uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImageDownloadException(ImageDownloadError.UnsupportedScheme, url, $"The file URL {Describe(url)} names host '{uri.Host}': only local files are read (file:///path or file://localhost/path).");
        }
        // file://localhost/p is file:///p (LocalPath would make it a UNC path).
        var path = string.IsNullOrEmpty(uri.Host) ? uri.LocalPath : new Uri(uri.GetLeftPart(UriPartial.Scheme) + uri.AbsolutePath).LocalPath;
        if (Directory.Exists(path))
        {
            throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url, $"The file URL {Describe(url)} names a directory, not an image file.");
        }
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
            if (stream.Length > Options.MaxBytes)
            {
                TooLarge(url, stream.Length);
            }
            var bytes = new byte[stream.Length];
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            return bytes;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDownloadException(ImageDownloadError.NotFound, url, $"No image at {Describe(url)}: the file {path} does not exist.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ImageDownloadException(ImageDownloadError.AccessDenied, url, $"The image at {Describe(url)} may not be read.", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new ImageDownloadException(ImageDownloadError.NotFound, url, $"The file at {Describe(url)} changed while it was read.", ex);
        }
    }

    private async Task<byte[]> GetHttpAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ImageDownloadException(ImageDownloadError.InvalidUrl, url, $"The URL {Describe(url)} is malformed.");
        }
        var seconds = Options.HttpTimeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.HttpTimeout);
        try
        {
            var http = _http ?? s_sharedHttp.Value;
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                throw new ImageDownloadException(ImageDownloadError.NotFound, url, $"No image at {Describe(url)}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new ImageDownloadException(ImageDownloadError.Unreachable, url, $"Could not download {Describe(url)}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
            if (response.Content.Headers.ContentLength is { } declared && declared > Options.MaxBytes)
            {
                TooLarge(url, declared);
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = await body.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > Options.MaxBytes)
                {
                    TooLarge(url, buffer.Length + n);
                }
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImageDownloadException(ImageDownloadError.Unreachable, url, $"Could not download {Describe(url)} within {seconds} s.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ImageDownloadException(ImageDownloadError.Unreachable, url, $"Could not download {Describe(url)}: {ex.Message}", ex);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void TooLarge(string url, long size)
        => throw new ImageDownloadException(ImageDownloadError.TooLarge, url, $"The image at {Describe(url)} is too large: {size} bytes, at most {Options.MaxBytes} accepted.");
}
