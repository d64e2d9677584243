namespace Serve.Http;

/// <summary>
/// Base of the route attributes: binds a deployment method to an HTTP method and a route template
/// under the application's <c>route_prefix</c> (FastAPI's <c>@app.get("/items/{id}")</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public abstract class HttpMethodAttribute : Attribute
{
    /// <summary>Sets the HTTP method and template.</summary>
    protected HttpMethodAttribute(string httpMethod, string template)
    {
        HttpMethod = httpMethod;
        Template = template;
    }

    /// <summary>The HTTP method: GET, POST, PUT, DELETE or PATCH.</summary>
    public string HttpMethod { get; }

    /// <summary>
    /// The route template relative to the route prefix, e.g. <c>/items/{id}</c>. Literal segments
    /// match exactly (case-sensitive); <c>{name}</c> captures one segment into the parameter of
    /// that name.
    /// </summary>
    public string Template { get; }

    /// <summary>The status code of a successful response (FastAPI's <c>status_code</c>). Default 200.</summary>
    public int StatusCode { get; set; } = 200;
}

/// <summary>Binds a method to GET requests on <paramref name="template"/>.</summary>
/// <param name="template">The route template relative to the route prefix.</param>
public sealed class HttpGetAttribute(string template = "/") : HttpMethodAttribute("GET", template);

/// <summary>Binds a method to POST requests on <paramref name="template"/>.</summary>
/// <param name="template">The route template relative to the route prefix.</param>
public sealed class HttpPostAttribute(string template = "/") : HttpMethodAttribute("POST", template);

/// <summary>Binds a method to PUT requests on <paramref name="template"/>.</summary>
/// <param name="template">The route template relative to the route prefix.</param>
public sealed class HttpPutAttribute(string template = "/") : HttpMethodAttribute("PUT", template);

/// <summary>Binds a method to DELETE requests on <paramref name="template"/>.</summary>
/// <param name="template">The route template relative to the route prefix.</param>
public sealed class HttpDeleteAttribute(string template = "/") : HttpMethodAttribute("DELETE", template);

/// <summary>Binds a method to PATCH requests on <paramref name="template"/>.</summary>
/// <param name="template">The route template relative to the route prefix.</param>
public sealed class HttpPatchAttribute(string template = "/") : HttpMethodAttribute("PATCH", template);

/// <summary>
/// Makes a method the plain HTTP ingress of its deployment (Ray Serve's <c>__call__(request)</c>):
/// every request under the route prefix, whatever its method and path, arrives as an
/// <see cref="HttpRequestData"/>. A deployment has either one plain ingress or routed methods.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class HttpIngressAttribute : Attribute
{
}

/// <summary>Binds a parameter from a route template segment (the default for names in the template).</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class FromRouteAttribute : Attribute
{
    /// <summary>The segment name in the template; default the parameter's name.</summary>
    public string? Name { get; set; }
}

/// <summary>Binds a parameter from the query string (the default for simple types not in the template).</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class FromQueryAttribute : Attribute
{
    /// <summary>The query key; default the parameter's name.</summary>
    public string? Name { get; set; }
}

/// <summary>Binds a parameter from a request header.</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class FromHeaderAttribute : Attribute
{
    /// <summary>The header name (case-insensitive); default the parameter's name.</summary>
    public string? Name { get; set; }
}

/// <summary>Binds a parameter from the JSON request body (the default for complex types).</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class FromBodyAttribute : Attribute
{
}

/// <summary>
/// Names the System.Text.Json source-generated context that holds the metadata of the deployment's
/// JSON bodies and results, so the host serializes them without reflection (Native AOT). The
/// build fails when a type that needs JSON metadata is missing from the context.
/// </summary>
/// <param name="contextType">A <c>JsonSerializerContext</c> subclass with <c>[JsonSerializable]</c> attributes.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class JsonContextAttribute(Type contextType) : Attribute
{
    /// <summary>The <c>JsonSerializerContext</c> subclass.</summary>
    public Type ContextType { get; } = contextType;
}
