using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Serve.Runtime.Tests;

/// <summary>A logger provider that keeps every formatted message, for tests that assert on what a host logged.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    /// <summary>Every message so far, in order.</summary>
    public IReadOnlyList<string> Messages => [.. _entries.Select(e => e.Message)];

    /// <summary>The messages of <paramref name="level"/> or above.</summary>
    public IReadOnlyList<string> AtLeast(LogLevel level) => [.. _entries.Where(e => e.Level >= level).Select(e => e.Message)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => capture._entries.Enqueue((logLevel, category, formatter(state, exception)));
    }
}
