using System.Diagnostics;
using System.Globalization;

namespace EdgeGateway.Testing;

/// <summary>
/// A test server that owns an X display on a free number (Xvnc, or Xvfb under x11vnc or an RDP server): X clients run on
/// it (<see cref="StartClient"/>, <see cref="StartWindowAsync"/>, <see cref="RunAsync"/>), <see cref="CaptureAsync"/>
/// reads the X server's own pixels for comparison. Every process it started is killed on dispose, and a killed X
/// server's lock file and socket are removed.
/// </summary>
public abstract class XDisplayHost : IAsyncDisposable
{
    /// <summary>How long a server may take to start.</summary>
    protected static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private protected readonly List<Process> _processes = [];
    private readonly List<(string Program, int ProcessId)> _servers = [];
    private protected readonly string _directory;

    private protected XDisplayHost(string directory)
    {
        _directory = directory;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; protected set; }

    /// <summary>The X display, e.g. ":117".</summary>
    public string Display { get; protected set; } = string.Empty;

    /// <summary>What the server processes wrote (their logs), for failure messages.</summary>
    public string Log => string.Join('\n', Directory.EnumerateFiles(_directory, "*.log").Select(f => $"== {Path.GetFileName(f)}\n{SafeRead(f)}"));

    /// <summary>Starts Xvfb (<paramref name="width"/> × <paramref name="height"/>, depth 24) on a free display and waits for its socket.</summary>
    protected async Task StartXvfbAsync(int width, int height)
    {
        var number = FreeDisplay();
        Display = $":{number}";

        // -noreset: Xvfb would otherwise reset when its last client (xsetroot) leaves, and lose what it drew.
        Launch("Xvfb", [Display, "-screen", "0", $"{width}x{height}x24", "-nolisten", "tcp", "-noreset"], "xvfb.log");
        var xvfb = _processes[^1];
        await Conditions.WaitUntilAsync(() => File.Exists($"/tmp/.X11-unix/X{number}") || xvfb.HasExited, StartTimeout, "Xvfb's socket");
        if (xvfb.HasExited)
        {
            throw new InvalidOperationException($"Xvfb exited: {Log}");
        }
    }

    /// <summary>The device's own server processes (the X server, the VNC or RDP server) by program name: the benchmark accounts their CPU.</summary>
    public IReadOnlyList<(string Program, int ProcessId)> Servers
    {
        get
        {
            lock (_processes)
            {
                return [.. _servers];
            }
        }
    }

    /// <summary>Called once the processes are gone, before the temp folder is removed.</summary>
    protected virtual void OnDisposed()
    {
    }

