using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeGateway.Bench.Reporting;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// The field scenario's rows that need the product as real processes (<see cref="ProcessStack"/>: the build's cloud
/// and appliance binaries): an appliance killed with <c>kill -9</c> → every viewer told, and a 1 MiB paste through the
/// gateway against the same paste through plain <c>ssh</c>.
/// </summary>
internal static class FieldProcessTrials
{
    private const int Viewers = 3;
    private const int PasteBytes = 1024 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(BenchContext context)
    {
        var device = context.Device;
        await using var stack = await ProcessStack.StartAsync(device);
        var (http, cookies) = await stack.Client.LoginAsync(ProcessStack.AdminName, stack.AdminPassword);
        var (_, viewerCookies) = await stack.Client.LoginAsync(ProcessStack.ViewerName, stack.ViewerPassword);
        var directory = Path.Combine(Path.GetTempPath(), "eg-bench-paste-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            await RunAsync("/bin/chmod", "777", directory); // the device account writes the pasted files here
            // What a browser sends for a pasted text file: one message, lines ended by CR (the pty's ICRNL makes them LF).
            var file = Encoding.ASCII.GetBytes(PasteText.RandomPrintableLines(PasteBytes, seed: 8_3));
            var paste = file.Select(b => b == (byte)'\n' ? (byte)'\r' : b).ToArray();
            var key = await InstallKeyAsync(device, directory, context.Cancellation);
            var gateway = new List<double>();
            var direct = new List<double>();
            for (var trial = 0; trial < context.Settings.FieldTrials; trial++)
            {
                gateway.Add(await GatewayPasteAsync(stack, http, cookies, device, paste, file, Path.Combine(directory, $"g{trial}"), context.Cancellation));
                direct.Add(await DirectPasteAsync(device, key, paste, file, Path.Combine(directory, $"d{trial}"), context.Cancellation));
                context.Say($"  1 MiB paste: gateway {gateway[^1]:0} ms, plain ssh {direct[^1]:0} ms");
            }

            var mibps = PasteBytes / 1048576.0 / (Distribution.Of(gateway).Median / 1000);
            var sshMibps = PasteBytes / 1048576.0 / (Distribution.Of(direct).Median / 1000);
            context.Add(Figure.Compare(FieldScenario.Number, "1 MiB paste into `cat > f` (pty, echo on) until the device's file has it (md5)", "ms", Distribution.Of(gateway), "plain `ssh -tt`, same paste", Distribution.Of(direct)) with
            {
                Note = string.Create(CultureInfo.InvariantCulture, $"Median {mibps:0.00} MiB/s through browser protocol, cloud, MQTT, appliance and SSH, against {sshMibps:0.00} MiB/s for OpenSSH's client with its session already open (key login). Both get the echo back through the device's pty (canonical mode). Cloud and appliance are real processes."),
            });

            var told = new List<double>();
            for (var trial = 0; trial < context.Settings.FieldTrials; trial++)
            {
                told.Add(await ApplianceKilledAsync(stack, http, cookies, viewerCookies, device));
                context.Say($"  kill -9 of the appliance: every viewer told after {told[^1]:0} ms");
            }

            context.Add(Figure.Compare(FieldScenario.Number, "appliance killed (kill -9) → every viewer told \"appliance offline\"", "ms", Distribution.Of(told), "goal", Distribution.Single(2000), "max") with
            {
                Goal = "≤ 2 s",
                GoalMet = told.Max() <= 2000,
                Note = $"{Viewers} viewers + the Controller on WebSockets; the cloud and the appliance are real processes. From the kill to the last client holding the event.",
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<double> GatewayPasteAsync(ProcessStack stack, HttpClient http, CookieContainer cookies, SshServer device, byte[] paste, byte[] file, string path, CancellationToken cancellationToken)
    {
        var view = await CloudClient.StartSessionAsync(http, device, ProcessStack.ApplianceId, ProcessStack.EndpointId);
        await using (var controller = await stack.Client.OpenStreamAsync(cookies, view.Id))
        {
            await controller.SendInputAsync($"echo cat-$((6*7)) && cat > {path}\r");
            await controller.WaitForOutputAsync("cat-42", Wait);
            await WaitForFileAsync(path, 0, null, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            await controller.SendFrameAsync(FrameType.TerminalInput, paste);
            await WaitForFileAsync(path, file.Length, file, cancellationToken);
            var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await controller.SendInputAsync("\u0004");
            await http.DeleteAsync(new Uri($"/api/sessions/{view.Id}", UriKind.Relative), cancellationToken);
            return took;
        }
    }

    private static async Task<double> DirectPasteAsync(SshServer device, string key, byte[] paste, byte[] file, string path, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-tt", "-e", "none", "-i", key, "-p", device.Port.ToString(CultureInfo.InvariantCulture), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", $"{device.UserName}@{device.Host}", $"echo READY-$((6*7)) && exec cat > {path}",
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var ssh = Process.Start(info) ?? throw new InvalidOperationException("Could not start ssh.");
        try
        {
            var seen = new StringBuilder();
            var buffer = new char[4096];
            while (!seen.ToString().Contains("READY-42", StringComparison.Ordinal))
            {
                var n = await ssh.StandardOutput.ReadAsync(buffer.AsMemory(), cancellationToken).AsTask().WaitAsync(Wait, cancellationToken);
                if (n == 0)
                {
                    throw new InvalidOperationException($"ssh ended before the remote command ran: {await ssh.StandardError.ReadToEndAsync(cancellationToken)}");
                }

                seen.Append(buffer, 0, n);
            }

            // The echo comes back through the pty, as in the gateway's run: read and let go, so ssh never waits on it.
            var drain = ssh.StandardOutput.BaseStream.CopyToAsync(Stream.Null, cancellationToken);
            await WaitForFileAsync(path, 0, null, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            await ssh.StandardInput.BaseStream.WriteAsync(paste, cancellationToken);
            await ssh.StandardInput.BaseStream.FlushAsync(cancellationToken);
            await WaitForFileAsync(path, file.Length, file, cancellationToken);
            var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            ssh.Kill();
            await ssh.WaitForExitAsync(cancellationToken);
            await Task.WhenAny(drain, Task.Delay(1000, cancellationToken));
            return took;
        }
        finally
        {
            if (!ssh.HasExited)
            {
                ssh.Kill();
            }
        }
    }

    private static async Task<double> ApplianceKilledAsync(ProcessStack stack, HttpClient http, CookieContainer cookies, CookieContainer viewerCookies, SshServer device)
    {
        var view = await CloudClient.StartSessionAsync(http, device, ProcessStack.ApplianceId, ProcessStack.EndpointId);
        var clients = new List<StreamClient> { await stack.Client.OpenStreamAsync(cookies, view.Id) };
        try
        {
            for (var i = 0; i < Viewers; i++)
            {
                clients.Add(await stack.Client.OpenStreamAsync(viewerCookies, view.Id));
            }

            await Task.WhenAll(clients.Select(c => c.WaitUntilAsync(s => s.Frames.Count > 0, Wait, "the first frame")));
            var killed = Stopwatch.GetTimestamp();
            await stack.KillApplianceAsync();
            await Task.WhenAll(clients.Select(c => c.WaitUntilAsync(s => s.Events.Any(IsApplianceOffline), Wait, "\"appliance offline\"")));
            var took = Stopwatch.GetElapsedTime(killed).TotalMilliseconds;
            await stack.StartApplianceAsync();
            await stack.WaitForApplianceAsync(online: true, Wait);
            return took;
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static bool IsApplianceOffline(JsonElement e) =>
        e.GetProperty("type").GetString() == "appliance" && e.TryGetProperty("state", out var state) && state.GetString() == "offline";

    /// <summary>Waits until the file at <paramref name="path"/> has <paramref name="length"/> bytes (and, when given, exactly <paramref name="content"/>).</summary>
    private static async Task WaitForFileAsync(string path, long length, byte[]? content, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Wait);
        var expected = content is null ? null : MD5.HashData(content);
        while (true)
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length == length && (expected is null || MD5.HashData(await File.ReadAllBytesAsync(path, deadline.Token)).AsSpan().SequenceEqual(expected)))
            {
                return;
            }

            await Task.Delay(2, deadline.Token);
        }
    }

    /// <summary>A key for plain <c>ssh</c>: the device account's <c>authorized_keys</c>, owned by the account as sshd's StrictModes wants.</summary>
    private static async Task<string> InstallKeyAsync(SshServer device, string directory, CancellationToken cancellationToken)
    {
        var key = Path.Combine(directory, "id_ed25519");
        await RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
        var ssh = Path.Combine(device.HomeDirectory, ".ssh");
        Directory.CreateDirectory(ssh);
        await File.WriteAllTextAsync(Path.Combine(ssh, "authorized_keys"), await File.ReadAllTextAsync(key + ".pub", cancellationToken), cancellationToken);
        await RunAsync("/bin/chown", "-R", $"{device.UserName}:", ssh);
        await RunAsync("/bin/chmod", "700", ssh);
        return key;
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(program, arguments) ?? throw new InvalidOperationException($"Could not start {program}.");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}.");
        }
    }
}
