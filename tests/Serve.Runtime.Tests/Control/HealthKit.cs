using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Serve.Dispatch;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Control;

/// <summary>How a <see cref="Patient"/> answers its health check.</summary>
public enum Checkup
{
    /// <summary>Returns true.</summary>
    Pass,

    /// <summary>Throws.</summary>
    Throw,

    /// <summary>Returns false.</summary>
    ReturnFalse,

    /// <summary>Never completes, whatever its token says.</summary>
    Hang,

    /// <summary>Blocks its thread (synchronously) until the test ends.</summary>
    Block,

    /// <summary>Completes (healthy) once the ward's <see cref="Ward.Gate"/> opens.</summary>
    Gate,
}

/// <summary>
/// What the health-check tests share with the replicas they start: each instance (a <see cref="Patient"/>) is numbered
/// in creation order, answers its checks as the test says, and records its checks and disposal; the ward decides
/// which construction attempts fail.
/// </summary>
internal sealed class Ward
{
    private int _attempts;
    private int _created;

    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>The instances created, by number.</summary>
    public ConcurrentDictionary<int, Patient> Patients { get; } = new();

    /// <summary>How instance n answers its checks from its first one (at start) on; the test may change it later.</summary>
    public Func<int, Checkup> Admit { get; set; } = _ => Checkup.Pass;

    /// <summary>Whether construction attempt n (from 1, counting failed ones) throws.</summary>
    public Func<int, bool> FailAttempt { get; set; } = _ => false;

    /// <summary>Construction attempts so far, failed ones included.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>What <see cref="Checkup.Gate"/> checks wait for.</summary>
    public TaskCompletionSource Gate { get; } = NewSignal();

    /// <summary>What <see cref="Checkup.Hang"/> checks and held calls wait for; opened when the test ends.</summary>
    public TaskCompletionSource Discharge { get; } = NewSignal();

    /// <summary>What <see cref="Checkup.Block"/> checks block their thread on; completed when the test ends.</summary>
    public TaskCompletionSource Unblock { get; } = NewSignal();

    public Patient this[int index] => Patients[index];

    public Patient Create()
    {
        var attempt = Interlocked.Increment(ref _attempts);
        if (FailAttempt(attempt))
        {
            Events.Enqueue($"failed attempt {attempt}");
            throw new InvalidDataException($"no weights (attempt {attempt})");
        }
        var index = Interlocked.Increment(ref _created) - 1;
        var patient = new Patient(index, this, Admit(index));
        Patients[index] = patient;
        Events.Enqueue($"created {index}");
        return patient;
    }

    /// <summary>A deployment of patients, with the health check the generator would wire for a <c>ValueTask&lt;bool&gt; CheckHealthAsync(CancellationToken)</c>.</summary>
    public DeploymentDefinition Definition(string name = "Patient")
        => new(name, "Tests.Control." + name, new DeploymentOptions(), 0, (_, _) => Create(), [], [])
        {
            HealthCheck = static (instance, cancellationToken) => HealthCheckCalls.FromResult(((Patient)instance).CheckHealthAsync(cancellationToken), "CheckHealthAsync"),
        };

    public Application<Patient> Bound(string name = "Patient") => Bind<Patient>(Definition(name));

    /// <summary>Ends every check and call still waiting, so that nothing outlives the test.</summary>
    public void EndAll()
    {
        Discharge.TrySetResult();
        Gate.TrySetResult();
        Unblock.TrySetResult();
    }
}

/// <summary>A replica's instance for the health-check tests.</summary>
internal sealed class Patient(int index, Ward ward, Checkup checkup) : IDisposable
{
    private int _checks;
    private int _checkup = (int)checkup;
    private int _disposed;

    public int Index => index;

    /// <summary>How the next checks answer.</summary>
    public Checkup Checkup
    {
        get => (Checkup)Volatile.Read(ref _checkup);
        set => Volatile.Write(ref _checkup, (int)value);
    }

    /// <summary>Checks begun so far, the one at start included.</summary>
    public int Checks => Volatile.Read(ref _checks);

    public bool Disposed => Volatile.Read(ref _disposed) == 1;

    public ValueTask<bool> CheckHealthAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _checks);
        switch (Checkup)
        {
            case Checkup.Throw:
                return ValueTask.FromException<bool>(new InvalidOperationException($"patient {index} is sick"));
            case Checkup.ReturnFalse:
                return ValueTask.FromResult(false);
            case Checkup.Hang:
                return new ValueTask<bool>(ward.Discharge.Task.ContinueWith(static _ => true, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
            case Checkup.Block:
                // Synchronously, on the caller's thread: only running the check elsewhere lets it time out.
                ward.Unblock.Task.GetAwaiter().GetResult();
                return ValueTask.FromResult(true);
            case Checkup.Gate:
                return new ValueTask<bool>(ward.Gate.Task.ContinueWith(static _ => true, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
            default:
                return ValueTask.FromResult(true);
        }
    }

    /// <summary>Says it entered, then waits for <paramref name="release"/>; returns who ran it.</summary>
    public async ValueTask<string> HoldAsync(TaskCompletionSource entered, Task release)
    {
        entered.TrySetResult();
        // Released by the test, or when it ends.
        await Task.WhenAny(release, ward.Discharge.Task).ConfigureAwait(false);
        return $"done by {index}";
    }

    public ValueTask<int> Whoami() => ValueTask.FromResult(index);

    /// <summary>A user method with a bug: it throws on every call.</summary>
    public ValueTask<int> Broken() => throw new InvalidOperationException($"patient {index}'s method bug");

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        ward.Events.Enqueue($"disposed {index}");
    }
}

/// <summary>
/// A fake clock that says when a timer is created on it, so that a test advances it only once the code waits: a retry
/// pause, a drain or a health-check period then ends exactly when the test says, never early nor on the wall clock.
/// </summary>
internal sealed class WatchedClock : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer created (since the last one this returned) that <paramref name="match"/> accepts.</summary>
    public async Task<TimeSpan> NextTimerAsync(Func<TimeSpan, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            var due = await _timers.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (match(due))
            {
                return due;
            }
        }
    }
}
