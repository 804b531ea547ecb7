using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeGateway.Testing;

/// <summary>How a test VNC server authenticates clients.</summary>
public enum VncSecurity
{
    /// <summary>No authentication (security type 1).</summary>
    None,

    /// <summary>VNC authentication (security type 2) with <see cref="VncServer.Password"/>.</summary>
    VncAuth,

    /// <summary>VeNCrypt X509Vnc: TLS with the server's self-signed certificate, then VNC authentication (TigerVNC only).</summary>
    X509Vnc,

    /// <summary>VeNCrypt X509None: TLS with the server's certificate, no authentication (TigerVNC only).</summary>
    X509None,

    /// <summary>VeNCrypt TLSVnc only: anonymous TLS, then VNC authentication (TigerVNC only; the appliance refuses it).</summary>
    TlsVncOnly,

    /// <summary>VeNCrypt TLSVnc, then plain VncAuth: TigerVNC's default without a certificate.</summary>
    TlsVncOrVncAuth,
}

/// <summary>
/// A real VNC server on 127.0.0.1 for tests, on a free X display number and a free TCP port: TigerVNC's Xvnc (an X
/// server with RFB built in), or x11vnc serving an Xvfb screen (a different RFB implementation, which can be forced to
/// RFB 3.3). X clients run on its display (<see cref="StartClient"/>, <see cref="RunAsync"/>); <see cref="CaptureAsync"/>
/// reads the X server's own pixels for comparison. Every process it started is killed on dispose.
/// </summary>
public sealed class VncServer : IAsyncDisposable
{
    /// <summary>The password of servers started with authentication.</summary>
    public const string DefaultPassword = "plant-vnc1";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly List<Process> _processes = [];
    private readonly string _directory;

