namespace Serve.Generators.Model;

/// <summary>The C# type of a value bound from text (route, query, header), or why it is not one.</summary>
internal enum ScalarKind
{
    /// <summary>Not a scalar: a JSON body type when <see cref="HttpParameterInfo.IsJsonBindable"/>.</summary>
    None,
    String,
    Boolean,
    Char,
    Byte,
    SByte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    Guid,
    DateTime,
    DateTimeOffset,
    TimeSpan,
    Enum,
}

/// <summary>What an HTTP method parameter is, before binding decides where its value comes from.</summary>
internal enum HttpParameterKind
{
    /// <summary>A value bound from the route, query, headers or body.</summary>
    Value,
    Context,
    CancellationToken,
    /// <summary>The whole request (<c>Serve.Http.HttpRequestData</c>).</summary>
    Request,
}

/// <summary>Where a value comes from; the names are the FastAPI error locations' first element.</summary>
internal enum HttpSource
{
    None,
    Path,
    Query,
    Header,
    Body,
}

/// <summary>A <c>System.ComponentModel.DataAnnotations</c> validation attribute.</summary>
internal enum ValidationKind
{
    Required,
    MinLength,
    MaxLength,
    StringLength,
    Range,
    RegularExpression,
}

/// <summary>One validation attribute on a parameter.</summary>
/// <param name="Minimum">MinLength's length, StringLength's MinimumLength or Range's minimum, as invariant text; empty when not set.</param>
/// <param name="Maximum">MaxLength's length, StringLength's maximum or Range's maximum; empty when not set.</param>
/// <param name="Pattern">RegularExpression's pattern.</param>
/// <param name="MinimumIsExclusive">Range's MinimumIsExclusive.</param>
/// <param name="MaximumIsExclusive">Range's MaximumIsExclusive.</param>
/// <param name="RangeIsDecimal">True for <c>[Range(typeof(decimal), ...)]</c>.</param>
internal sealed record ValidationInfo(
    ValidationKind Kind,
    string Minimum,
    string Maximum,
    string Pattern,
    bool MinimumIsExclusive,
    bool MaximumIsExclusive,
    bool RangeIsDecimal,
    string Problem,
    LocationInfo? Location);

/// <summary>A route attribute (<c>[HttpGet("/items/{id}")]</c>, …) on a method.</summary>
/// <param name="HttpMethod">GET, POST, PUT, DELETE or PATCH.</param>
/// <param name="Location">The template argument, or the attribute.</param>
internal sealed record HttpRouteAttributeInfo(string HttpMethod, string Template, int StatusCode, LocationInfo? Location);

/// <summary>A parameter of an HTTP method, read from symbols.</summary>
/// <param name="Name">The C# name (unescaped).</param>
/// <param name="Type">The <c>global::</c>-qualified type with nullable annotations (for locals).</param>
/// <param name="JsonType">The <c>global::</c>-qualified type without reference nullable annotations (for JSON metadata).</param>
/// <param name="ExplicitSource">The source named by a <c>[From…]</c> attribute, else None.</param>
/// <param name="ExplicitName">The <c>Name</c> of the <c>[From…]</c> attribute, or null.</param>
/// <param name="Scalar">The scalar kind of the type (of its underlying type when it is <c>Nullable&lt;T&gt;</c>).</param>
/// <param name="ScalarType">The <c>global::</c>-qualified scalar type (the enum, or <c>T</c> of <c>T?</c>).</param>
/// <param name="IsNullableValueType">True for <c>T?</c> of a value type.</param>
/// <param name="IsNullable">True when null is a valid value (nullable value type, or an annotated reference type).</param>
/// <param name="IsJsonBindable">True when the type can come from a JSON body (a class, struct, record, array or collection).</param>
/// <param name="Unbindable">Why the type can bind from nowhere (interface, abstract class, delegate…); empty when it can.</param>
/// <param name="DefaultValue">The C# expression of the parameter's default value; null without one.</param>
/// <param name="CountMember">"Length" for arrays and strings, "Count" for collections, empty otherwise.</param>
/// <param name="EnumMembers">The members of an enum type, in declaration order.</param>
internal sealed record HttpParameterInfo(
    string Name,
    string Type,
    string JsonType,
    string Display,
    HttpParameterKind Kind,
    HttpSource ExplicitSource,
    string? ExplicitName,
    ScalarKind Scalar,
    string ScalarType,
    bool IsValueType,
    bool IsNullableValueType,
    bool IsNullable,
    bool IsJsonBindable,
    string Unbindable,
    bool IsByRef,
    string? DefaultValue,
    string CountMember,
    EquatableArray<string> EnumMembers,
    EquatableArray<ValidationInfo> Validations,
    TypeSchema Schema,
    LocationInfo? Location);

/// <summary>What an HTTP method's result is written as.</summary>
internal enum HttpResultKind
{
    /// <summary>void, Task, ValueTask: the status code with an empty body.</summary>
    Empty,
    /// <summary>string: text/plain.</summary>
    Text,
    /// <summary>byte[]: application/octet-stream.</summary>
    Bytes,
    /// <summary>Serve.Http.HttpResult: as returned.</summary>
    Result,
    /// <summary>Anything else: JSON with the deployment's context.</summary>
    Json,
    /// <summary>IAsyncEnumerable&lt;T&gt;: streamed.</summary>
    Stream,
    /// <summary>Returned by reference, a pointer, or a type the runtime cannot write.</summary>
    Unsupported,
}

