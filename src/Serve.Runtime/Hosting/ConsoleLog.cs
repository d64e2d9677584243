using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Serve.Hosting;

/// <summary>
/// Serve's console log: the framework's <see cref="ConsoleLoggerProvider"/> (its queue and writer thread) with
/// one single-line formatter, built directly rather than through <c>AddSimpleConsole</c>. The options
/// plumbing that call registers makes the container construct a dozen generic types at startup
/// (OptionsMonitor, OptionsFactory, caches and arrays of them for four option types), which Native AOT
/// builds at run time through its type loader: ~15 ms of a 70 ms cold start. The output is the simple
/// formatter's single-line form: <c>2026-01-02 03:04:05.678 info: Serve[0] message</c>.
/// </summary>
internal static class ConsoleLog
{
    /// <summary>The timestamp's format (local time), as Serve always wrote it.</summary>
    internal const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";

    /// <summary>A provider writing to standard output, colouring the level when it is a terminal.</summary>
    public static ConsoleLoggerProvider CreateProvider()
    {
        var colors = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null or "";
        var options = new ConsoleLoggerOptions { FormatterName = SingleLineFormatter.FormatterName };
        return new ConsoleLoggerProvider(new FixedOptions(options), [new SingleLineFormatter(colors)]);
    }

    /// <summary>
    /// One line per entry: timestamp, level, category, event id, message, then the exception with its line
    /// breaks folded into spaces so that one entry stays one line for log collectors.
    /// </summary>
    internal sealed class SingleLineFormatter(bool colors) : ConsoleFormatter(FormatterName)
    {
        internal const string FormatterName = "serve";

        /// <inheritdoc />
        public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            if (message is null && logEntry.Exception is null)
            {
                return;
            }
            // Formatted into a stack buffer: with the access log on, this runs for every request.
            Span<char> timestamp = stackalloc char[32];
            DateTimeOffset.Now.TryFormat(timestamp, out var written, TimestampFormat, System.Globalization.CultureInfo.InvariantCulture);
            textWriter.Write(timestamp[..written]);
            var (level, color) = Level(logEntry.LogLevel);
            if (colors && color is not null)
            {
                textWriter.Write(color);
                textWriter.Write(level);
                textWriter.Write(ResetColor);
            }
            else
            {
                textWriter.Write(level);
            }
            textWriter.Write(": ");
            textWriter.Write(logEntry.Category);
            textWriter.Write('[');
            Span<char> eventId = stackalloc char[11];
            logEntry.EventId.Id.TryFormat(eventId, out written, provider: System.Globalization.CultureInfo.InvariantCulture);
            textWriter.Write(eventId[..written]);
            textWriter.Write("] ");
            if (message is not null)
            {
                WriteFolded(textWriter, message);
            }
            if (logEntry.Exception is { } exception)
            {
                textWriter.Write(' ');
                WriteFolded(textWriter, exception.ToString());
            }
            textWriter.Write(Environment.NewLine);
        }

        private const string ResetColor = "\u001b[39m\u001b[22m\u001b[49m";

        // The simple formatter's abbreviations and terminal colours.
        private static (string Level, string? Color) Level(LogLevel level) => level switch
        {
            LogLevel.Trace => ("trce", "\u001b[37m"),
            LogLevel.Debug => ("dbug", "\u001b[37m"),
            LogLevel.Information => ("info", "\u001b[32m"),
            LogLevel.Warning => ("warn", "\u001b[1m\u001b[33m"),
            LogLevel.Error => ("fail", "\u001b[30m\u001b[41m"),
            LogLevel.Critical => ("crit", "\u001b[1m\u001b[37m\u001b[41m"),
            _ => (level.ToString(), null),
        };

        private static void WriteFolded(TextWriter writer, string text)
        {
            var rest = text.AsSpan();
            while (true)
            {
                var br = rest.IndexOfAny('\r', '\n');
                if (br < 0)
                {
                    writer.Write(rest);
                    return;
                }
                writer.Write(rest[..br]);
                writer.Write(' ');
                // "\r\n" is one break.
                rest = rest[(rest[br] == '\r' && br + 1 < rest.Length && rest[br + 1] == '\n' ? br + 2 : br + 1)..];
            }
        }
    }

    /// <summary>Options that never change: Serve's logging is configured by its YAML, once.</summary>
    private sealed class FixedOptions(ConsoleLoggerOptions value) : IOptionsMonitor<ConsoleLoggerOptions>
    {
        public ConsoleLoggerOptions CurrentValue => value;

        public ConsoleLoggerOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ConsoleLoggerOptions, string?> listener) => null;
    }
}
