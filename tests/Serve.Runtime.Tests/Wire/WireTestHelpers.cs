using System.Buffers;
using System.IO.Compression;
using Serve.Wire;

namespace Serve.Runtime.Tests.Wire;

/// <summary>Builds frames and multi-segment sequences for the wire tests.</summary>
internal static class WireTestHelpers
{
    public static byte[] Frame(byte[] payload, bool compressed = false)
    {
        var frame = new byte[GrpcProtocol.MessagePrefixSize + payload.Length];
        GrpcFraming.WriteHeader(frame, compressed, payload.Length);
        payload.CopyTo(frame, GrpcProtocol.MessagePrefixSize);
        return frame;
    }

    public static byte[] Frame(byte flag, uint declaredLength, byte[] payload)
    {
        var frame = new byte[GrpcProtocol.MessagePrefixSize + payload.Length];
        frame[0] = flag;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength);
        payload.CopyTo(frame, GrpcProtocol.MessagePrefixSize);
        return frame;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    public static byte[] Gunzip(ReadOnlySpan<byte> data)
    {
        using var input = new MemoryStream(data.ToArray());
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>A sequence with one segment per part, split at <paramref name="splitPoints"/> (ascending).</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, params int[] splitPoints)
    {
        var bounds = new List<int> { 0 };
        bounds.AddRange(splitPoints);
        bounds.Add(data.Length);
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i < bounds.Count - 1; i++)
        {
            var memory = data.AsMemory(bounds[i], bounds[i + 1] - bounds[i]);
            if (first is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>A sequence of one-byte segments.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data) =>
        Segmented(data, Enumerable.Range(1, Math.Max(0, data.Length - 1)).ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
