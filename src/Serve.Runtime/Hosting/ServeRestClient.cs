using System.Net.Sockets;
using System.Text;
using Serve.Dashboard;

namespace Serve.Hosting;

/// <summary>The CLI's side of the REST API (<c>/api/serve/applications/</c>): one request, errors as messages.</summary>
internal sealed class ServeRestClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _address;

    public ServeRestClient(string address)
    {
        _address = address.TrimEnd('/');
        Endpoint = _address + DashboardApi.ApplicationsPath;
        // An apply waits for replicas to start, which may take long; only connecting has a limit.
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The URL requests go to.</summary>
    public string Endpoint { get; }

    /// <summary>What the server answered, or why it could not be asked.</summary>
    public readonly record struct Response(bool Succeeded, string Body, string Error);

    public async Task<Response> SendAsync(HttpMethod method, string? yaml, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return new Response(false, "", $"--address: '{_address}' is not an http:// address, e.g. {ServeCommandLine.DefaultAddress}.");
        }
        using var request = new HttpRequestMessage(method, uri);
        if (yaml is not null)
        {
            request.Content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        }
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return new Response(true, body, "");
            }
            var detail = body.Length == 0 ? response.ReasonPhrase : body;
            return new Response(false, body, $"Serve at {_address} answered {(int)response.StatusCode}: {detail}");
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException socket ? socket.Message : ex.Message;
            return new Response(false, "",
                $"Could not reach Serve's REST API at {_address}: {reason}. Is `{ServeCommandLine.ProgramName} run` running there? It serves the API on port "
                + $"{ServeHostOptions.DefaultDashboardPort} unless --dashboard-port says otherwise; pass its address with --address.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Response(false, "", $"Could not reach Serve's REST API at {_address}: connecting timed out.");
        }
    }

    public void Dispose() => _http.Dispose();
}
