using Serve.Dispatch;

namespace Serve.Routing;

/// <summary>
/// A deployment's HTTP routes, compiled once at deploy time: matching splits the path below the
/// route prefix into segments and compares them with each template; literal segments beat
/// <c>{name}</c> captures, so <c>/items/new</c> wins over <c>/items/{id}</c>.
/// </summary>
internal sealed class HttpRouteTable
{
    private readonly CompiledRoute[] _routes;
    private readonly HttpRouteDefinition? _plainIngress;

    public HttpRouteTable(IReadOnlyList<HttpRouteDefinition> routes)
    {
        _plainIngress = routes.FirstOrDefault(r => r.Template is null);
        _routes = routes.Where(r => r.Template is not null).Select(r => new CompiledRoute(r)).ToArray();
    }

    /// <summary>True when the deployment serves HTTP at all.</summary>
    public bool IsEmpty => _plainIngress is null && _routes.Length == 0;

    /// <summary>
    /// Finds the route for <paramref name="method"/> and <paramref name="path"/>. When the path
    /// matches only under other methods, <paramref name="allowedMethods"/> lists them (405).
    /// </summary>
    public HttpRouteDefinition? Match(string method, string path, out RouteValues values, out string? allowedMethods)
    {
        allowedMethods = null;
        values = default;
        if (_plainIngress is not null)
        {
            return _plainIngress;
        }
        var segments = Split(path);
        CompiledRoute? best = null;
        var bestLiterals = -1;
        List<string>? allowed = null;
        foreach (var route in _routes)
        {
            if (!route.Matches(segments, out var literals))
            {
                continue;
            }
            if (!string.Equals(route.Definition.HttpMethod, method, StringComparison.OrdinalIgnoreCase)
                && !(method == "HEAD" && route.Definition.HttpMethod == "GET"))
            {
                (allowed ??= []).Add(route.Definition.HttpMethod!);
                continue;
            }
            if (literals > bestLiterals)
            {
                best = route;
                bestLiterals = literals;
            }
        }
        if (best is null)
        {
            allowedMethods = allowed is null ? null : string.Join(", ", allowed.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            return null;
        }
        values = best.Capture(segments);
        return best.Definition;
    }

    private static string[] Split(string path)
        => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private sealed class CompiledRoute
    {
        private readonly string?[] _literals;
        private readonly string?[] _names;

        public CompiledRoute(HttpRouteDefinition definition)
        {
            Definition = definition;
            var segments = Split(definition.Template!);
            _literals = new string?[segments.Length];
            _names = new string?[segments.Length];
            for (var i = 0; i < segments.Length; i++)
            {
                var segment = segments[i];
                if (segment.Length > 2 && segment[0] == '{' && segment[^1] == '}')
                {
                    _names[i] = segment[1..^1];
                }
                else
                {
                    _literals[i] = segment;
                }
            }
        }

        public HttpRouteDefinition Definition { get; }

        public bool Matches(string[] segments, out int literals)
        {
            literals = 0;
            if (segments.Length != _literals.Length)
            {
                return false;
            }
            for (var i = 0; i < segments.Length; i++)
            {
                if (_literals[i] is { } literal)
                {
                    if (!string.Equals(literal, segments[i], StringComparison.Ordinal))
                    {
                        return false;
                    }
                    literals++;
                }
            }
            return true;
        }

        public RouteValues Capture(string[] segments)
        {
            List<KeyValuePair<string, string>>? captured = null;
            for (var i = 0; i < segments.Length; i++)
            {
                if (_names[i] is { } name)
                {
                    (captured ??= []).Add(new(name, Uri.UnescapeDataString(segments[i])));
                }
            }
            return new RouteValues(captured);
        }
    }
}

/// <summary>The values a route's <c>{name}</c> segments captured.</summary>
internal readonly struct RouteValues(List<KeyValuePair<string, string>>? values)
{
    public string? Get(string name)
    {
        if (values is null)
        {
            return null;
        }
        foreach (var (key, value) in values)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return value;
            }
        }
        return null;
    }
}
