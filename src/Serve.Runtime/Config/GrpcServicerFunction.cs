using System.Diagnostics.CodeAnalysis;

namespace Serve.Config;

/// <summary>
/// One parsed <c>grpc_servicer_functions</c> entry: which gRPC service to serve. Two forms are accepted:
/// <list type="bullet">
/// <item>a fully qualified protobuf service name, <c>userdefinedprotos.UserDefinedService</c>
/// (<see cref="IsQualified"/> true; a service in no package is just its name);</item>
/// <item>Ray's Python form, the import path of the generated registration function,
/// <c>user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server</c> (<see cref="IsQualified"/> false,
/// <see cref="ServiceName"/> <c>UserDefinedService</c>, matched against the unqualified name of known services).</item>
/// </list>
/// </summary>
public sealed record GrpcServicerFunction
{
    private const string PythonPrefix = "add_";
    private const string PythonSuffix = "Servicer_to_server";

    private GrpcServicerFunction(string text, string serviceName, bool isQualified, string? pythonModule)
    {
        Raw = text;
        ServiceName = serviceName;
        IsQualified = isQualified;
        PythonModule = pythonModule;
    }

    /// <summary>The entry as written.</summary>
    public string Raw { get; }

    /// <summary>
    /// The service: the fully qualified protobuf name (<c>userdefinedprotos.UserDefinedService</c>) when
    /// <see cref="IsQualified"/>, else the unqualified name taken from Ray's Python form (<c>UserDefinedService</c>).
    /// </summary>
    public string ServiceName { get; }

    /// <summary>True for a fully qualified protobuf service name; false for Ray's Python form, which names the service without its package.</summary>
    public bool IsQualified { get; }

    /// <summary>The service name without its package (the part after the last <c>.</c>), whichever form was written.</summary>
    public string UnqualifiedName => IsQualified ? ServiceName[(ServiceName.LastIndexOf('.') + 1)..] : ServiceName;

    /// <summary>For Ray's Python form, the Python module written before the function (<c>user_defined_protos_pb2_grpc</c>); otherwise null.</summary>
    public string? PythonModule { get; }

    /// <summary>Parses an entry; throws <see cref="FormatException"/> explaining what is accepted.</summary>
    /// <param name="text">The entry.</param>
    /// <returns>The parsed entry.</returns>
    public static GrpcServicerFunction Parse(string text)
        => TryParse(text, out var result, out var error) ? result : throw new FormatException(error);

    /// <summary>Parses an entry without throwing.</summary>
    /// <param name="text">The entry.</param>
    /// <param name="result">The parsed entry, or null.</param>
    /// <returns>Whether <paramref name="text"/> is valid.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out GrpcServicerFunction? result)
        => TryParse(text, out result, out _);

    /// <summary>Parses an entry without throwing, giving the reason when it is invalid.</summary>
    /// <param name="text">The entry.</param>
    /// <param name="result">The parsed entry, or null.</param>
    /// <param name="error">Why <paramref name="text"/> is invalid, or null.</param>
    /// <returns>Whether <paramref name="text"/> is valid.</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? text,
        [NotNullWhen(true)] out GrpcServicerFunction? result,
        [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = Explain(text, "it is empty");
            return false;
        }

        var segments = text.Split('.');
        foreach (var segment in segments)
        {
            if (!IsIdentifier(segment))
            {
                error = Explain(text, segment.Length == 0
                    ? "it has an empty segment between dots"
                    : $"\"{segment}\" is not an identifier (letters, digits and _, not starting with a digit)");
                return false;
            }
        }

        var last = segments[^1];
        if (last.StartsWith(PythonPrefix, StringComparison.Ordinal) && last.EndsWith(PythonSuffix, StringComparison.Ordinal))
        {
            var service = last.Length > PythonPrefix.Length + PythonSuffix.Length
                ? last[PythonPrefix.Length..^PythonSuffix.Length]
                : "";
            if (!IsIdentifier(service))
            {
                error = Explain(text, "the function name has no valid service name between \"add_\" and \"Servicer_to_server\"");
                return false;
            }

            if (segments.Length < 2)
            {
                error = Explain(text, "Ray's Python form needs the module before the function, as in \"module_pb2_grpc.add_<Service>Servicer_to_server\"");
                return false;
            }

            result = new GrpcServicerFunction(text, service, isQualified: false, string.Join('.', segments[..^1]));
            error = null;
            return true;
        }

        result = new GrpcServicerFunction(text, text, isQualified: true, pythonModule: null);
        error = null;
        return true;
    }

    /// <summary>
    /// Whether this entry names the service <paramref name="fullyQualifiedServiceName"/>: an exact (case-sensitive)
    /// match for a qualified entry; for Ray's Python form, a match of the unqualified name (the part after the last dot).
    /// </summary>
    /// <param name="fullyQualifiedServiceName">A service's full protobuf name, e.g. <c>userdefinedprotos.UserDefinedService</c>.</param>
    /// <returns>Whether the entry selects that service.</returns>
    public bool Matches(string fullyQualifiedServiceName)
    {
        if (fullyQualifiedServiceName is null)
        {
            return false;
        }

        if (IsQualified)
        {
            return string.Equals(ServiceName, fullyQualifiedServiceName, StringComparison.Ordinal);
        }

        var unqualified = fullyQualifiedServiceName[(fullyQualifiedServiceName.LastIndexOf('.') + 1)..];
        return string.Equals(ServiceName, unqualified, StringComparison.Ordinal);
    }

    /// <summary>Returns the entry as written.</summary>
    /// <returns><see cref="Raw"/>.</returns>
    public override string ToString() => Raw;

    private static string Explain(string? text, string reason)
        => $"{ConfigRules.Quote(text)} is not a gRPC service: {reason}. Expected a fully qualified protobuf service name such as "
           + "\"userdefinedprotos.UserDefinedService\", or Ray's Python form such as "
           + "\"user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server\".";

    private static bool IsIdentifier(string s)
    {
        if (s.Length == 0 || char.IsAsciiDigit(s[0]))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
