using System.Diagnostics;

namespace EdgeGateway.Testing;

/// <summary>
/// A real SMTP server on 127.0.0.1 for the e-mail tests: Debian's python3-aiosmtpd running <c>smtp-sink.py</c> (kept
/// beside this file), on a port the kernel picks. Every message it accepts lands in <see cref="Directory"/> as
/// <c>NNNN.eml</c> (complete files only). With a user name and password it requires SMTP AUTH (PLAIN or LOGIN, over
/// plain loopback) and accepts that pair only; <see cref="AuthAttempts"/> lists each attempt as <c>ok|refused MECHANISM
/// USER</c>. Disposing stops it and removes the folder.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3"; // Debian's, which has aiosmtpd (not a pyenv shim's)

    private readonly Process _process;

    private SmtpSink(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
    }

    /// <summary>Always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>Where the received messages are written.</summary>
    public string Directory { get; }

    /// <summary>The messages received so far, oldest first (file paths).</summary>
    public IReadOnlyList<string> Messages =>
        [.. System.IO.Directory.GetFiles(Directory, "*.eml").Order(StringComparer.Ordinal)];

    /// <summary>Each AUTH attempt so far: <c>ok PLAIN user</c> or <c>refused LOGIN user</c> (never a password).</summary>
    public IReadOnlyList<string> AuthAttempts
    {
        get
        {
            var path = Path.Combine(Directory, "auth.log");
            return File.Exists(path) ? File.ReadAllLines(path) : [];
        }
    }

    /// <summary>Starts the sink; with <paramref name="user"/> and <paramref name="password"/> it requires AUTH with them.</summary>
    public static async Task<SmtpSink> StartAsync(string? user = null, string? password = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: run scripts/setup.sh (it installs python3-aiosmtpd).");
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("eg-smtp-").FullName;
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // the sink stops when this closes, even if the test process dies
            UseShellExecute = false,
        };
        info.ArgumentList.Add(EdgeGatewayStack.RepositoryPath("tests", "EdgeGateway.Testing", "smtp-sink.py"));
        info.ArgumentList.Add("--dir");
        info.ArgumentList.Add(directory);
        if (user is not null)
        {
            info.ArgumentList.Add("--user");
            info.ArgumentList.Add(user);
            info.ArgumentList.Add("--password");
            info.ArgumentList.Add(password ?? string.Empty);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the SMTP sink.");
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (line is null || !line.StartsWith("LISTENING ", StringComparison.Ordinal) || !int.TryParse(line.AsSpan(10), out var port))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new InvalidOperationException($"The SMTP sink did not start: {line} {await errors}");
        }

        return new SmtpSink(process, directory, port);
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived (a condition with a deadline); returns them all.</summary>
    public async Task<IReadOnlyList<string>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        await Conditions.WaitUntilAsync(() => Messages.Count >= count, timeout, $"{count} message(s) at the SMTP sink");
        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close(); // the sink's signal to stop
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
