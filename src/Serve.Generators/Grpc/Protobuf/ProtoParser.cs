using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators.Protobuf;

/// <summary>
/// Reads the descriptor of a <c>.proto</c> file from protoc's C# output: the base64 literal of its
/// <c>*Reflection</c> class and the <c>typeof(...)</c> tree that maps proto messages to C# types.
/// Purely syntactic, so it only re-runs when that file changes.
/// </summary>
internal static class ProtoParser
{
    /// <summary>The cheap predicate: a static partial class named <c>*Reflection</c> with a static constructor.</summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken cancellationToken)
    {
        if (node is not ClassDeclarationSyntax cls || !cls.Identifier.ValueText.EndsWith("Reflection", StringComparison.Ordinal))
        {
            return false;
        }
        if (!cls.Modifiers.Any(SyntaxKind.StaticKeyword) || !cls.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return false;
        }
        foreach (var member in cls.Members)
        {
            if (member is ConstructorDeclarationSyntax ctor && ctor.Modifiers.Any(SyntaxKind.StaticKeyword))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Reads one reflection class; null when it is not protoc output.</summary>
    public static ProtoFileModel? Parse(ClassDeclarationSyntax cls, CancellationToken cancellationToken)
    {
        var ctor = cls.Members.OfType<ConstructorDeclarationSyntax>().FirstOrDefault(c => c.Modifiers.Any(SyntaxKind.StaticKeyword));
        if (ctor is null)
        {
            return null;
        }
        InvocationExpressionSyntax? fromBase64 = null;
        InvocationExpressionSyntax? fromGeneratedCode = null;
        foreach (var invocation in ctor.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            var name = invocation.Expression is MemberAccessExpressionSyntax access ? access.Name.Identifier.ValueText : null;
            if (name == "FromBase64String" && fromBase64 is null)
            {
                fromBase64 = invocation;
            }
            else if (name == "FromGeneratedCode" && fromGeneratedCode is null)
            {
                fromGeneratedCode = invocation;
            }
        }
        if (fromBase64 is null || fromGeneratedCode is null || fromBase64.ArgumentList.Arguments.Count != 1)
        {
            return null;
        }
        cancellationToken.ThrowIfCancellationRequested();

        var containingNamespace = GetNamespace(cls);
        var reflectionClass = containingNamespace.Length == 0 ? cls.Identifier.ValueText : containingNamespace + "." + cls.Identifier.ValueText;
        var location = LocationInfo.From(cls.Identifier.GetLocation());

        FileDescriptor file;
        try
        {
            var base64 = ConcatLiterals(fromBase64.ArgumentList.Arguments[0].Expression)
                ?? throw new DescriptorFormatException("the descriptor is not a string literal");
            file = DescriptorReader.ReadFile(Convert.FromBase64String(base64));
        }
        catch (Exception ex) when (ex is DescriptorFormatException or FormatException)
        {
            return Failed(cls, DiagnosticInfo.Create(DiagnosticDescriptors.UnreadableDescriptor, location, reflectionClass, ex.Message));
        }

        var messages = new List<ProtoMessageModel>();
        var infos = GetMessageInfos(fromGeneratedCode);
        var prefix = file.Package.Length == 0 ? "" : file.Package + ".";
        AddMessages(messages, prefix, file.Messages, infos);

        var services = file.Services.Select(s => new ProtoServiceModel(
            s.Name,
            prefix + s.Name,
            s.Methods.Select(m => new ProtoMethodModel(m.Name, TrimDot(m.InputType), TrimDot(m.OutputType), m.ClientStreaming, m.ServerStreaming)).ToEquatableArray()))
            .ToEquatableArray();

        return new ProtoFileModel(
            file.Name,
            file.Package,
            reflectionClass,
            HasDescriptorProperty(cls) ? "global::" + reflectionClass : "",
            messages.ToEquatableArray(),
            services,
            null);
    }

    /// <summary>A file whose descriptor could not be read: it contributes no services, only its diagnostic.</summary>
    public static ProtoFileModel Failed(ClassDeclarationSyntax cls, DiagnosticInfo diagnostic)
    {
        var ns = GetNamespace(cls);
        var name = ns.Length == 0 ? cls.Identifier.ValueText : ns + "." + cls.Identifier.ValueText;
        return new ProtoFileModel(name, "", name, "", EquatableArray<ProtoMessageModel>.Empty, EquatableArray<ProtoServiceModel>.Empty, diagnostic);
    }

    /// <summary>True for a top-level, non-private class with protoc's <c>public static FileDescriptor Descriptor</c> property.</summary>
    private static bool HasDescriptorProperty(ClassDeclarationSyntax cls)
    {
        if (cls.Parent is not (BaseNamespaceDeclarationSyntax or CompilationUnitSyntax) || cls.Modifiers.Any(SyntaxKind.PrivateKeyword))
        {
            return false;
        }
        foreach (var member in cls.Members)
        {
            if (member is PropertyDeclarationSyntax { Identifier.ValueText: "Descriptor" } property
                && property.Modifiers.Any(SyntaxKind.StaticKeyword)
                && !property.Modifiers.Any(SyntaxKind.PrivateKeyword)
                && !property.Modifiers.Any(SyntaxKind.ProtectedKeyword))
            {
                return true;
            }
        }
        return false;
    }

    private static string TrimDot(string name) => name.StartsWith(".", StringComparison.Ordinal) ? name.Substring(1) : name;

    private static void AddMessages(List<ProtoMessageModel> output, string prefix, List<MessageDescriptor> messages, IReadOnlyList<ExpressionSyntax?>? infos)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var info = infos is not null && i < infos.Count ? infos[i] as ObjectCreationExpressionSyntax : null;
            var clrType = "";
            IReadOnlyList<ExpressionSyntax?>? nestedInfos = null;
            if (info?.ArgumentList is { Arguments.Count: > 0 } args)
            {
                if (args.Arguments[0].Expression is TypeOfExpressionSyntax typeOf)
                {
                    clrType = NormalizeTypeName(typeOf.Type);
                }
                nestedInfos = ArrayElements(args.Arguments[args.Arguments.Count - 1].Expression);
            }
            var fullName = prefix + message.Name;
            output.Add(new ProtoMessageModel(fullName, clrType));
            AddMessages(output, fullName + ".", message.Nested, nestedInfos);
        }
    }

