using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Testing;

/// <summary>Collects every log line of the hosts under test, to assert on errors and leaked secrets.</summary>
public sealed class LogCollector : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>All text of all entries (messages, exceptions, structured values).</summary>
    public string AllText() => string.Join('\n', Entries.Select(e => e.ToString()));

    public IReadOnlyList<LogEntry> Errors(params string[] expected) =>
        [.. Entries.Where(e => e.Level >= LogLevel.Error && !expected.Any(x => e.Message.Contains(x, StringComparison.Ordinal)))];

    public sealed record LogEntry(LogLevel Level, string Category, string Message, string? Exception, string State)
    {
        public override string ToString() => $"{Level} {Category}: {Message} {State} {Exception}";
    }

    private sealed class Collector(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            owner.Entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception?.ToString(), structured));
        }
    }
}
