using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace EdgeGateway.Testing;

/// <summary>
/// A real OpenSSH server on 127.0.0.1 with a throwaway system user who logs in with a password. Needs root (it
/// creates the user) and Debian's <c>openssh-server</c>. Starts in well under a second; disposing stops sshd,
/// ends every process of the user, deletes the user and removes the temporary directory.
/// </summary>
/// <remarks>
/// Every run uses fresh random names (user, directory, port), so a crashed run never collides with the next one;
/// the next start also removes what a crashed run left behind (its user, sshd and directory), recognised by a
/// marker naming the owning test process, and only once that process is gone.
/// </remarks>
public sealed class SshServer : IAsyncDisposable
{
    private const string SshdPath = "/usr/sbin/sshd";
    private const string SshKeygenPath = "/usr/bin/ssh-keygen";
    private const string UseraddPath = "/usr/sbin/useradd";
    private const string UserdelPath = "/usr/sbin/userdel";
    private const string ChpasswdPath = "/usr/sbin/chpasswd";
    private const string NamePrefix = "egtest_";
    private const string OwnerMarker = "EdgeGateway test fixture";
    private const string OwnerFile = "owner";
    private const string ConfigFile = "sshd_config";
    private const string PidFile = "sshd.pid";
    private const int MaxLogLines = 2000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    // useradd/userdel lock /etc/passwd and fail, rather than wait, when another one holds it.
    private static readonly SemaphoreSlim AccountLock = new(1, 1);

    private readonly Process _sshd;
    private readonly Task _logPump;
    private readonly Queue<string> _log;
    private readonly int _uid;
    private readonly string _directory; // host key, config, pid file, owner and the home directory
    private int _disposed;

    private SshServer(Process sshd, Task logPump, Queue<string> log, int port, string userName, int uid, string password, string directory, string hostPublicKey)
    {
        _sshd = sshd;
        _logPump = logPump;
        _log = log;
        _uid = uid;
        Port = port;
        UserName = userName;
        Password = password;
        _directory = directory;
        HomeDirectory = Path.Combine(directory, "home");
        HostPublicKey = hostPublicKey;
        HostKeyFingerprint = Fingerprint(hostPublicKey);
    }

    /// <summary>Always <c>127.0.0.1</c>.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The port sshd listens on.</summary>
    public int Port { get; }

    /// <summary>The throwaway user (<c>egtest_xxxxxx</c>), the only one sshd lets in.</summary>
    public string UserName { get; }

    /// <summary>The user's random password.</summary>
    public string Password { get; }

    /// <summary>The user's home directory (shell <c>/bin/bash</c>, files from <c>/etc/skel</c>).</summary>
    public string HomeDirectory { get; }

    /// <summary>The server's public host key as in <c>known_hosts</c>: <c>ssh-ed25519 AAAA…</c>.</summary>
    public string HostPublicKey { get; }

    /// <summary>
    /// SHA-256 fingerprint of the host key, unpadded base64 as <c>ssh-keygen -lf</c> prints it, without the
    /// <c>SHA256:</c> prefix (SSH.NET's <c>HostKeyEventArgs.FingerPrintSHA256</c> has the same form).
    /// </summary>
    public string HostKeyFingerprint { get; }

    /// <summary>The lines sshd has written to stderr so far (the last 2000): logins, failures, disconnects.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>The directory holding the configuration, the host key and the files of <see cref="SshServerOptions.Files"/>.</summary>
    public string Directory => _directory;

    /// <summary>Creates the user and the host key, and starts sshd; returns once sshd listens.</summary>
    /// <exception cref="InvalidOperationException">Not root, OpenSSH missing, or sshd would not start (its output included).</exception>
    public static Task<SshServer> StartAsync(CancellationToken cancellationToken = default) => StartAsync(new SshServerOptions(), cancellationToken);

    /// <summary>
    /// Starts an sshd configured as <paramref name="options"/> say: a device's own configuration lines (they take
    /// precedence over the fixture's defaults), its password and its host key type.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not root, OpenSSH missing, or sshd would not start (its output included).</exception>
    public static async Task<SshServer> StartAsync(SshServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException("SshServer needs Linux with OpenSSH: run scripts/setup.sh on Debian 12.");
        }

        CheckPrerequisites();
        await ReapStaleAsync(cancellationToken);

