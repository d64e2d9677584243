namespace Serve.Routing;

/// <summary>
/// One proxied request on its way to a replica, as <see cref="ReplicaCallRunner"/> drives it: the proxy's call type
/// (gRPC or HTTP) supplies only what differs between protocols — reading the request, running the generated invoker,
/// answering a deadline — and the runner does the rest the same way for both.
/// </summary>
internal interface IReplicaCall
{
    /// <summary>The request's context: its id, application, multiplexed model id and route.</summary>
    ServeRequestContext RequestContext { get; }

    /// <summary>Gives the call the token its method sees: the client's abort, linked with the deadline when there is one.</summary>
    void SetCancellationToken(CancellationToken cancellationToken);

    /// <summary>Reads what must be read before a replica is taken (a unary request message, an HTTP body).</summary>
    ValueTask PrepareAsync();

    /// <summary>Runs the deployment method on the replica's <paramref name="instance"/>.</summary>
    ValueTask InvokeAsync(object instance);

    /// <summary>Answers a passed deadline the protocol's way (DEADLINE_EXCEEDED, 408) and drops the method's later writes.</summary>
    Task AnswerDeadlineAsync(TimeSpan timeout);

    /// <summary>
    /// Answers UNAVAILABLE (503) with <paramref name="message"/> for a request whose replica was stopped while the method ran,
    /// and drops the method's later writes.
    /// </summary>
    Task AnswerUnavailableAsync(string message);

    /// <summary>Gives back what <see cref="PrepareAsync"/> holds (request buffers), once the method has returned.</summary>
    void Release();

    /// <summary>True once reading or writing found the client gone, which Kestrel may report before <c>RequestAborted</c> fires.</summary>
    bool ClientGone { get; }

    /// <summary>True when the response was streamed, so <see cref="DrainResponsesAsync"/> may have something to wait for.</summary>
    bool StreamedResponses { get; }

    /// <summary>Waits until what a lagging client has not read yet reached its connection.</summary>
    Task DrainResponsesAsync();
}