    private VncServer(string directory)
    {
        _directory = directory;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>The X display, e.g. ":117".</summary>
    public string Display { get; private set; } = string.Empty;

    /// <summary>The VNC password, or empty for <see cref="VncSecurity.None"/>.</summary>
    public string Password { get; private set; } = string.Empty;

    /// <summary>The server's TLS certificate (VeNCrypt X509 only).</summary>
    public X509Certificate2? Certificate { get; private set; }

    /// <summary>"Xvnc" or "x11vnc".</summary>
    public string Implementation { get; private set; } = string.Empty;

    /// <summary>What the server processes wrote (their logs), for failure messages.</summary>
    public string Log => string.Join('\n', Directory.EnumerateFiles(_directory, "*.log").Select(f => $"== {Path.GetFileName(f)}\n{SafeRead(f)}"));

    /// <summary>Starts TigerVNC's Xvnc at 800×600, depth 24.</summary>
    public static Task<VncServer> StartTigerVncAsync(VncSecurity security, int width = 800, int height = 600) =>
        StartAsync("Xvnc", server => server.LaunchXvncAsync(security, width, height));

    /// <summary>Starts Xvfb at 800×600×24 and x11vnc on it; <paramref name="rfb33"/> makes x11vnc speak RFB 3.3 only.</summary>
    public static Task<VncServer> StartX11VncAsync(bool withPassword, bool rfb33 = false) =>
        StartAsync("x11vnc", server => server.LaunchX11VncAsync(withPassword, rfb33));

    private static async Task<VncServer> StartAsync(string implementation, Func<VncServer, Task> launch)
    {
        for (var attempt = 0; ; attempt++)
        {
            var server = new VncServer(Directory.CreateTempSubdirectory("eg-vnc-").FullName) { Implementation = implementation };
            try
            {
                await launch(server);
                return server;
            }
            catch (Exception ex)
            {
                // Nothing is left running whatever failed; a display or port taken meanwhile is tried again on another number.
                await server.DisposeAsync();
                if (ex is not InvalidOperationException || attempt >= 3)
                {
                    throw;
                }
            }
        }
    }

    private async Task LaunchXvncAsync(VncSecurity security, int width, int height)
    {
        var (number, port) = (FreeDisplay(), FreePort.Get());
        var arguments = new List<string>
        {
            $":{number}", "-rfbport", port.ToString(CultureInfo.InvariantCulture), "-localhost", "-nolisten", "tcp",
            "-UseBlacklist=0", "-geometry", $"{width}x{height}", "-depth", "24", "-AlwaysShared", "-desktop", "eg-test",
        };
        if (security != VncSecurity.None)
        {
            Password = DefaultPassword;
            var passwd = Path.Combine(_directory, "passwd");
            // vncpasswd -f writes 8 binary bytes: straight to the file (a text pipe would mangle them).
            await ProcessRunner.RunCheckedAsync("sh", ["-c", "vncpasswd -f > \"$0\"", passwd], Password + "\n");
            arguments.AddRange(["-PasswordFile", passwd]);
        }

        switch (security)
        {
            case VncSecurity.None:
                arguments.AddRange(["-SecurityTypes", "None"]);
                break;
            case VncSecurity.VncAuth:
                arguments.AddRange(["-SecurityTypes", "VncAuth"]);
                break;
            case VncSecurity.TlsVncOnly:
                arguments.AddRange(["-SecurityTypes", "TLSVnc"]);
                break;
            case VncSecurity.TlsVncOrVncAuth:
                arguments.AddRange(["-SecurityTypes", "TLSVnc,VncAuth"]);
                break;
            default:
                var (cert, key) = WriteCertificate();
                arguments.AddRange(["-SecurityTypes", security == VncSecurity.X509Vnc ? "X509Vnc" : "X509None", "-X509Cert", cert, "-X509Key", key]);
                break;
        }

        Display = $":{number}";
        Port = port;
        Launch("Xvnc", arguments, "xvnc.log");
        await WaitForBannerAsync();
    }

    private async Task LaunchX11VncAsync(bool withPassword, bool rfb33)
    {
        var (number, port) = (FreeDisplay(), FreePort.Get());
        Display = $":{number}";
        Port = port;

        // -noreset: Xvfb would otherwise reset when its last client (xsetroot) leaves, and lose what it drew.
        Launch("Xvfb", [Display, "-screen", "0", "800x600x24", "-nolisten", "tcp", "-noreset"], "xvfb.log");
        await Conditions.WaitUntilAsync(() => File.Exists($"/tmp/.X11-unix/X{number}") || _processes[0].HasExited, StartTimeout, "Xvfb's socket");
        if (_processes[0].HasExited)
        {
            throw new InvalidOperationException($"Xvfb exited: {Log}");
        }

        var arguments = new List<string>
        {
            "-display", Display, "-rfbport", port.ToString(CultureInfo.InvariantCulture), "-localhost", "-forever", "-shared",
            "-noxdamage", "-nocursor", "-noipv6", "-nolookup", "-quiet",
            // No MIT-SHM: x11vnc's shared-memory copy of the screen outlives it when it is killed (one 1.9 MB SysV
            // segment per run, until the machine's segment table is full and x11vnc no longer starts).
            "-noshm",
        };
        if (withPassword)
        {
            Password = DefaultPassword;
            var passwd = Path.Combine(_directory, "passwd");
            await ProcessRunner.RunCheckedAsync("x11vnc", ["-storepasswd", Password, passwd]);
            arguments.AddRange(["-rfbauth", passwd]);
        }
        else
        {
            arguments.Add("-nopw");
        }

        if (rfb33)
        {
            arguments.AddRange(["-rfbversion", "3.3"]);
        }

        Launch("x11vnc", arguments, "x11vnc.log");
        await WaitForBannerAsync();
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

        Certificate?.Dispose();

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

    private void Launch(string program, IEnumerable<string> arguments, string logName)
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
        }
    }

    private async Task WaitForBannerAsync()
    {
        var server = _processes[^1];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"{Implementation} exited at start: {Log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                var banner = new byte[12];
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.GetStream().ReadExactlyAsync(banner, timeout.Token);
                if (banner.AsSpan().StartsWith("RFB "u8))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or EndOfStreamException)
            {
                // Not listening yet.
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"{Implementation} did not answer on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s: {Log}");
    }

    private (string Cert, string Key) WriteCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=eg-test-vnc", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Path.Combine(_directory, "cert.pem");
        var keyPath = Path.Combine(_directory, "key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        Certificate = X509CertificateLoader.LoadCertificate(certificate.RawData);
        certificate.Dispose();
        return (certPath, keyPath);
    }

    /// <summary>
    /// A display number no live X server holds. A lock whose process is gone (an X server killed outright leaves its
    /// lock file and socket behind) is stale: it is removed, as an X server itself would, and the number is free.
    /// </summary>
    private static int FreeDisplay()
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

    private static bool IsStale(int number)
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

    private static void RemoveDisplayFiles(int number)
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

    private static string SafeRead(string path)
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
