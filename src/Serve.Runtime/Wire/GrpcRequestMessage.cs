using System.Buffers;
using System.IO.Pipelines;

namespace Serve.Wire;

/// <summary>
/// One received message, handed out by <see cref="GrpcMessageReader"/> without copying where possible.
/// </summary>
/// <remarks>
/// <para>
/// Lifetime: <see cref="Payload"/> is valid until <see cref="Complete"/> (or <see cref="Dispose"/>) is called,
/// and no longer. For an uncompressed message the payload is a slice of the <see cref="PipeReader"/>'s own
/// buffer (Kestrel's request body memory); the reader is advanced past it only by <see cref="Complete"/>, so
/// the dispatcher parses the request straight from the pipe and calls <see cref="Complete"/> once it has
/// parsed (or once the call finished). For a compressed message the payload is a decompressed copy in a
/// rented array that <see cref="Complete"/> returns to the pool; the pipe was already advanced.
/// </para>
/// <para>
/// Call <see cref="Complete"/> exactly once (it is a struct: copies share the same buffers), and before the
/// next read from the same <see cref="PipeReader"/>. A <c>default</c> instance is empty and its
/// <see cref="Complete"/> does nothing.
/// </para>
/// </remarks>
internal readonly struct GrpcRequestMessage : IDisposable
{
    private readonly PipeReader? _reader;
    private readonly SequencePosition _consumed;
    private readonly byte[]? _rented;

    /// <summary>A message that borrows the pipe's buffer up to <paramref name="consumed"/>.</summary>
    internal GrpcRequestMessage(ReadOnlySequence<byte> payload, bool compressed, PipeReader reader, SequencePosition consumed)
    {
        Payload = payload;
        WasCompressed = compressed;
        _reader = reader;
        _consumed = consumed;
    }

    /// <summary>A message that owns a rented array (the decompressed payload).</summary>
    internal GrpcRequestMessage(byte[] rented, int length)
    {
        Payload = new ReadOnlySequence<byte>(rented, 0, length);
        WasCompressed = true;
        _rented = rented;
    }

    /// <summary>The (decompressed) message bytes; valid until <see cref="Complete"/>.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>Whether the message arrived compressed (and was decompressed).</summary>
    public bool WasCompressed { get; }

    /// <summary>
    /// Releases the payload: advances the pipe past the message or returns the rented array. Never throws for a client
    /// that left: once a stream is reset or its connection is gone, Kestrel's body reader refuses every call (an
    /// <see cref="IOException"/>) and there is nothing left to release; thrown from a <c>finally</c>, that error used to
    /// end the call before it was logged.
    /// </summary>
    public void Complete()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
        if (_reader is null)
        {
            return;
        }
        try
        {
            _reader.AdvanceTo(_consumed);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client reset the stream or its connection went.
        }
    }

    /// <summary>Same as <see cref="Complete"/>.</summary>
    public void Dispose() => Complete();
}