    /// <summary>Starts an X client on the display (xterm, xmessage…); it is killed on dispose if still running.</summary>
    public Process StartClient(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DISPLAY"] = Display;
        info.Environment["LC_ALL"] = "C";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        lock (_processes)
        {
            _processes.Add(process);
        }

        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    /// <summary>
    /// Starts an X Toolkit client (xterm, xmessage…) under a title no other window on the display has, and returns once
    /// that window is mapped and viewable. Tests that share a display find their own window by it, never an earlier
    /// test's window of the same program. Throws <see cref="Xunit.Sdk.XunitException"/> when it is not viewable within
    /// <paramref name="timeout"/>.
    /// </summary>
    public async Task<(Process Process, string Title)> StartWindowAsync(string program, TimeSpan timeout, params string[] arguments)
    {
        var title = $"{program}-{Guid.NewGuid():N}"[..(program.Length + 9)];
        var process = StartClient(program, ["-title", title, .. arguments]);
        await Conditions.WaitUntilAsync(() => IsViewableAsync(title).GetAwaiter().GetResult(), timeout, $"the {program} window on the screen");
        return (process, title);
    }

    /// <summary>Runs an X client to completion (xsetroot, xwininfo…) and returns its output.</summary>
    public Task<ProcessResult> RunAsync(string program, params string[] arguments) =>
        ProcessRunner.RunCheckedAsync("env", [$"DISPLAY={Display}", program, .. arguments]);

    /// <summary>The X server's pixels now.</summary>
    public Task<XwdImage> CaptureAsync() => XwdImage.CaptureAsync(Display);

    /// <summary>True when a top-level window named (or of class) <paramref name="windowName"/> is mapped and viewable.</summary>
    public async Task<bool> IsViewableAsync(string windowName)
    {
        var tree = await RunAsync("xwininfo", "-root", "-tree");
        var line = tree.Output.Split('\n').FirstOrDefault(l => l.Contains($"\"{windowName}\"", StringComparison.Ordinal));
        if (line is null)
        {
            return false;
        }

        var info = await RunAsync("xwininfo", "-id", line.Trim().Split(' ')[0]);
        return info.Output.Contains("Map State: IsViewable", StringComparison.Ordinal);
    }

    /// <summary>
    /// Where a window's lowest descendant is (for xmessage, its button row below the text): centre in root coordinates,
    /// from <c>xwininfo -tree</c>. Null when the window has no children yet.
    /// </summary>
    public async Task<(int X, int Y)?> FindLowestChildCentreAsync(string windowName)
    {
        var tree = await RunAsync("xwininfo", "-root", "-tree");
        var lines = tree.Output.Split('\n');
        var index = Array.FindIndex(lines, l => l.Contains($"\"{windowName}\"", StringComparison.Ordinal));
        if (index < 0)
        {
            return null;
        }

        var id = lines[index].Trim().Split(' ')[0];
        var sub = await RunAsync("xwininfo", "-id", id, "-tree");
        (int X, int Y)? best = null;
        var bestTop = -1;
        foreach (var line in sub.Output.Split('\n'))
        {
            // "     0x1234 (has no name): ()  60x25+87+52  +95+160"
            var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !parts[0].StartsWith("0x", StringComparison.Ordinal))
            {
                continue;
            }

            var geometry = parts.FirstOrDefault(p => p.Contains('x', StringComparison.Ordinal) && p.Contains('+', StringComparison.Ordinal) && char.IsDigit(p[0]));
            var absolute = parts.LastOrDefault(p => p.StartsWith('+') && p.Count(c => c == '+') == 2);
            if (geometry is null || absolute is null)
            {
                continue;
            }

            var size = geometry.Split('+')[0].Split('x');
            var at = absolute.Split('+', StringSplitOptions.RemoveEmptyEntries);
            var (w, h) = (int.Parse(size[0], CultureInfo.InvariantCulture), int.Parse(size[1], CultureInfo.InvariantCulture));
            var (left, top) = (int.Parse(at[0], CultureInfo.InvariantCulture), int.Parse(at[1], CultureInfo.InvariantCulture));
            if (w < 8 || h < 8 || top <= bestTop)
            {
                continue;
            }

            bestTop = top;
            best = (left + (w / 2), top + (h / 2));
        }

        return best;
    }

    public async ValueTask DisposeAsync()
    {
        Process[] all;
        lock (_processes)
        {
            all = [.. _processes];
        }

        // Clients first, then the VNC server, then the X server it serves.
        foreach (var process in all.Reverse())
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // Gone already.
            }
            finally
            {
                process.Dispose();
            }
        }

        OnDisposed();

        // Killed outright, the X server could not remove its lock file and socket: they would pile up run after run
        // until no display number is free.
        if (Display.Length > 1 && int.TryParse(Display.AsSpan(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && IsStale(number))
        {
            RemoveDisplayFiles(number);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A log still open; the temp folder is cleaned by the OS.
        }
    }

    protected void Launch(string program, IEnumerable<string> arguments, string logName)
    {
        // The server's output goes to a log file in the temp folder, through the shell: no pipe to drain, nothing lost at a crash.
        var log = Path.Combine(_directory, logName);
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >\"$EG_LOG\" 2>&1");
        info.ArgumentList.Add(program);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["EG_LOG"] = log;
        info.Environment["HOME"] = _directory;
        info.Environment["DISPLAY"] = Display;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        lock (_processes)
        {
            _processes.Add(process);
            _servers.Add((program, process.Id)); // sh execs the program: same process
        }
    }

    /// <summary>
    /// A display number no live X server holds. A lock whose process is gone (an X server killed outright leaves its
    /// lock file and socket behind) is stale: it is removed, as an X server itself would, and the number is free.
    /// </summary>
    protected static int FreeDisplay()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var number = Random.Shared.Next(100, 900);
            if (IsStale(number))
            {
                RemoveDisplayFiles(number);
            }

            if (!File.Exists($"/tmp/.X{number}-lock") && !File.Exists($"/tmp/.X11-unix/X{number}"))
            {
                return number;
            }
        }

        throw new InvalidOperationException("No free X display number between 100 and 900.");
    }

    protected static bool IsStale(int number)
    {
        try
        {
            var text = File.ReadAllText($"/tmp/.X{number}-lock").Trim();
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
            {
                return false; // being written by a server that is starting
            }

            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return false; // no lock, or not ours to judge
        }
    }

    protected static void RemoveDisplayFiles(int number)
    {
        foreach (var path in new[] { $"/tmp/.X{number}-lock", $"/tmp/.X11-unix/X{number}" })
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another run took it meanwhile: the number is not free, and the caller sees that.
            }
        }
    }

    protected static string SafeRead(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }
}
