using System.Collections.Concurrent;
using Serve.Http;

namespace Serve.IntegrationTests.Hosting;

/// <summary>What the recovery test tells the replicas of <see cref="RecoveringDeployment"/>, and what they report.</summary>
public static class RecoveryWard
{
    private static string? s_wedgeOn;
    private static string? s_parkOn;
    private static TaskCompletionSource s_parked = NewSignal();
    private static TaskCompletionSource s_unpark = NewSignal();
    private static int s_holdNewcomers;
    private static TaskCompletionSource s_wedged = NewSignal();
    private static TaskCompletionSource s_unwedge = NewSignal();
    private static TaskCompletionSource s_admit = NewSignal();

    /// <summary>Replica ids whose health check returns false.</summary>
    public static ConcurrentDictionary<string, bool> Sick { get; } = new();

    /// <summary>Replica ids whose instance was disposed.</summary>
    public static ConcurrentDictionary<string, bool> Disposed { get; } = new();

    /// <summary>The replica whose Wedge calls never return (not even when cancelled) until <see cref="Unwedge"/>.</summary>
    public static string? WedgeOn
    {
        get => Volatile.Read(ref s_wedgeOn);
        set => Volatile.Write(ref s_wedgeOn, value);
    }

    /// <summary>
    /// The replica whose Wedge calls wait for <see cref="Unpark"/>: the router sends each call to the less loaded of the
    /// two replicas, so the test loads the healthy one with parked calls to get more than one call wedged on the other.
    /// </summary>
    public static string? ParkOn
    {
        get => Volatile.Read(ref s_parkOn);
        set => Volatile.Write(ref s_parkOn, value);
    }

    /// <summary>Completed when a call parks on <see cref="ParkOn"/>; <see cref="ExpectWedge"/> renews it.</summary>
    public static TaskCompletionSource Parked => Volatile.Read(ref s_parked);

    /// <summary>Returns the parked calls.</summary>
    public static TaskCompletionSource Unpark => Volatile.Read(ref s_unpark);

    /// <summary>Completed when a call wedges on <see cref="WedgeOn"/>; <see cref="ExpectWedge"/> renews it.</summary>
    public static TaskCompletionSource Wedged => Volatile.Read(ref s_wedged);

    /// <summary>Returns the wedged calls: only when the test ends, long after their callers had their answer.</summary>
    public static TaskCompletionSource Unwedge => Volatile.Read(ref s_unwedge);

    /// <summary>
    /// While set, replicas constructed from then on (replacements) pass their first health check only once
    /// <see cref="Admit"/> is completed: the test holds the deployment mid-replacement.
    /// </summary>
    public static bool HoldNewcomers
    {
        get => Volatile.Read(ref s_holdNewcomers) == 1;
        set => Volatile.Write(ref s_holdNewcomers, value ? 1 : 0);
    }

    public static TaskCompletionSource Admit => Volatile.Read(ref s_admit);

    public static void ExpectWedge()
    {
        Volatile.Write(ref s_wedged, NewSignal());
        Volatile.Write(ref s_parked, NewSignal());
    }

    public static void Reset()
    {
        Sick.Clear();
        Disposed.Clear();
        WedgeOn = null;
        ParkOn = null;
        Volatile.Write(ref s_parked, NewSignal());
        Volatile.Write(ref s_unpark, NewSignal());
        HoldNewcomers = false;
        Volatile.Write(ref s_wedged, NewSignal());
        Volatile.Write(ref s_unwedge, NewSignal());
        Volatile.Write(ref s_admit, NewSignal());
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// servetesting.recovery.Recovery, and the same over HTTP: each replica answers with its id; its health check fails
/// once the test marks it sick, and its Wedge calls never return once the test names it.
/// </summary>
[Deployment(NumReplicas = 2, MaxOngoingRequests = 10)]
[GrpcService("servetesting.recovery.Recovery")]
public sealed partial class RecoveringDeployment : IDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly bool _held = RecoveryWard.HoldNewcomers;

    public WhoReply Whoami(WhoRequest request) => new() { Replica = _id };

    public async Task<WhoReply> Wedge(WhoRequest request)
    {
        await WedgeHereAsync();
        return new WhoReply { Replica = _id };
    }

    [HttpGet("/whoami")]
    public string WhoamiHttp() => _id;

    [HttpGet("/wedge")]
    public async Task<string> WedgeHttp()
    {
        await WedgeHereAsync();
        return _id;
    }

    /// <summary>Ray's check_health: false once the test marked this replica sick.</summary>
    public async Task<bool> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (_held)
        {
            await RecoveryWard.Admit.Task.WaitAsync(cancellationToken);
        }
        return !RecoveryWard.Sick.ContainsKey(_id);
    }

    public void Dispose() => RecoveryWard.Disposed[_id] = true;

    private Task WedgeHereAsync()
    {
        if (RecoveryWard.WedgeOn == _id)
        {
            RecoveryWard.Wedged.TrySetResult();
            return RecoveryWard.Unwedge.Task;
        }
        if (RecoveryWard.ParkOn == _id)
        {
            RecoveryWard.Parked.TrySetResult();
            return RecoveryWard.Unpark.Task;
        }
        return Task.CompletedTask;
    }
}