/// <summary>How the result is awaited.</summary>
internal enum HttpAwaitKind
{
    None,
    Task,
    ValueTask,
}

/// <summary>An HTTP method's return type.</summary>
/// <param name="Type">The <c>global::</c>-qualified payload type (T of Task&lt;T&gt;; the element of a stream); empty for Empty.</param>
/// <param name="JsonType">The payload type without reference nullable annotations, for JSON metadata.</param>
/// <param name="StreamIsText">For streams: true when the elements are strings (written without JSON metadata).</param>
/// <param name="NeedsStreamCast">For streams: the return type implements IAsyncEnumerable&lt;T&gt; rather than being it.</param>
internal sealed record HttpReturnInfo(
    HttpResultKind Kind,
    HttpAwaitKind Await,
    string Type,
    string JsonType,
    string Display,
    bool StreamIsText,
    bool NeedsStreamCast,
    TypeSchema Schema);

/// <summary>The HTTP side of a deployment method: its route attributes or <c>[HttpIngress]</c>, parameters and result.</summary>
/// <param name="IngressLocation">The <c>[HttpIngress]</c> attribute, when the method has one.</param>
internal sealed record HttpMethodInfo(
    EquatableArray<HttpRouteAttributeInfo> Routes,
    bool IsIngress,
    LocationInfo? IngressLocation,
    EquatableArray<HttpParameterInfo> Parameters,
    HttpReturnInfo Return);

/// <summary>A deployment's <c>[JsonContext(typeof(Ctx))]</c>.</summary>
/// <param name="Type">The <c>global::</c>-qualified context class.</param>
/// <param name="IsContext">True when the class derives from <c>System.Text.Json.Serialization.JsonSerializerContext</c>.</param>
/// <param name="SerializableTypes">The <c>global::</c>-qualified types of its <c>[JsonSerializable(typeof(T))]</c> attributes, ordinal order.</param>
internal sealed record JsonContextInfo(string Type, string Display, bool IsContext, EquatableArray<string> SerializableTypes, LocationInfo? Location);

/// <summary>How one argument of a routed method is produced.</summary>
/// <param name="Source">Where a value comes from (None for injected parameters).</param>
/// <param name="WireName">The route segment, query key or header name.</param>
/// <param name="IsRequired">True when a missing value is an error.</param>
/// <param name="JsonField">For a body: the static field holding its JSON metadata.</param>
internal sealed record HttpArgumentModel(
    HttpParameterInfo Parameter,
    HttpSource Source,
    string WireName,
    bool IsRequired,
    string JsonField,
    EquatableArray<ValidationModel> Validations);

/// <summary>A validation check to emit.</summary>
/// <param name="RegexField">For patterns: the static Regex field.</param>
internal sealed record ValidationModel(ValidationInfo Info, bool OnString, string RegexField);

/// <summary>One generated HTTP invoker.</summary>
/// <param name="HttpMethod">GET, POST, …; null for the plain ingress.</param>
/// <param name="Template">The route template; null for the plain ingress.</param>
/// <param name="ResultJsonField">The static field holding the JSON metadata of the result (or stream element), or empty.</param>
internal sealed record HttpRouteModel(
    string InvokerName,
    string MethodName,
    string? HttpMethod,
    string? Template,
    int StatusCode,
    EquatableArray<HttpArgumentModel> Arguments,
    HttpReturnInfo Return,
    string ResultJsonField);

/// <summary>A <c>JsonTypeInfo&lt;T&gt;</c> field of the generated class.</summary>
/// <param name="Type">The type argument of the field's JsonTypeInfo (with nullable annotations, as the method uses it).</param>
/// <param name="JsonType">The type for <c>typeof</c> (without reference nullable annotations).</param>
internal sealed record JsonFieldModel(string Name, string Type, string JsonType);

/// <summary>A static Regex field of the generated class.</summary>
internal sealed record RegexFieldModel(string Name, string Pattern);

/// <summary>Everything HTTP a deployment emits.</summary>
/// <param name="ContextType">The <c>global::</c>-qualified JSON context, or empty.</param>
/// <param name="IsRouted">True for routed methods (which get an OpenAPI document), false for a plain ingress.</param>
/// <param name="Title">The OpenAPI title: the deployment's name.</param>
/// <param name="Components">Object schemas of the bodies and results, by name (ordinal order).</param>
internal sealed record HttpDeploymentModel(
    EquatableArray<HttpRouteModel> Routes,
    string ContextType,
    EquatableArray<JsonFieldModel> JsonFields,
    EquatableArray<RegexFieldModel> RegexFields,
    bool IsRouted,
    string Title,
    EquatableArray<SchemaComponent> Components);

/// <summary>An HTTP binding helper of the compilation's shared helper class.</summary>
internal enum HttpHelper
{
    /// <summary>Adds a validation error to the invoker's list.</summary>
    Error,
    /// <summary>RegularExpressionAttribute's whole-value match.</summary>
    IsFullMatch,
    TryParseBoolean,
    TryParseChar,
    TryParseEnum,
}
