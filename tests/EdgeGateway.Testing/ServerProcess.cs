using System.Diagnostics;

namespace EdgeGateway.Testing;

/// <summary>
/// One product binary (the cloud's or the appliance's build output) run by the dotnet host as its own process, so that
/// a test can kill it the way a crash or a power cut does. Its output is kept (the last 5000 lines) for assertions
/// and failure messages; disposing kills it, and so does the test process's own exit or crash (an unhandled exception),
/// so that a failed run does not leave a cloud holding its ports.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int MaxLines = 5000;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ServerProcess, bool> Running = new();

    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly Task _pumps;

    static ServerProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillAll();
    }

    private ServerProcess(Process process)
    {
        _process = process;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
        Running[this] = true;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote so far (stdout and stderr, interleaved as read).</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/> <paramref name="arguments"/></c> with extra environment variables.</summary>
    public static ServerProcess Start(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build the solution ({ProductBinaries.Configuration}) first.", dll);
        }

        var info = new ProcessStartInfo(ProductBinaries.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {dll}."));
    }

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown code runs, the kernel closes its sockets. Returns once it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(timeout.Token);
        await Task.WhenAny(_pumps, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            Running.TryRemove(this, out _);
            _process.Dispose();
        }
    }

    private static void KillAll()
    {
        foreach (var server in Running.Keys)
        {
            try
            {
                server._process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Exited already.
            }
        }
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > MaxLines)
                {
                    _lines.Dequeue();
                }
            }
        }
    }
}
