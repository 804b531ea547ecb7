using System.Diagnostics;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// A process the harness starts (the cloud, an appliance): its output goes to a log file, and lines can be awaited
/// with the time they arrived. Disposing stops it with SIGTERM, then SIGKILL after a grace period.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private readonly List<(string Text, TaskCompletionSource<long> Seen)> _waiters = [];
    private readonly Task _pumps;

    private ChildProcess(Process process, StreamWriter log, long startedAt)
    {
        _process = process;
        _log = log;
        StartedAt = startedAt;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    public int Id => _process.Id;

    /// <summary>Stopwatch timestamp taken just before the process was started.</summary>
    public long StartedAt { get; }

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string> environment, string workingDirectory, string logPath)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        return new ChildProcess(process, log, startedAt);
    }

    /// <summary>Completes with the arrival timestamp of the first output line, from now on, that contains <paramref name="text"/>.</summary>
    public Task<long> WaitForLineAsync(string text)
    {
        lock (_gate)
        {
            var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, seen));
            return seen.Task;
        }
    }

    public ProcSample Sample() => ProcStats.Read(_process.Id);

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            var at = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _log.WriteLine(line);
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (line.Contains(_waiters[i].Text, StringComparison.Ordinal))
                    {
                        _waiters[i].Seen.TrySetResult(at);
                        _waiters.RemoveAt(i);
                    }
                }
            }
        }
    }

    /// <summary>Waits for the process to exit on its own; returns its exit code (killed after <paramref name="timeout"/>).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        await Task.WhenAny(_pumps, Task.Delay(TimeSpan.FromSeconds(5)));
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            ProcStats.Terminate(_process.Id);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        await Task.WhenAny(_pumps, Task.Delay(TimeSpan.FromSeconds(2)));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        lock (_gate)
        {
            _log.Dispose();
            foreach (var (_, seen) in _waiters)
            {
                seen.TrySetCanceled();
            }
        }

        _process.Dispose();
    }
}
