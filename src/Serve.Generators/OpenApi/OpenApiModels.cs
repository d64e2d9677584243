namespace Serve.Generators.Model;

/// <summary>The OpenAPI (JSON Schema) shape of a type.</summary>
internal enum SchemaKind
{
    Any,
    String,
    Integer,
    Number,
    Boolean,
    Array,
    /// <summary>A JSON object with properties: <see cref="TypeSchema.Ref"/> names its component.</summary>
    Ref,
    /// <summary>A dictionary: <see cref="TypeSchema.Items"/> is the value schema.</summary>
    Map,
}

/// <summary>An OpenAPI schema.</summary>
/// <param name="Format">OpenAPI format (int32, date-time, uuid, …), or empty.</param>
/// <param name="Items">The element schema of an array, or the value schema of a map.</param>
/// <param name="Ref">The component name of a <see cref="SchemaKind.Ref"/>.</param>
/// <param name="Nullable">True when null is allowed.</param>
/// <param name="EnumValues">For enums bound from text: the member names.</param>
internal sealed record TypeSchema(SchemaKind Kind, string Format, TypeSchema? Items, string Ref, bool Nullable, EquatableArray<string> EnumValues)
{
    public static TypeSchema Of(SchemaKind kind, string format = "") => new(kind, format, null, "", false, EquatableArray<string>.Empty);
}

/// <summary>A property of a component schema, with its JSON name.</summary>
internal sealed record SchemaProperty(string Name, TypeSchema Schema, bool Required);

/// <summary>An object schema under <c>components/schemas</c>.</summary>
internal sealed record SchemaComponent(string Name, EquatableArray<SchemaProperty> Properties);
