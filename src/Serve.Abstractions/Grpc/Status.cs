namespace Serve.Grpc;

/// <summary>A gRPC status: a code and a human-readable detail message.</summary>
/// <param name="StatusCode">The status code.</param>
/// <param name="Detail">The detail message sent as <c>grpc-message</c>; may be empty.</param>
public readonly record struct Status(StatusCode StatusCode, string Detail)
{
    /// <summary>The OK status with no detail.</summary>
    public static Status DefaultSuccess => new(StatusCode.OK, "");

    /// <inheritdoc />
    public override string ToString() => $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}

/// <summary>
/// Thrown by a deployment method (or by Serve) to end a call with a chosen gRPC status.
/// Any other exception ends the call with INTERNAL.
/// </summary>
public class RpcException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="status"/>.</summary>
    public RpcException(Status status) : base(status.ToString()) => Status = status;

    /// <summary>Creates an exception carrying <paramref name="statusCode"/> and <paramref name="detail"/>.</summary>
    public RpcException(StatusCode statusCode, string detail) : this(new Status(statusCode, detail)) { }

    /// <summary>Creates an exception carrying <paramref name="status"/> and trailing metadata.</summary>
    public RpcException(Status status, Metadata trailers) : this(status) => Trailers = trailers;

    /// <summary>The status the call ends with.</summary>
    public Status Status { get; }

    /// <summary>The status code the call ends with.</summary>
    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>Trailing metadata sent with the status (after <c>request_id</c>).</summary>
    public Metadata Trailers { get; } = new();
}
