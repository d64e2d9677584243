using System.Runtime.CompilerServices;

namespace Serve;

/// <summary>
/// The items of a streaming handle call (Ray Serve's <c>DeploymentResponseGenerator</c>): enumerate it
/// with <c>await foreach</c>. The call starts when enumeration starts and holds one replica's slot until
/// the enumeration ends; breaking out of the loop or cancelling stops the deployment's stream.
/// </summary>
/// <typeparam name="T">The streamed item type.</typeparam>
public sealed class DeploymentResponseStream<T> : IAsyncEnumerable<T>
{
    private readonly Func<CancellationToken, ValueTask<IAsyncEnumerable<T>>> _start;
    private readonly CancellationToken _cancellationToken;

    internal DeploymentResponseStream(Func<CancellationToken, ValueTask<IAsyncEnumerable<T>>> start, CancellationToken cancellationToken)
    {
        _start = start;
        _cancellationToken = cancellationToken;
    }

    /// <inheritdoc />
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        => EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

    private async IAsyncEnumerable<T> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = cancellationToken.CanBeCanceled && _cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancellationToken)
            : null;
        var token = linked?.Token ?? (cancellationToken.CanBeCanceled ? cancellationToken : _cancellationToken);
        // Arguments that are responses of other calls are awaited first, then the replica streams.
        var items = await _start(token).ConfigureAwait(false);
        await foreach (var item in items.WithCancellation(token).ConfigureAwait(false))
        {
            yield return item;
        }
    }
}
