using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Builds the schemas of JSON types and the components they refer to, for one deployment.</summary>
internal sealed class SchemaBuilder
{
    /// <summary>The property naming policies of <c>JsonKnownNamingPolicy</c>.</summary>
    public enum NamingPolicy
    {
        None = 0,
        CamelCase = 1,
        SnakeCaseLower = 2,
        SnakeCaseUpper = 3,
        KebabCaseLower = 4,
        KebabCaseUpper = 5,
    }

    private readonly NamingPolicy _policy;
    private readonly Dictionary<ITypeSymbol, string> _names = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<string, SchemaComponent?> _components = new(StringComparer.Ordinal);
    private int _depth;

    public SchemaBuilder(NamingPolicy policy) => _policy = policy;

    /// <summary>Every component, ordinal by name.</summary>
    public EquatableArray<SchemaComponent> Components
        => _components.Where(c => c.Value is not null).OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Value!).ToEquatableArray();

    public TypeSchema For(ITypeSymbol type)
    {
        var nullable = type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n)
        {
            type = n.TypeArguments[0];
            nullable = true;
        }
        var schema = Core(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated));
        return nullable ? schema with { Nullable = true } : schema;
    }

    private TypeSchema Core(ITypeSymbol type)
    {
        var scalar = HttpParser.Classify(type);
        if (scalar == ScalarKind.Enum)
        {
            // System.Text.Json writes enums as numbers unless a converter says otherwise.
            return TypeSchema.Of(SchemaKind.Integer);
        }
        if (scalar == ScalarKind.TimeSpan)
        {
            return TypeSchema.Of(SchemaKind.String);
        }
        if (scalar != ScalarKind.None)
        {
            return ScalarSchema(scalar, EquatableArray<string>.Empty, false);
        }
        if (type is IArrayTypeSymbol array)
        {
            return array.ElementType.SpecialType == SpecialType.System_Byte
                ? TypeSchema.Of(SchemaKind.String, "byte")
                : new TypeSchema(SchemaKind.Array, "", For(array.ElementType), "", false, EquatableArray<string>.Empty);
        }
        if (type.SpecialType == SpecialType.System_Object || type is not INamedTypeSymbol named || type.TypeKind is TypeKind.Interface && !IsEnumerable(type, out _))
        {
            return TypeSchema.Of(SchemaKind.Any);
        }
        var full = named.ToDisplayString(Symbols.TypeFormat);
        switch (full)
        {
            case "global::System.Uri":
                return TypeSchema.Of(SchemaKind.String, "uri");
            case "global::System.DateOnly":
                return TypeSchema.Of(SchemaKind.String, "date");
            case "global::System.TimeOnly":
                return TypeSchema.Of(SchemaKind.String, "time");
        }
        var dictionary = named.AllInterfaces.Concat(new[] { named }).FirstOrDefault(i =>
            WellKnownTypes.IDictionaryOfT.Matches(i.OriginalDefinition)
            || WellKnownTypes.IReadOnlyDictionaryOfT.Matches(i.OriginalDefinition));
        if (dictionary is not null)
        {
            return new TypeSchema(SchemaKind.Map, "", For(dictionary.TypeArguments[1]), "", false, EquatableArray<string>.Empty);
        }
        if (IsEnumerable(named, out var element))
        {
            return new TypeSchema(SchemaKind.Array, "", For(element!), "", false, EquatableArray<string>.Empty);
        }
        if (full.StartsWith("global::System.", StringComparison.Ordinal) || type.TypeKind == TypeKind.Interface || _depth > 16)
        {
            return TypeSchema.Of(SchemaKind.Any);
        }
        return TypeSchema.Of(SchemaKind.Ref) with { Ref = Component(named) };
    }

    private bool IsEnumerable(ITypeSymbol type, out ITypeSymbol? element)
    {
        var enumerable = type is INamedTypeSymbol named && WellKnownTypes.IEnumerableOfT.Matches(named.OriginalDefinition)
            ? named
            : type.AllInterfaces.FirstOrDefault(i => WellKnownTypes.IEnumerableOfT.Matches(i.OriginalDefinition));
        element = enumerable?.TypeArguments[0];
        return enumerable is not null;
    }

    private string Component(INamedTypeSymbol type)
    {
        if (_names.TryGetValue(type, out var existing))
        {
            return existing;
        }
        var name = SchemaName(type, qualified: false);
        if (_components.ContainsKey(name))
        {
            name = SchemaName(type, qualified: true);
        }
        _names[type] = name;
        _components[name] = null;

        _depth++;
        var properties = new List<SchemaProperty>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var chain = new List<INamedTypeSymbol>();
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object && t.SpecialType != SpecialType.System_ValueType; t = t.BaseType)
        {
            chain.Insert(0, t);
        }
        foreach (var declaring in chain)
        {
            foreach (var property in declaring.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public
                    || property.GetMethod is null || property.GetMethod.DeclaredAccessibility != Accessibility.Public
                    || IsIgnored(property) || !seen.Add(property.Name))
                {
                    continue;
                }
                var required = property.IsRequired
                    || property.GetAttributes().Any(a => WellKnownTypes.JsonRequiredAttribute.Matches(a.AttributeClass));
                properties.Add(new SchemaProperty(JsonName(property), For(property.Type), required));
            }
        }
        _depth--;
        _components[name] = new SchemaComponent(name, properties.ToEquatableArray());
        return name;
    }

    private bool IsIgnored(IPropertySymbol property)
    {
        foreach (var attribute in property.GetAttributes())
        {
            if (WellKnownTypes.JsonIgnoreAttribute.Matches(attribute.AttributeClass))
            {
                // JsonIgnoreCondition.Always (1) is the default; the others keep the property in the contract.
                var condition = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Condition").Value.Value as int? ?? 1;
                return condition == 1;
            }
        }
        return false;
    }

    private string JsonName(IPropertySymbol property)
    {
        foreach (var attribute in property.GetAttributes())
        {
            if (WellKnownTypes.JsonPropertyNameAttribute.Matches(attribute.AttributeClass)
                && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name)
            {
                return name;
            }
        }
        return ApplyPolicy(property.Name, _policy);
    }

    private static string SchemaName(INamedTypeSymbol type, bool qualified)
    {
        var builder = new StringBuilder();
        if (qualified)
        {
            var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                ns = ns.Length == 0 ? outer.Name : ns + "." + outer.Name;
            }
            if (ns.Length > 0)
            {
                builder.Append(ns.Replace('.', '_')).Append("__");
            }
        }
        builder.Append(type.Name);
        if (type.TypeArguments.Length > 0)
        {
            // pydantic's style for generic models: Page[Item] is "Page_Item_".
            builder.Append('_');
            foreach (var argument in type.TypeArguments)
            {
                builder.Append(argument is INamedTypeSymbol named ? SchemaName(named, false) : argument.Name).Append('_');
            }
        }
        return builder.ToString();
    }

    /// <summary>The schema of a scalar parameter (enums as their names, as they are read from text).</summary>
    public static TypeSchema ScalarSchema(ScalarKind scalar, EquatableArray<string> enumMembers, bool nullable)
    {
        var schema = scalar switch
        {
            ScalarKind.Boolean => TypeSchema.Of(SchemaKind.Boolean),
            ScalarKind.Byte or ScalarKind.SByte or ScalarKind.Int16 or ScalarKind.UInt16 or ScalarKind.Int32 => TypeSchema.Of(SchemaKind.Integer, "int32"),
            ScalarKind.UInt32 or ScalarKind.Int64 or ScalarKind.UInt64 => TypeSchema.Of(SchemaKind.Integer, "int64"),
            ScalarKind.Single => TypeSchema.Of(SchemaKind.Number, "float"),
            ScalarKind.Double => TypeSchema.Of(SchemaKind.Number, "double"),
            ScalarKind.Decimal => TypeSchema.Of(SchemaKind.Number),
            ScalarKind.Guid => TypeSchema.Of(SchemaKind.String, "uuid"),
            ScalarKind.DateTime or ScalarKind.DateTimeOffset => TypeSchema.Of(SchemaKind.String, "date-time"),
            ScalarKind.Enum => new TypeSchema(SchemaKind.String, "", null, "", false, enumMembers),
            _ => TypeSchema.Of(SchemaKind.String),
        };
        return nullable ? schema with { Nullable = true } : schema;
    }

    /// <summary>A property name as System.Text.Json's known naming policies write it.</summary>
    public static string ApplyPolicy(string name, NamingPolicy policy)
    {
        switch (policy)
        {
            case NamingPolicy.CamelCase:
                return CamelCase(name);
            case NamingPolicy.SnakeCaseLower:
                return Separated(name, '_', upper: false);
            case NamingPolicy.SnakeCaseUpper:
                return Separated(name, '_', upper: true);
            case NamingPolicy.KebabCaseLower:
                return Separated(name, '-', upper: false);
            case NamingPolicy.KebabCaseUpper:
                return Separated(name, '-', upper: true);
            default:
                return name;
        }
    }

    /// <summary>System.Text.Json's JsonCamelCaseNamingPolicy.</summary>
    private static string CamelCase(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0]))
        {
            return name;
        }
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i]))
            {
                break;
            }
            var hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (chars[i + 1] == ' ')
                {
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }
                break;
            }
            chars[i] = char.ToLowerInvariant(chars[i]);
        }
        return new string(chars);
    }

    /// <summary>An approximation of System.Text.Json's snake/kebab-case policies: a separator between words, where a word starts at an
    /// upper-case letter after a lower-case letter or digit, or at the last upper-case letter of a run followed by a lower-case one.</summary>
    private static string Separated(string name, char separator, bool upper)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '_' || c == '-' || c == ' ')
            {
                if (builder.Length > 0 && builder[builder.Length - 1] != separator)
                {
                    builder.Append(separator);
                }
                continue;
            }
            if (char.IsUpper(c) && i > 0 && builder.Length > 0 && builder[builder.Length - 1] != separator)
            {
                var previous = name[i - 1];
                var nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && nextIsLower))
                {
                    builder.Append(separator);
                }
            }
            builder.Append(upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
