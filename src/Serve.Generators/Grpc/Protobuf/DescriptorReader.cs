using System;
using System.Collections.Generic;
using System.Text;

namespace Serve.Generators.Protobuf;

/// <summary>The parts of a <c>FileDescriptorProto</c> the generator needs.</summary>
internal sealed class FileDescriptor
{
    public string Name { get; set; } = "";
    public string Package { get; set; } = "";
    public string? CSharpNamespace { get; set; }
    public List<string> Dependencies { get; } = new();
    public List<MessageDescriptor> Messages { get; } = new();
    public List<ServiceDescriptor> Services { get; } = new();
}

internal sealed class MessageDescriptor
{
    public string Name { get; set; } = "";
    public List<MessageDescriptor> Nested { get; } = new();
}

internal sealed class ServiceDescriptor
{
    public string Name { get; set; } = "";
    public List<MethodDescriptor> Methods { get; } = new();
}

internal sealed class MethodDescriptor
{
    public string Name { get; set; } = "";
    public string InputType { get; set; } = "";
    public string OutputType { get; set; } = "";
    public bool ClientStreaming { get; set; }
    public bool ServerStreaming { get; set; }
}

/// <summary>Thrown for a malformed descriptor.</summary>
internal sealed class DescriptorFormatException : Exception
{
    public DescriptorFormatException(string message) : base(message)
    {
    }
}

/// <summary>
/// A minimal protobuf wire-format reader for <c>descriptor.proto</c>'s <c>FileDescriptorProto</c>:
/// varints and length-delimited fields; every other field is skipped.
/// </summary>
internal static class DescriptorReader
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    public static FileDescriptor ReadFile(byte[] data)
    {
        var file = new FileDescriptor();
        var reader = new Reader(data, 0, data.Length);
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == WireLengthDelimited:
                    file.Name = reader.ReadString();
                    break;
                case 2 when wire == WireLengthDelimited:
                    file.Package = reader.ReadString();
                    break;
                case 3 when wire == WireLengthDelimited:
                    file.Dependencies.Add(reader.ReadString());
                    break;
                case 4 when wire == WireLengthDelimited:
                    file.Messages.Add(ReadMessage(reader.ReadSub()));
                    break;
                case 6 when wire == WireLengthDelimited:
                    file.Services.Add(ReadService(reader.ReadSub()));
                    break;
                case 8 when wire == WireLengthDelimited:
                    var options = reader.ReadSub();
                    while (options.Next(out var optionField, out var optionWire))
                    {
                        if (optionField == 37 && optionWire == WireLengthDelimited)
                        {
                            file.CSharpNamespace = options.ReadString();
                        }
                        else
                        {
                            options.Skip(optionWire);
                        }
                    }
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return file;
    }

    private static MessageDescriptor ReadMessage(Reader reader)
    {
        var message = new MessageDescriptor();
        while (reader.Next(out var field, out var wire))
        {
            if (field == 1 && wire == WireLengthDelimited)
            {
                message.Name = reader.ReadString();
            }
            else if (field == 3 && wire == WireLengthDelimited)
            {
                message.Nested.Add(ReadMessage(reader.ReadSub()));
            }
            else
            {
                reader.Skip(wire);
            }
        }
        return message;
    }

    private static ServiceDescriptor ReadService(Reader reader)
    {
        var service = new ServiceDescriptor();
        while (reader.Next(out var field, out var wire))
        {
            if (field == 1 && wire == WireLengthDelimited)
            {
                service.Name = reader.ReadString();
            }
            else if (field == 2 && wire == WireLengthDelimited)
            {
                service.Methods.Add(ReadMethod(reader.ReadSub()));
            }
            else
            {
                reader.Skip(wire);
            }
        }
        return service;
    }

    private static MethodDescriptor ReadMethod(Reader reader)
    {
        var method = new MethodDescriptor();
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == WireLengthDelimited:
                    method.Name = reader.ReadString();
                    break;
                case 2 when wire == WireLengthDelimited:
                    method.InputType = reader.ReadString();
                    break;
                case 3 when wire == WireLengthDelimited:
                    method.OutputType = reader.ReadString();
                    break;
                case 5 when wire == WireVarint:
                    method.ClientStreaming = reader.ReadVarint() != 0;
                    break;
                case 6 when wire == WireVarint:
                    method.ServerStreaming = reader.ReadVarint() != 0;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return method;
    }

    private sealed class Reader
    {
        private readonly byte[] _data;
        private readonly int _end;
        private int _position;

        public Reader(byte[] data, int start, int end)
        {
            _data = data;
            _position = start;
            _end = end;
        }

        public bool Next(out int field, out int wire)
        {
            if (_position >= _end)
            {
                field = 0;
                wire = 0;
                return false;
            }
            var tag = ReadVarint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            if (field == 0)
            {
                throw new DescriptorFormatException("field number 0");
            }
            return true;
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _end)
                {
                    throw new DescriptorFormatException("truncated varint");
                }
                var b = _data[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }
            throw new DescriptorFormatException("malformed varint");
        }

        public Reader ReadSub()
        {
            var length = ReadLength();
            var sub = new Reader(_data, _position, _position + length);
            _position += length;
            return sub;
        }

        public string ReadString()
        {
            var length = ReadLength();
            var value = Encoding.UTF8.GetString(_data, _position, length);
            _position += length;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireVarint:
                    ReadVarint();
                    break;
                case WireFixed64:
                    Advance(8);
                    break;
                case WireLengthDelimited:
                    Advance(ReadLength());
                    break;
                case WireFixed32:
                    Advance(4);
                    break;
                default:
                    throw new DescriptorFormatException("unsupported wire type " + wire.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        private int ReadLength()
        {
            var length = ReadVarint();
            if (length > (ulong)(_end - _position))
            {
                throw new DescriptorFormatException("length past the end of the data");
            }
            return (int)length;
        }

        private void Advance(int count)
        {
            if (count > _end - _position)
            {
                throw new DescriptorFormatException("truncated field");
            }
            _position += count;
        }
    }
}
