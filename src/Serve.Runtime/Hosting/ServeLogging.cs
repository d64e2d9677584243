using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting;
using Serilog.Formatting.Json;
using Serve.Config;

namespace Serve.Hosting;

/// <summary>
/// Where Serve's log goes, by <c>logging_config</c>: the console (Serve's one-line text, or one JSON object per line with
/// <c>encoding: JSON</c>), and with <c>logs_dir</c> a rotated file per process there. Every line written to JSON or to
/// the file names the request it belongs to: <c>application</c>, <c>deployment</c>, <c>replica</c>, <c>request_id</c>
/// and <c>route</c>, read from <see cref="ServeRequestContext.Current"/>. The JSON and file writing is Serilog's, behind
/// Microsoft.Extensions.Logging; only the field names (Ray's) are Serve's.
/// </summary>
internal static class ServeLogging
{
    /// <summary>Ray's log rotation: a new file after 512 MiB, five old ones kept.</summary>
    internal const long MaxFileBytes = 512L * 1024 * 1024;

    internal const int RetainedFiles = 6;

    /// <summary>The log file of this process in <paramref name="logsDir"/>: <c>serve_&lt;pid&gt;.log</c> (Serilog numbers rotated ones).</summary>
    public static string FilePath(string logsDir) => Path.Combine(logsDir, $"serve_{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.log");

    /// <summary>The console of Serve's own host (<c>run</c>, <c>start</c>) in the configured encoding (the file comes with <c>AddServe</c>).</summary>
    public static void AddServeHostProviders(IServiceCollection services, LoggingConfig config)
    {
        if (config.Encoding == LogEncoding.Json)
        {
            services.AddSingleton<ILoggerProvider>(_ => SerilogProvider(new LoggerConfiguration().WriteTo.Console(new RayJsonFormatter())));
        }
        else
        {
            // Created by the container, which disposes it (flushing queued lines) when the host is disposed.
            services.AddSingleton<ILoggerProvider>(_ => ConsoleLog.CreateProvider());
        }
    }

    /// <summary>The file of <c>logs_dir</c>, if set; for Serve hosted in a user's application too (its console is the user's).</summary>
    public static void AddFileProvider(IServiceCollection services, LoggingConfig config)
    {
        if (config.LogsDir is not { } logsDir)
        {
            return;
        }
        services.AddSingleton<ILoggerProvider>(_ =>
        {
            Directory.CreateDirectory(logsDir);
            var path = FilePath(logsDir);
            var file = config.Encoding == LogEncoding.Json
                ? new LoggerConfiguration().WriteTo.File(new RayJsonFormatter(), path, fileSizeLimitBytes: MaxFileBytes, rollOnFileSizeLimit: true,
                    retainedFileCountLimit: RetainedFiles, shared: false, flushToDiskInterval: TimeSpan.FromSeconds(1))
                : new LoggerConfiguration().WriteTo.File(path, outputTemplate: TextTemplate, formatProvider: CultureInfo.InvariantCulture,
                    fileSizeLimitBytes: MaxFileBytes, rollOnFileSizeLimit: true, retainedFileCountLimit: RetainedFiles, flushToDiskInterval: TimeSpan.FromSeconds(1));
            return SerilogProvider(file);
        });
    }

    /// <summary>Ray's text layout (<c>LEVEL time component id [request_id] -- message</c>) with Serve's request fields.</summary>
    internal const string TextTemplate =
        "{levelname} {Timestamp:yyyy-MM-dd HH:mm:ss,fff} {application} {deployment} {replica} [{request_id}] {SourceContext} -- {Message:lj}{NewLine}{Exception}";

    private static SerilogLoggerProvider SerilogProvider(LoggerConfiguration configuration)
        // Microsoft.Extensions.Logging filters by level first (log_level); Serilog writes what reaches it.
        => new(configuration.MinimumLevel.Verbose().Enrich.With<ServeContextEnricher>().CreateLogger(), dispose: true);

    /// <summary>Adds the request's fields to every event logged while a request runs (empty outside one, as Ray's are).</summary>
    internal sealed class ServeContextEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
        {
            var context = ServeRequestContext.Current;
            // The proxies' access lines are written after the request, outside its context: they name it themselves.
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("application", context?.ApplicationName ?? Text(logEvent, "App")));
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("deployment", context?.Deployment ?? ""));
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("replica", context?.ReplicaId ?? ""));
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("request_id", context?.RequestId ?? Text(logEvent, "RequestId")));
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("route", context?.Route ?? Text(logEvent, "Path")));
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("levelname", RayJsonFormatter.LevelName(logEvent.Level)));
        }
    }

    private static string Text(LogEvent logEvent, string property)
        => logEvent.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: string text } ? text : "";

    /// <summary>
    /// One JSON object per line with Ray's field names: <c>asctime</c>, <c>levelname</c>, <c>message</c>, the request's
    /// fields, <c>logger</c> (the category), <c>exc_text</c> with an exception, and the message's own named values.
    /// Values are written by Serilog's <see cref="JsonValueFormatter"/>.
    /// </summary>
    internal sealed class RayJsonFormatter : ITextFormatter
    {
        private static readonly JsonValueFormatter s_values = new(typeTagName: null);
        private static readonly Serilog.Formatting.Display.MessageTemplateTextFormatter s_message = new("{Message:l}", CultureInfo.InvariantCulture);
        private static readonly HashSet<string> s_fields = new(StringComparer.Ordinal) { "application", "deployment", "replica", "request_id", "route", "SourceContext", "levelname" };

        public void Format(LogEvent logEvent, TextWriter output)
        {
            output.Write("{\"asctime\":");
            JsonValueFormatter.WriteQuotedJsonString(logEvent.Timestamp.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture), output);
            output.Write(",\"levelname\":");
            JsonValueFormatter.WriteQuotedJsonString(LevelName(logEvent.Level), output);
            output.Write(",\"message\":");
            // Strings as they are (Serilog's :l), as the console's text line shows them, not as quoted literals.
            using (var message = new StringWriter(CultureInfo.InvariantCulture))
            {
                s_message.Format(logEvent, message);
                JsonValueFormatter.WriteQuotedJsonString(message.ToString(), output);
            }
            foreach (var field in new[] { "application", "deployment", "replica", "request_id", "route" })
            {
                output.Write(",\"");
                output.Write(field);
                output.Write("\":");
                if (logEvent.Properties.TryGetValue(field, out var value))
                {
                    s_values.Format(value, output);
                }
                else
                {
                    output.Write("\"\"");
                }
            }
            if (logEvent.Properties.TryGetValue("SourceContext", out var category))
            {
                output.Write(",\"logger\":");
                s_values.Format(category, output);
            }
            if (logEvent.Exception is { } exception)
            {
                output.Write(",\"exc_text\":");
                JsonValueFormatter.WriteQuotedJsonString(exception.ToString(), output);
            }
            foreach (var (name, value) in logEvent.Properties)
            {
                if (s_fields.Contains(name) || name is "EventId" or "{OriginalFormat}")
                {
                    continue;
                }
                output.Write(',');
                JsonValueFormatter.WriteQuotedJsonString(name, output);
                output.Write(':');
                s_values.Format(value, output);
            }
            output.Write('}');
            output.Write('\n');
        }

        // Python's level names, as Ray's JSON lines have them.
        internal static string LevelName(LogEventLevel level) => level switch
        {
            LogEventLevel.Verbose or LogEventLevel.Debug => "DEBUG",
            LogEventLevel.Information => "INFO",
            LogEventLevel.Warning => "WARNING",
            LogEventLevel.Error => "ERROR",
            _ => "CRITICAL",
        };
    }
}
