using System.Net;
using System.Net.Sockets;
using System.Text;
using ImageClassification;

namespace Serve.ImageClassifier.Tests;

public sealed class ImageDownloaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("serve-imgdl-");
    private readonly ImageDownloader _downloader = new();

    public void Dispose() => _dir.Delete(recursive: true);

    private async Task<ImageDownloadException> FailsAsync(string url, ImageDownloadError expected, ImageDownloader? downloader = null)
    {
        var ex = await Assert.ThrowsAsync<ImageDownloadException>(() => (downloader ?? _downloader).DownloadAsync(url));
        Assert.Equal(expected, ex.Error);
        Assert.Equal(url, ex.Url);
        return ex;
    }

    // ---- file:// ---------------------------------------------------------------------------------

    [Fact]
    public async Task File_urls_read_local_files()
    {
        var path = Path.Combine(_dir.FullName, "a b%.png");
        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        var url = new Uri(path).AbsoluteUri; // file:///tmp/.../a%20b%25.png

        Assert.Equal([1, 2, 3], await _downloader.DownloadAsync(url));
        Assert.Equal([1, 2, 3], await _downloader.DownloadAsync("file://localhost" + new Uri(path).AbsolutePath));
    }

    [Fact]
    public async Task A_shipped_image_is_read_through_its_file_url()
    {
        var path = TestFiles.Image("digit-3.png");
        Assert.Equal(await File.ReadAllBytesAsync(path), await _downloader.DownloadAsync(new Uri(path).AbsoluteUri));
    }

    [Fact]
    public async Task A_missing_file_is_not_found_and_named()
    {
        var url = "file://" + Path.Combine(_dir.FullName, "nope.png");
        var ex = await FailsAsync(url, ImageDownloadError.NotFound);
        Assert.Contains($"'{url}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);

        await FailsAsync("file:///no/such/dir/x.png", ImageDownloadError.NotFound);
    }

    [Fact]
    public async Task A_directory_is_an_invalid_url()
    {
        var ex = await FailsAsync(new Uri(_dir.FullName).AbsoluteUri, ImageDownloadError.InvalidUrl);
        Assert.Contains("directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_of_other_hosts_are_not_read()
    {
        var ex = await FailsAsync("file://fileserver/share/a.png", ImageDownloadError.UnsupportedScheme);
        Assert.Contains("host 'fileserver'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_larger_than_the_limit_are_refused()
    {
        var path = Path.Combine(_dir.FullName, "big.png");
        await File.WriteAllBytesAsync(path, new byte[101]);
        var small = new ImageDownloader(new ImageDownloaderOptions { MaxBytes = 100 });
        var ex = await FailsAsync(new Uri(path).AbsoluteUri, ImageDownloadError.TooLarge, small);
        Assert.Contains("101 bytes, at most 100", ex.Message, StringComparison.Ordinal);
    }

    // ---- data: -----------------------------------------------------------------------------------

    [Fact]
    public async Task Data_uris_carry_base64()
    {
        byte[] bytes = [0x89, 0x50, 0x4E, 0x47, 0xFB, 0xFF];
        var base64 = Convert.ToBase64String(bytes); // contains '+' or '/' and '=' padding
        Assert.Equal(bytes, await _downloader.DownloadAsync("data:image/png;base64," + base64));
        Assert.Equal(bytes, await _downloader.DownloadAsync("DATA:;BASE64," + base64));
        // Percent-encoded base64 (as some encoders write '+', '/' and '='), and line breaks, are accepted.
        Assert.Equal(bytes, await _downloader.DownloadAsync("data:image/png;base64," + Uri.EscapeDataString(base64)));
        Assert.Equal(bytes, await _downloader.DownloadAsync("data:image/png;base64," + base64[..4] + "\r\n" + base64[4..]));
    }

    [Fact]
    public async Task Data_uris_carry_percent_encoded_bytes()
    {
        Assert.Equal(Encoding.ASCII.GetBytes("P5 1 1 255\n\0"), await _downloader.DownloadAsync("data:image/x-portable-graymap,P5%201%201%20255%0A%00"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], await _downloader.DownloadAsync("data:,%89PNG"));
        Assert.Equal(Encoding.UTF8.GetBytes("é"), await _downloader.DownloadAsync("data:text/plain;charset=utf-8,é"));
    }

    [Theory]
    [InlineData("data:image/png;base64", ImageDownloadError.InvalidUrl, "no ','")]
    [InlineData("data:image/png;base64,***", ImageDownloadError.InvalidUrl, "not valid base64")]
    [InlineData("data:,abc%4", ImageDownloadError.InvalidUrl, "invalid percent escape at character 3")]
    [InlineData("data:,abc%zz", ImageDownloadError.InvalidUrl, "invalid percent escape")]
    [InlineData("data:image/png;base64,", ImageDownloadError.InvalidUrl, "carries no data")]
    public async Task Bad_data_uris_are_invalid(string url, ImageDownloadError error, string expected)
    {
        var ex = await FailsAsync(url, error);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_urls_are_shortened_in_messages()
    {
        var url = "data:image/png;base64," + new string('A', 10_000) + "*";
        var ex = await FailsAsync(url, ImageDownloadError.InvalidUrl);
        Assert.Contains($"({url.Length} characters)", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 300, ex.Message);
    }

    [Fact]
    public async Task Data_larger_than_the_limit_is_refused()
    {
        var small = new ImageDownloader(new ImageDownloaderOptions { MaxBytes = 100 });
        await FailsAsync("data:;base64," + Convert.ToBase64String(new byte[101]), ImageDownloadError.TooLarge, small);
        await FailsAsync("data:;base64," + Convert.ToBase64String(new byte[1000]), ImageDownloadError.TooLarge, small);
        Assert.Equal(100, (await small.DownloadAsync("data:;base64," + Convert.ToBase64String(new byte[100]))).Length);
    }

    // ---- schemes ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("ftp://example.com/a.png", "Unsupported URL scheme 'ftp'")]
    [InlineData("s3://bucket/a.png", "Unsupported URL scheme 's3'")]
    [InlineData("gs://bucket/a.png", "Unsupported URL scheme 'gs'")]
    [InlineData("mailto:someone@example.com", "Unsupported URL scheme 'mailto'")]
    public async Task Unsupported_schemes_are_named(string url, string expected)
    {
        var ex = await FailsAsync(url, ImageDownloadError.UnsupportedScheme);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(url, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/tmp/image.png", "has no scheme")]
    [InlineData("images/digit-3.png", "has no scheme")]
    [InlineData("C:\\images\\a.png", "has no scheme")]
    [InlineData("", "url is empty")]
    [InlineData("   ", "url is empty")]
    public async Task Urls_without_a_scheme_are_invalid(string url, string expected)
    {
        var ex = await Assert.ThrowsAsync<ImageDownloadException>(() => _downloader.DownloadAsync(url));
        Assert.Equal(ImageDownloadError.InvalidUrl, ex.Error);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    // ---- http(s) ---------------------------------------------------------------------------------

    [Fact]
    public async Task Http_urls_are_fetched_when_reachable()
    {
        await using var server = TinyHttpServer.Start(path => path == "/digit.png" ? (200, [1, 2, 3, 4]) : (404, []));
        Assert.Equal([1, 2, 3, 4], await _downloader.DownloadAsync($"http://127.0.0.1:{server.Port}/digit.png"));

        var ex = await FailsAsync($"http://127.0.0.1:{server.Port}/missing.png", ImageDownloadError.NotFound);
        Assert.Contains("404", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_server_errors_and_oversized_bodies_are_reported()
    {
        await using var server = TinyHttpServer.Start(path => path == "/big" ? (200, new byte[500]) : (500, []));
        var ex = await FailsAsync($"http://127.0.0.1:{server.Port}/x", ImageDownloadError.Unreachable);
        Assert.Contains("500", ex.Message, StringComparison.Ordinal);

        var small = new ImageDownloader(new ImageDownloaderOptions { MaxBytes = 100 });
        await FailsAsync($"http://127.0.0.1:{server.Port}/big", ImageDownloadError.TooLarge, small);
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_as_such()
    {
        // A port nothing listens on.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var ex = await FailsAsync($"http://127.0.0.1:{port}/a.png", ImageDownloadError.Unreachable);
        Assert.Contains("Could not download", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_times_out_quickly()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // accepts connections (backlog) but never answers
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var quick = new ImageDownloader(new ImageDownloaderOptions { HttpTimeout = TimeSpan.FromMilliseconds(300) });
            var started = System.Diagnostics.Stopwatch.StartNew();
            var ex = await FailsAsync($"http://127.0.0.1:{port}/slow.png", ImageDownloadError.Unreachable, quick);
            Assert.Contains("within 0.3 s", ex.Message, StringComparison.Ordinal);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), started.Elapsed.ToString());
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_turned_into_a_download_error()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _downloader.DownloadAsync($"http://127.0.0.1:{port}/a.png", cts.Token));
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Answers each HTTP/1.1 request on 127.0.0.1 from a path → (status, body) function, then closes.</summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private TinyHttpServer(Func<string, (int Status, byte[] Body)> handler)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    }
                    catch (Exception) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    using (client)
                    {
                        var stream = client.GetStream();
                        var request = new StringBuilder();
                        var buffer = new byte[1];
                        while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer) == 1)
                        {
                            request.Append((char)buffer[0]);
                        }
                        var path = request.ToString().Split(' ')[1];
                        var (status, body) = handler(path);
                        var head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : status == 404 ? "Not Found" : "Error")}\r\nContent-Length: {body.Length}\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                        await stream.WriteAsync(body);
                    }
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static TinyHttpServer Start(Func<string, (int Status, byte[] Body)> handler) => new(handler);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
