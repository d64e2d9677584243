using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Serve.Proxy.Grpc.BuiltIn;

/// <summary>
/// What server reflection looks things up in: the given <c>.proto</c> files and everything they import,
/// indexed by file name, by fully qualified symbol (services, methods, messages and nested messages,
/// fields, oneofs, enums, enum values, extensions) and by extension.
/// </summary>
internal sealed class SymbolIndex
{
    private readonly Dictionary<string, FileDescriptor> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileDescriptor> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Extendee, int Number), FileDescriptor> _extensions = [];
    private readonly Dictionary<string, SortedSet<int>> _extensionNumbers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _messageTypes = new(StringComparer.Ordinal);

    /// <summary>
    /// Indexes <paramref name="files"/> and their transitive imports. When two files share a name, or two
    /// files declare the same symbol, the first one wins.
    /// </summary>
    public SymbolIndex(IEnumerable<FileDescriptor> files)
    {
        var pending = new Queue<FileDescriptor>(files);
        while (pending.TryDequeue(out var file))
        {
            if (!_files.TryAdd(file.Name, file))
            {
                continue;
            }
            AddFile(file);
            foreach (var dependency in file.Dependencies)
            {
                pending.Enqueue(dependency);
            }
        }
    }

    /// <summary>The names of every indexed file, in ordinal order.</summary>
    public IEnumerable<string> FileNames => _files.Keys.Order(StringComparer.Ordinal);

    public bool TryGetFile(string name, out FileDescriptor file) => _files.TryGetValue(name, out file!);

    public bool TryGetFileContainingSymbol(string symbol, out FileDescriptor file) => _symbols.TryGetValue(symbol, out file!);

    public bool TryGetFileContainingExtension(string extendee, int number, out FileDescriptor file)
        => _extensions.TryGetValue((extendee, number), out file!);

    /// <summary>
    /// The extension numbers of message type <paramref name="messageType"/> (empty when it has none); false
    /// when the type is not a known message.
    /// </summary>
    public bool TryGetExtensionNumbers(string messageType, out IReadOnlyList<int> numbers)
    {
        if (!_messageTypes.Contains(messageType))
        {
            numbers = [];
            return false;
        }
        numbers = _extensionNumbers.TryGetValue(messageType, out var set) ? [.. set] : [];
        return true;
    }

    /// <summary>
    /// The serialized <c>FileDescriptorProto</c>s to send for <paramref name="file"/>: the file itself (always,
    /// so that a client asking again gets an answer), then its transitive imports in breadth-first order,
    /// skipping those already in <paramref name="sent"/>. Every file returned is added to <paramref name="sent"/>.
    /// This is what gRPC's own reflection servers send: a client can build a descriptor pool from the answers
    /// of one stream without asking for imports one by one.
    /// </summary>
    public static List<ByteString> FileWithDependencies(FileDescriptor file, ISet<string> sent)
    {
        var result = new List<ByteString>();
        var queue = new Queue<FileDescriptor>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        queue.Enqueue(file);
        while (queue.TryDequeue(out var current))
        {
            if (!visited.Add(current.Name))
            {
                continue;
            }
            if (sent.Add(current.Name) || result.Count == 0)
            {
                result.Add(current.SerializedData);
            }
            foreach (var dependency in current.Dependencies)
            {
                queue.Enqueue(dependency);
            }
        }
        return result;
    }

    private void AddFile(FileDescriptor file)
    {
        foreach (var service in file.Services)
        {
            AddSymbol(service.FullName, file);
            foreach (var method in service.Methods)
            {
                AddSymbol(method.FullName, file);
            }
        }
        foreach (var message in file.MessageTypes)
        {
            AddMessage(message, file);
        }
        foreach (var enumType in file.EnumTypes)
        {
            AddEnum(enumType, file.Package, file);
        }
        AddExtensions(file.Extensions.UnorderedExtensions, file);
    }

    private void AddMessage(MessageDescriptor message, FileDescriptor file)
    {
        AddSymbol(message.FullName, file);
        _messageTypes.Add(message.FullName);
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            AddSymbol(field.FullName, file);
        }
        foreach (var oneof in message.Oneofs)
        {
            AddSymbol(oneof.FullName, file);
        }
        foreach (var nested in message.NestedTypes)
        {
            AddMessage(nested, file);
        }
        foreach (var enumType in message.EnumTypes)
        {
            AddEnum(enumType, message.FullName, file);
        }
        AddExtensions(message.Extensions.UnorderedExtensions, file);
    }

    private void AddEnum(EnumDescriptor enumType, string scope, FileDescriptor file)
    {
        AddSymbol(enumType.FullName, file);
        foreach (var value in enumType.Values)
        {
            // protoc scopes enum values as siblings of their enum (package.VALUE); the C# runtime's full
            // name puts them inside it (package.Enum.VALUE). Either finds the file.
            AddSymbol(scope.Length == 0 ? value.Name : scope + "." + value.Name, file);
            AddSymbol(value.FullName, file);
        }
    }

    private void AddExtensions(IList<FieldDescriptor> extensions, FileDescriptor file)
    {
        foreach (var extension in extensions)
        {
            AddSymbol(extension.FullName, file);
            var extendee = extension.ExtendeeType.FullName;
            _extensions.TryAdd((extendee, extension.FieldNumber), file);
            if (!_extensionNumbers.TryGetValue(extendee, out var numbers))
            {
                _extensionNumbers[extendee] = numbers = [];
            }
            numbers.Add(extension.FieldNumber);
        }
    }

    private void AddSymbol(string name, FileDescriptor file) => _symbols.TryAdd(name, file);
}
