using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Serve.Http;

namespace Serve.Proxy.Http;

/// <summary>
/// Reads HTTP request bodies whole, before the method runs: at most <c>http_options.max_request_body_size</c> bytes
/// each (413 beyond), and all bodies held at once within <c>http_options.request_body_memory_limit</c>.
/// </summary>
internal sealed class RequestBodyReader
{
    private readonly long _maxBodySize;
    private readonly MemoryBudget _budget;

    /// <param name="maxBodySize">The largest body accepted.</param>
    /// <param name="memoryLimit">The bytes all bodies may hold at once; raised to <paramref name="maxBodySize"/> so that
    /// one body of the largest size always fits.</param>
    public RequestBodyReader(long maxBodySize, long memoryLimit)
    {
        _maxBodySize = maxBodySize;
        _budget = new MemoryBudget(Math.Max(memoryLimit, maxBodySize));
    }

    /// <summary>
    /// Reads the whole request body into one pooled array, freeing Kestrel's buffers as it goes, so that a body costs
    /// about its size once and large bodies reuse memory instead of leaving it to the garbage collector. The caller
    /// gives the array and its share of the <see cref="MemoryBudget"/> back with <see cref="Release"/> when
    /// the method returned.
    /// </summary>
    public async Task<RequestBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return default;
        }
        if (request.ContentLength is { } declared)
        {
            if (declared > _maxBodySize)
            {
                throw new BodyNotReadException(413, $"Request body of {declared} bytes is larger than the limit of {_maxBodySize} bytes.");
            }
            // Waits, in arrival order, while other bodies hold the budget; the body stays in the client's buffers meanwhile.
            var reserved = Math.Min(PooledSize((int)declared), _budget.Limit);
            await _budget.AcquireAsync(reserved, cancellationToken).ConfigureAwait(false);
            var array = ArrayPool<byte>.Shared.Rent((int)declared);
            var body = new RequestBody(array, (int)declared, reserved);
            try
            {
                await ReadDeclaredAsync(request.BodyReader, array.AsMemory(0, (int)declared), cancellationToken).ConfigureAwait(false);
                return body;
            }
            catch
            {
                Release(body);
                throw;
            }
        }
        return await ReadChunkedAsync(request.BodyReader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The length of the array the shared pool rents for <paramref name="length"/> bytes: the next power of two, up to 1 GiB.</summary>
    private static long PooledSize(int length)
        => length > 1 << 30 ? length : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 16));

    /// <summary>Gives a body's array back to the pool and its bytes back to the budget.</summary>
    public void Release(RequestBody body)
    {
        if (body.Array is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        _budget.Release(body.Reserved);
    }

    private static async Task ReadDeclaredAsync(PipeReader reader, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var take = (int)Math.Min(buffer.Length, destination.Length - filled);
            buffer.Slice(0, take).CopyTo(destination.Span[filled..]);
            filled += take;
            reader.AdvanceTo(buffer.GetPosition(take));
            if (filled < destination.Length && (result.IsCompleted || result.IsCanceled))
            {
                // Kestrel reports a body shorter than its Content-Length itself; a cancelled read is the request's end.
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }

    /// <summary>
    /// A body of unknown length: copied into pooled chunks as it arrives (each reserved from the budget without
    /// waiting; 503 when there is no room), then into one pooled array of its size, which takes the chunks' place.
    /// </summary>
    private async Task<RequestBody> ReadChunkedAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        // Each chunk's capacity is what was reserved for it; the pool may hand out a longer array.
        var chunks = new List<(byte[] Array, int Capacity)>();
        long reserved = 0;
        var total = 0;
        var used = 0;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (total + buffer.Length > _maxBodySize)
                {
                    throw new BodyNotReadException(413, $"Request body is larger than the limit of {_maxBodySize} bytes.");
                }
                foreach (var segment in buffer)
                {
                    var source = segment.Span;
                    while (!source.IsEmpty)
                    {
                        if (chunks.Count == 0 || used == chunks[^1].Capacity)
                        {
                            // 16 KB, doubling up to 1 MB: small bodies take little, large ones few chunks. Never more than
                            // the body may still grow by, so that a body within max_request_body_size always fits a
                            // budget of that size on its own.
                            var size = (int)Math.Min(chunks.Count == 0 ? 16 * 1024 : Math.Min(chunks[^1].Capacity * 2, 1024 * 1024),
                                _maxBodySize - total);
                            if (!_budget.TryAcquire(size))
                            {
                                throw new BodyNotReadException(503, $"Request bodies may hold {_budget.Limit} bytes at once, and this one does not fit with those in progress; retry, or send a Content-Length to wait for room.");
                            }
                            reserved += size;
                            chunks.Add((ArrayPool<byte>.Shared.Rent(size), size));
                            used = 0;
                        }
                        var n = Math.Min(source.Length, chunks[^1].Capacity - used);
                        source[..n].CopyTo(chunks[^1].Array.AsSpan(used));
                        used += n;
                        total += n;
                        source = source[n..];
                    }
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
            if (total == 0)
            {
                return default;
            }

            var array = ArrayPool<byte>.Shared.Rent(total);
            var offset = 0;
            for (var i = 0; i < chunks.Count; i++)
            {
                var length = i == chunks.Count - 1 ? used : chunks[i].Capacity;
                chunks[i].Array.AsSpan(0, length).CopyTo(array.AsSpan(offset));
                offset += length;
            }
            // The array takes the chunks' place in the budget. What it holds beyond them (the pool's rounding up) is
            // taken if free, never waited for: while it is not, it is counted at the chunks' size.
            var hold = Math.Min(array.Length, _budget.Limit);
            if (hold > reserved && !_budget.TryAcquire(hold - reserved))
            {
                hold = reserved;
            }
            _budget.Release(reserved - hold);
            reserved = 0;
            return new RequestBody(array, total, hold);
        }
        catch
        {
            _budget.Release(reserved);
            throw;
        }
        finally
        {
            foreach (var chunk in chunks)
            {
                ArrayPool<byte>.Shared.Return(chunk.Array);
            }
        }
    }

    /// <summary>A request body in a pooled array (none when the body is empty), and the bytes of the budget it holds.</summary>
    public readonly record struct RequestBody(byte[]? Array, int Length, long Reserved)
    {
        public ReadOnlyMemory<byte> Memory => Array is null ? ReadOnlyMemory<byte>.Empty : Array.AsMemory(0, Length);
    }
}

/// <summary>An answer given before the request body was read to its end: Kestrel closes the connection after it.</summary>
internal sealed class BodyNotReadException(int statusCode, string detail) : HttpException(statusCode, detail);