    private static List<ExpressionSyntax?>? GetMessageInfos(InvocationExpressionSyntax fromGeneratedCode)
    {
        var args = fromGeneratedCode.ArgumentList.Arguments;
        if (args.Count == 0 || args[args.Count - 1].Expression is not ObjectCreationExpressionSyntax root || root.ArgumentList is not { Arguments.Count: 3 } rootArgs)
        {
            return null;
        }
        return ArrayElements(rootArgs.Arguments[2].Expression);
    }

    private static List<ExpressionSyntax?>? ArrayElements(ExpressionSyntax expression)
    {
        var initializer = expression switch
        {
            ArrayCreationExpressionSyntax array => array.Initializer,
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer,
            _ => null,
        };
        return initializer?.Expressions.Select(e => e.IsKind(SyntaxKind.NullLiteralExpression) ? null : e).ToList();
    }

    private static string NormalizeTypeName(TypeSyntax type)
    {
        var text = type.ToString();
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                builder.Append(c);
            }
        }
        var name = builder.ToString();
        return name.StartsWith("global::", StringComparison.Ordinal) ? name : "global::" + name;
    }

    private static string? ConcatLiterals(ExpressionSyntax expression)
    {
        switch (expression)
        {
            case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression):
                return literal.Token.ValueText;
            case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Concat" } } concat:
                var builder = new StringBuilder();
                foreach (var argument in concat.ArgumentList.Arguments)
                {
                    var part = ConcatLiterals(argument.Expression);
                    if (part is null)
                    {
                        return null;
                    }
                    builder.Append(part);
                }
                return builder.ToString();
            case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression):
                var left = ConcatLiterals(binary.Left);
                var right = ConcatLiterals(binary.Right);
                return left is null || right is null ? null : left + right;
            default:
                return null;
        }
    }

    private static string GetNamespace(SyntaxNode node)
    {
        var parts = new List<string>();
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is BaseNamespaceDeclarationSyntax ns)
            {
                parts.Insert(0, ns.Name.ToString().Replace(" ", ""));
            }
        }
        return string.Join(".", parts);
    }

    /// <summary>Resolves every service's message types across all proto files of the compilation.</summary>
    public static ServiceCatalog BuildCatalog(IEnumerable<ProtoFileModel> files)
    {
        var ordered = files.Where(f => f.Diagnostic is null)
            .OrderBy(f => f.FileName, StringComparer.Ordinal)
            .ThenBy(f => f.ReflectionClass, StringComparer.Ordinal)
            .ToList();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in ordered)
        {
            foreach (var message in file.Messages)
            {
                if (message.ClrType.Length > 0 && !types.ContainsKey(message.FullName))
                {
                    types.Add(message.FullName, message.ClrType);
                }
            }
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var services = new List<ServiceModel>();
        foreach (var file in ordered)
        {
            foreach (var service in file.Services)
            {
                if (!seen.Add(service.FullName))
                {
                    continue;
                }
                var methods = service.Methods.Select(m => new RpcModel(
                    m.Name,
                    m.ClientStreaming ? (m.ServerStreaming ? RpcKind.DuplexStreaming : RpcKind.ClientStreaming) : (m.ServerStreaming ? RpcKind.ServerStreaming : RpcKind.Unary),
                    m.InputType,
                    Resolve(types, m.InputType),
                    m.OutputType,
                    Resolve(types, m.OutputType))).ToEquatableArray();
                services.Add(new ServiceModel(service.Name, service.FullName, methods));
            }
        }
        return new ServiceCatalog(services.ToEquatableArray());
    }

    private static string Resolve(Dictionary<string, string> types, string protoName)
    {
        if (types.TryGetValue(protoName, out var clrType))
        {
            return clrType;
        }
        const string WellKnownPrefix = "google.protobuf.";
        if (protoName.StartsWith(WellKnownPrefix, StringComparison.Ordinal) && protoName.IndexOf('.', WellKnownPrefix.Length) < 0)
        {
            return "global::Google.Protobuf.WellKnownTypes." + protoName.Substring(WellKnownPrefix.Length);
        }
        return "";
    }
}
