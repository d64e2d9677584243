namespace Serve;

/// <summary>
/// An argument of a handle call: a value, or the <see cref="DeploymentResponse{T}"/> of another call
/// that has not finished yet (Ray Serve lets a response be passed on unawaited). Both convert
/// implicitly, so <c>handle.Combine(m1.Forward(1), 3)</c> compiles when <c>Combine</c> takes two ints.
/// The call waits for such responses before it takes a replica, so an upstream call never holds a
/// downstream replica's slot.
/// </summary>
/// <remarks>C# has no implicit conversions from interface types: for a parameter of interface type,
/// wrap a value with <see cref="DeploymentArg.From{T}(T)"/>.</remarks>
/// <typeparam name="T">The deployment method's parameter type.</typeparam>
public readonly struct DeploymentArg<T>
{
    private readonly T _value;
    private readonly Task<T>? _pending;

    /// <summary>An argument that is a value.</summary>
    public DeploymentArg(T value)
    {
        _value = value;
        _pending = null;
    }

    /// <summary>An argument that is the result of another handle call.</summary>
    public DeploymentArg(DeploymentResponse<T> response)
        : this((response ?? throw new ArgumentNullException(nameof(response))).AsTask())
    {
    }

    /// <summary>An argument that is the eventual result of <paramref name="pending"/>.</summary>
    public DeploymentArg(Task<T> pending)
    {
        _value = default!;
        _pending = pending ?? throw new ArgumentNullException(nameof(pending));
    }

    /// <summary>True when the argument is a value (nothing to wait for).</summary>
    public bool IsValue => _pending is null;

    /// <summary>The value, when <see cref="IsValue"/>.</summary>
    internal T Value => _value;

    /// <summary>The argument as a task (completed for values).</summary>
    public Task<T> AsTask() => _pending ?? Task.FromResult(_value);

    /// <summary>The value, once the response it may stand for has completed.</summary>
    public ValueTask<T> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_pending is null)
        {
            return new ValueTask<T>(_value);
        }
        var task = _pending;
        return task.IsCompleted || !cancellationToken.CanBeCanceled
            ? new ValueTask<T>(task)
            : new ValueTask<T>(task.WaitAsync(cancellationToken));
    }

    /// <summary>Passes a value.</summary>
    public static implicit operator DeploymentArg<T>(T value) => new(value);

    /// <summary>Passes the result of another handle call, without awaiting it first.</summary>
    public static implicit operator DeploymentArg<T>(DeploymentResponse<T> response) => new(response);
}

/// <summary>Creates <see cref="DeploymentArg{T}"/> values where no implicit conversion applies.</summary>
public static class DeploymentArg
{
    /// <summary>Passes <paramref name="value"/> (use it for parameters of interface type).</summary>
    public static DeploymentArg<T> From<T>(T value) => new(value);

    /// <summary>Passes the result of another handle call.</summary>
    public static DeploymentArg<T> From<T>(DeploymentResponse<T> response) => new(response);
}
