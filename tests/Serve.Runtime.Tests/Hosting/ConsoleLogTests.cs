using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serve.Hosting;

namespace Serve.Runtime.Tests.Hosting;

/// <summary>
/// Serve's console formatter: the simple formatter's single-line form, one entry per line whatever the
/// message or exception holds, colours only when asked for.
/// </summary>
public sealed partial class ConsoleLogTests
{
    private static string Format(LogLevel level, string? message, Exception? exception = null, bool colors = false, int eventId = 0)
    {
        var formatter = new ConsoleLog.SingleLineFormatter(colors);
        var entry = new LogEntry<string?>(level, "Serve.Proxy.Grpc.GrpcProxy", new EventId(eventId), message, exception, static (s, _) => s!);
        var writer = new StringWriter();
        formatter.Write(entry, scopeProvider: null, writer);
        return writer.ToString();
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} ")]
    private static partial Regex Timestamp();

    [Theory]
    [InlineData(LogLevel.Trace, "trce")]
    [InlineData(LogLevel.Debug, "dbug")]
    [InlineData(LogLevel.Information, "info")]
    [InlineData(LogLevel.Warning, "warn")]
    [InlineData(LogLevel.Error, "fail")]
    [InlineData(LogLevel.Critical, "crit")]
    public void An_entry_is_timestamp_level_category_event_id_and_message_on_one_line(LogLevel level, string abbreviation)
    {
        var line = Format(level, "Started gRPC proxy on 127.0.0.1:9000.", eventId: 12);

        Assert.Matches(Timestamp(), line);
        Assert.Equal($"{abbreviation}: Serve.Proxy.Grpc.GrpcProxy[12] Started gRPC proxy on 127.0.0.1:9000.{Environment.NewLine}", Timestamp().Replace(line, ""));
    }

    [Fact]
    public void Line_breaks_in_the_message_and_the_exception_are_folded_so_an_entry_stays_one_line()
    {
        Exception exception;
        try
        {
            throw new InvalidOperationException("first\r\nsecond");
        }
        catch (InvalidOperationException e)
        {
            exception = e;
        }

        var line = Format(LogLevel.Error, "Replica failed:\nrestarting", exception);

        Assert.EndsWith(Environment.NewLine, line);
        var body = line[..^Environment.NewLine.Length];
        Assert.DoesNotContain('\n', body);
        Assert.DoesNotContain('\r', body);
        Assert.Contains("[0] Replica failed: restarting System.InvalidOperationException: first second ", body);
        Assert.Contains(nameof(Line_breaks_in_the_message_and_the_exception_are_folded_so_an_entry_stays_one_line), body);
    }

    [Fact]
    public void Without_colours_there_are_no_escape_sequences_and_with_them_only_the_level_is_coloured()
    {
        Assert.DoesNotContain('\u001b', Format(LogLevel.Warning, "plain"));

        var coloured = Timestamp().Replace(Format(LogLevel.Warning, "tinted", colors: true), "");
        Assert.StartsWith("\u001b[1m\u001b[33mwarn\u001b[39m\u001b[22m\u001b[49m: ", coloured);
        Assert.EndsWith($"] tinted{Environment.NewLine}", coloured);
    }

    [Fact]
    public void An_entry_with_neither_message_nor_exception_writes_nothing()
    {
        Assert.Equal("", Format(LogLevel.Information, message: null));
    }
}