        // sshd refuses to start without its privilege-separation directory, even on a high port.
        System.IO.Directory.CreateDirectory("/run/sshd", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var (userName, directory) = CreateWorkDirectory();
        int? uid = null;
        try
        {
            var password = options.Password ?? RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.", 24);
            uid = await CreateUserAsync(userName, password, Path.Combine(directory, "home"), cancellationToken);
            foreach (var (name, content) in options.Files)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, name), Expand(content, directory, userName), cancellationToken);
            }

            // sshd names its PAM service after the name it was started by: a link named after the user selects
            // /etc/pam.d/<user>, the device's own login stack, and leaves the machine's sshd service alone.
            var program = SshdPath;
            if (options.PamAuth.Count > 0)
            {
                await File.WriteAllTextAsync(PamServiceFile(userName), string.Join('\n', options.PamAuth.Select(l => Expand(l, directory, userName))) + "\naccount required pam_unix.so\nsession required pam_unix.so\n", cancellationToken);
                program = Path.Combine(directory, userName);
                File.CreateSymbolicLink(program, SshdPath);
            }

            var hostKey = Path.Combine(directory, "host_key");
            await ProcessRunner.RunCheckedAsync(SshKeygenPath, ["-q", "-t", options.HostKeyType, "-N", "", "-C", userName, "-f", hostKey], cancellationToken: cancellationToken);
            var hostPublicKey = string.Join(' ', File.ReadAllText(hostKey + ".pub").Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]);

            // The port can be taken between FreePort and sshd's bind: try a few.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort.Get();
                var config = Path.Combine(directory, ConfigFile);
                await File.WriteAllTextAsync(config, Config(port, hostKey, Path.Combine(directory, PidFile), userName, options.ConfigLines.Select(l => Expand(l, directory, userName))), cancellationToken);
                var check = await ProcessRunner.RunAsync(SshdPath, ["-t", "-f", config], cancellationToken: cancellationToken);
                if (check.ExitCode != 0)
                {
                    throw new InvalidOperationException($"sshd rejected its test configuration ({config}): {check.Error.Trim()}");
                }

                var (sshd, logPump, log, listening) = await LaunchAsync(program, config, cancellationToken);
                if (listening)
                {
                    return new SshServer(sshd, logPump, log, port, userName, uid.Value, password, directory, hostPublicKey);
                }

                var why = sshd.HasExited ? $"it exited with code {sshd.ExitCode}" : $"no \"Server listening on\" within {StartTimeout.TotalSeconds:0} s";
                await StopAsync(sshd, logPump);
                string seen;
                lock (log)
                {
                    seen = string.Join('\n', log);
                }

                if (attempt == 3 || !seen.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"sshd did not start on 127.0.0.1:{port} ({why}). Its output:\n{seen}");
                }
            }
        }
        catch
        {
            await RemoveAsync(userName, uid, directory, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Stops sshd and every session, deletes the user and removes the temporary directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await StopAsync(_sshd, _logPump);
        }
        finally
        {
            await RemoveAsync(UserName, _uid, _directory, CancellationToken.None);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"sshd {UserName}@{Host}:{Port}";

    /// <summary>
    /// Pids of the user's session processes (<c>sshd: user@pts/N</c> or <c>sshd: user@notty</c>): the unprivileged
    /// half of each connection, which speaks the protocol. Killing or stopping one is what a crashing or freezing
    /// device does to a session.
    /// </summary>
    public IReadOnlyList<int> SessionProcessIds()
    {
        var found = new List<int>();
        foreach (var pid in ProcessIds())
        {
            try
            {
                var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
                if (commandLine.StartsWith($"sshd: {UserName}@", StringComparison.Ordinal) && ReadUid(pid) == _uid)
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }

        return found;
    }

    /// <summary>Sends a signal (<c>STOP</c>, <c>CONT</c>, <c>TERM</c>, …) to processes with kill(1), as a device's own fault would.</summary>
    public static void Signal(IEnumerable<int> pids, string signal)
    {
        ArgumentNullException.ThrowIfNull(pids);
        foreach (var pid in pids)
        {
            using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    /// <summary>Pids of every live process of the throwaway user (the shell and what runs in it).</summary>
    public IReadOnlyList<int> UserProcessIds() => [.. ProcessIds().Where(pid => ReadUid(pid) == _uid)];

    private static string Config(int port, string hostKey, string pidFile, string userName, IEnumerable<string> deviceLines) => $"""
        # The device's own lines first: for most keywords sshd keeps the first value it reads.
        {string.Join('\n', deviceLines)}
        # EdgeGateway test server: loopback only, one throwaway user, password login, nothing forwarded.
        ListenAddress 127.0.0.1
        Port {port}
        HostKey {hostKey}
        PidFile {pidFile}
        UsePAM no
        PasswordAuthentication yes
        PermitEmptyPasswords no
        KbdInteractiveAuthentication no
        PubkeyAuthentication yes
        PermitRootLogin no
        AllowUsers {userName}
        X11Forwarding no
        AllowAgentForwarding no
        AllowTcpForwarding no
        AllowStreamLocalForwarding no
        PermitTunnel no
        PermitUserEnvironment no
        # Quiet logins: shell output starts with the prompt (no motd, no "Last login").
        PrintMotd no
        PrintLastLog no
        UseDNS no
        LogLevel INFO

        """;

    private static void CheckPrerequisites()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("SshServer must run as root: it creates a throwaway system user. Run the tests as root (see scripts/setup.sh).");
        }

        foreach (var tool in new[] { SshdPath, SshKeygenPath, UseraddPath, UserdelPath, ChpasswdPath })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: run scripts/setup.sh (installs openssh-server).");
            }
        }
    }

    [SupportedOSPlatform("linux")]
    private static (string UserName, string Directory) CreateWorkDirectory()
    {
        while (true)
        {
            var userName = NamePrefix + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 6);
            var directory = Path.Combine(Path.GetTempPath(), userName);
            if (System.IO.Directory.Exists(directory) || UserExists(userName))
            {
                continue;
            }

            // World-traversable, so the user can reach the home directory inside it.
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            // Written whole or not at all: a parallel run's reaper must never read a half-written owner.
            File.WriteAllText(Path.Combine(directory, OwnerFile + ".new"), Owner.Current);
            File.Move(Path.Combine(directory, OwnerFile + ".new"), Path.Combine(directory, OwnerFile));
            return (userName, directory);
        }
    }

    private static async Task<int> CreateUserAsync(string userName, string password, string home, CancellationToken cancellationToken)
    {
        await AccountLock.WaitAsync(cancellationToken);
        try
        {
            await RetryWhileLockedAsync(
                () => ProcessRunner.RunAsync(UseraddPath, ["--create-home", "--home-dir", home, "--shell", "/bin/bash", "--comment", OwnerMarker + " " + Owner.Current, userName], cancellationToken: cancellationToken),
                cancellationToken);
            await RetryWhileLockedAsync(
                () => ProcessRunner.RunAsync(ChpasswdPath, [], $"{userName}:{password}\n", cancellationToken),
                cancellationToken);
        }
        finally
        {
            AccountLock.Release();
        }

        return ReadPasswd().Single(u => u.Name == userName).Uid;
    }

    private static async Task RetryWhileLockedAsync(Func<Task<ProcessResult>> run, CancellationToken cancellationToken)
    {
        // Another process (a parallel test run) may hold /etc/passwd's lock for a moment.
        for (var attempt = 1; ; attempt++)
        {
            var result = await run();
            if (result.ExitCode == 0)
            {
                return;
            }

            if (attempt == 20 || !result.Error.Contains("lock", StringComparison.OrdinalIgnoreCase))
            {
                throw result.ToException();
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static string Expand(string text, string directory, string userName) =>
        text.Replace("{dir}", directory, StringComparison.Ordinal).Replace("{user}", userName, StringComparison.Ordinal);

    private static string PamServiceFile(string userName) => Path.Combine("/etc/pam.d", userName);

    private static async Task<(Process Process, Task LogPump, Queue<string> Log, bool Listening)> LaunchAsync(string program, string config, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-D", "-f", config, "-e" })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start sshd.");
        var log = new Queue<string>();
        var listening = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Keep draining sshd's output for its whole life: a full pipe would block sshd.
        var logPump = Task.WhenAll(
            PumpAsync(process.StandardError, log, listening),
            PumpAsync(process.StandardOutput, log, null));
        _ = logPump.ContinueWith(_ => listening.TrySetResult(false), TaskScheduler.Default);

        bool ready;
        try
        {
            ready = await listening.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            ready = false;
        }
        catch (OperationCanceledException)
        {
            await StopAsync(process, logPump);
            throw;
        }

        return (process, logPump, log, ready);
    }

    private static async Task PumpAsync(StreamReader reader, Queue<string> log, TaskCompletionSource<bool>? listening)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (log)
            {
                log.Enqueue(line);
                if (log.Count > MaxLogLines)
                {
                    log.Dequeue();
                }
            }

            if (line.StartsWith("Server listening on", StringComparison.Ordinal))
            {
                listening?.TrySetResult(true);
            }
        }
    }

    private static async Task StopAsync(Process sshd, Task logPump)
    {
        using (sshd)
        {
            try
            {
                // The tree: sshd forks a monitor per connection, which forks the user's session.
                sshd.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            using var timeout = new CancellationTokenSource(StopTimeout);
            await sshd.WaitForExitAsync(timeout.Token);

            // A process that escaped the tree may still hold the pipe; do not wait for it.
            await Task.WhenAny(logPump, Task.Delay(StopTimeout));
        }
    }

    private static async Task RemoveAsync(string userName, int? uid, string directory, CancellationToken cancellationToken)
    {
        File.Delete(PamServiceFile(userName)); // the device's login stack, if it had one
        // A start that failed between useradd and reading the uid still left a user.
        uid ??= ReadPasswd().Where(u => u.Name == userName).Select(u => (int?)u.Uid).FirstOrDefault();
        if (uid is { } id)
        {
            // Sessions that outlived sshd's tree (a daemonised child, a stray setsid).
            KillProcessesOf(id);
            await AccountLock.WaitAsync(cancellationToken);
            try
            {
                for (var attempt = 1; ; attempt++)
                {
                    // 6: no such user. 12: could not remove the home directory (deleted below with the rest).
                    // 8: "currently used by a process": a killed session not yet reaped (a zombie), or a lock
                    // holder; after a while force it, the processes are dead or killed.
                    string[] arguments = attempt < 10 ? ["--remove", userName] : ["--remove", "--force", userName];
                    var result = await ProcessRunner.RunAsync(UserdelPath, arguments, cancellationToken: cancellationToken);
                    if (result.ExitCode is 0 or 6 or 12)
                    {
                        break;
                    }

                    if (attempt == 20)
                    {
                        throw result.ToException();
                    }

                    KillProcessesOf(id);
                    await Task.Delay(50, cancellationToken);
                }
            }
            finally
            {
                AccountLock.Release();
            }
        }

        if (System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    private static void KillProcessesOf(int uid)
    {
        for (var round = 0; round < 10; round++)
        {
            var found = false;
            foreach (var pid in ProcessIds())
            {
                if (ReadUid(pid) != uid)
                {
                    continue;
                }

                found = true;
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Gone already.
                }
            }

            if (!found)
            {
                return;
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>Removes the users, sshd processes and directories of earlier runs whose test process has died.</summary>
    private static async Task ReapStaleAsync(CancellationToken cancellationToken)
    {
        var staleUsers = ReadPasswd()
            .Where(u => u.Name.StartsWith(NamePrefix, StringComparison.Ordinal) && u.Comment.StartsWith(OwnerMarker + " ", StringComparison.Ordinal)
                && !Owner.IsAlive(u.Comment[(OwnerMarker.Length + 1)..]))
            .ToList();
        var staleDirectories = System.IO.Directory.EnumerateDirectories(Path.GetTempPath(), NamePrefix + "*")
            .Where(d => ReadOwnerFile(d) is { } owner && !Owner.IsAlive(owner))
            .ToList();

        // Another run may be reaping the same leftovers at the same time: losing that race is fine.
        foreach (var directory in staleDirectories)
        {
            KillStaleSshd(directory);
        }

        foreach (var user in staleUsers)
        {
            var directory = Path.Combine(Path.GetTempPath(), user.Name);
            KillStaleSshd(directory);
            await RemoveQuietlyAsync(user.Name, user.Uid, directory, cancellationToken);
        }

        foreach (var directory in staleDirectories)
        {
            await RemoveQuietlyAsync(Path.GetFileName(directory), null, directory, cancellationToken);
        }
    }

    private static async Task RemoveQuietlyAsync(string userName, int? uid, string directory, CancellationToken cancellationToken)
    {
        try
        {
            await RemoveAsync(userName, uid, directory, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Left for the next start; it does not stop this one.
        }
    }

    private static string? ReadOwnerFile(string directory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, OwnerFile));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // not written yet, or being removed
        }
    }

    private static void KillStaleSshd(string directory)
    {
        var pidFile = Path.Combine(directory, PidFile);
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

        try
        {
            // Only the sshd that was started with this directory's config: the pid may have been reused. (sshd
            // rewrites its title to "sshd: /usr/sbin/sshd -D -f CONFIG -e [listener] …", so look inside it.)
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            var executable = new FileInfo($"/proc/{pid}/exe").LinkTarget;
            if (executable == SshdPath && commandLine.Contains(" -f " + Path.Combine(directory, ConfigFile) + " ", StringComparison.Ordinal))
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            // Not running.
        }
    }

    private static bool UserExists(string userName) => ReadPasswd().Any(u => u.Name == userName);

    private static IEnumerable<(string Name, int Uid, string Comment)> ReadPasswd()
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 7 && int.TryParse(fields[2], CultureInfo.InvariantCulture, out var uid))
            {
                yield return (fields[0], uid, fields[4]);
            }
        }
    }

    private static IEnumerable<int> ProcessIds()
    {
        foreach (var entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>The real uid of a live process; null for a zombie (already dead, waiting for its parent to reap it).</summary>
    private static int? ReadUid(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("State:\tZ", StringComparison.Ordinal))
                {
                    return null;
                }

                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return int.Parse(line.AsSpan(4).Trim().ToString().Split('\t')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process exited while we looked.
        }

        return null;
    }

    private static string Fingerprint(string publicKey)
    {
        var blob = Convert.FromBase64String(publicKey.Split(' ')[1]);
        return Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    /// <summary>Identifies a test process across pid reuse: its pid and its start time since boot.</summary>
    private static class Owner
    {
        public static string Current { get; } = Describe(Environment.ProcessId) ?? $"pid={Environment.ProcessId} start=0";

        public static bool IsAlive(string owner) => Describe(ParsePid(owner)) == owner.Trim();

        private static int ParsePid(string owner)
        {
            var field = owner.Trim().Split(' ').FirstOrDefault(f => f.StartsWith("pid=", StringComparison.Ordinal));
            return field is not null && int.TryParse(field.AsSpan(4), CultureInfo.InvariantCulture, out var pid) ? pid : -1;
        }

        private static string? Describe(int pid)
        {
            try
            {
                // Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces, so count after its ')'.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return $"pid={pid} start={fields[19]}";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                return null;
            }
        }
    }
}

/// <summary>How a test device's sshd differs from the fixture's defaults.</summary>
public sealed record SshServerOptions
{
    /// <summary>
    /// sshd_config lines of the device (<c>KbdInteractiveAuthentication yes</c>, <c>PermitTTY no</c>, …); they come
    /// before the fixture's defaults, so they win. <c>{dir}</c> and <c>{user}</c> are replaced as in <see cref="Files"/>.
    /// </summary>
    public IReadOnlyList<string> ConfigLines { get; init; } = [];

    /// <summary>The user's password; random when null.</summary>
    public string? Password { get; init; }

    /// <summary>The host key's type for <c>ssh-keygen -t</c>: <c>ed25519</c>, <c>rsa</c>, <c>ecdsa</c> or <c>dsa</c>.</summary>
    public string HostKeyType { get; init; } = "ed25519";

    /// <summary>
    /// Files written into the server's directory before it starts (name → text), e.g. a banner. <c>{dir}</c> and
    /// <c>{user}</c> in the text are replaced by the server's directory and the user's name.
    /// </summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The device's PAM <c>auth</c> lines (e.g. <c>pam_unix.so</c> then <c>pam_oath.so</c> for a second factor), for a
    /// device with <c>UsePAM yes</c>. When set, sshd runs under a PAM service of its own (<c>/etc/pam.d/&lt;user&gt;</c>,
    /// removed with the server): it is started through a link named after the user, and sshd names its PAM service
    /// after the name it was started by. <c>{dir}</c> and <c>{user}</c> are replaced as in <see cref="Files"/>.
    /// </summary>
    public IReadOnlyList<string> PamAuth { get; init; } = [];
}
