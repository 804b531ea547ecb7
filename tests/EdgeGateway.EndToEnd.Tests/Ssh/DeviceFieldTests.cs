using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// SSH devices as plants have them: each test stands up an sshd configured like a real device (its own
/// sshd_config lines) behind its own stack, and asserts what the Controller and a Viewer see.
/// </summary>
[Trait("Area", "SshField")]
public sealed class DeviceFieldTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    // Short liveness so the tests finish fast: probe after 1 s of silence, doubt after 0.5 s, dead after 2 s.
    private static readonly Dictionary<string, string?> FastLiveness = new()
    {
        ["Appliance:Liveness:Interval"] = "00:00:01",
        ["Appliance:Liveness:CountMax"] = "2",
        ["Appliance:Liveness:DoubtAfter"] = "00:00:00.500",
    };

    [Fact]
    public async Task A_killed_device_session_ends_for_everyone_with_the_reason()
    {
        await using var device = await SshServer.StartAsync();
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        var (controller, viewer) = await OpenAsync(stack, device);
        await controller.SendInputAsync("echo ready-$((6*7))\r");
        await viewer.WaitForOutputAsync("ready-42", Wait);

        foreach (var pid in device.SessionProcessIds())
        {
            Process.GetProcessById(pid).Kill(); // SIGKILL: the device's session process dies, the TCP connection with it
        }

        foreach (var stream in new[] { controller, viewer })
        {
            var (reason, message) = await EndOfAsync(stream);
            Assert.Equal(EndReason.DeviceClosed, reason);
            Assert.Equal("The device closed the connection.", message);
        }

        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task A_frozen_device_is_not_responding_refuses_input_and_then_ends()
    {
        await using var device = await SshServer.StartAsync();

        // Doubt after 0.5 s, the end after 2 s × 3: the test types during the doubt, which a 2 s liveness time left too
        // little room for on a busy CI box (the session could end between "not responding" and the keystroke).
        await using var stack = await EdgeGatewayStack.StartAsync(device, new Dictionary<string, string?>(FastLiveness)
        {
            ["Appliance:Liveness:Interval"] = "00:00:02",
            ["Appliance:Liveness:CountMax"] = "3",
        });
        var (controller, viewer) = await OpenAsync(stack, device);
        await controller.SendInputAsync("echo ready-$((6*7))\r");
        await viewer.WaitForOutputAsync("ready-42", Wait);
        var marker = Path.Combine(device.HomeDirectory, "typed-during-freeze");
        var frozen = device.SessionProcessIds();
        Assert.NotEmpty(frozen);
        try
        {
            SshServer.Signal(frozen, "STOP");

            // Both see the device go silent; the Controller's keystrokes are refused, not saved for later.
            foreach (var stream in new[] { controller, viewer })
            {
                await stream.WaitUntilAsync(c => c.Events.Any(e => Type(e) == "device" && !e.GetProperty("responding").GetBoolean()), Wait, "device not responding");
            }

            await controller.SendInputAsync($"touch {marker}\r");
            await controller.WaitUntilAsync(c => c.Events.Any(e => Type(e) == "notice"), Wait, "a notice that the input was refused");
            Assert.Contains("not responding", controller.Events.First(e => Type(e) == "notice").GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain(viewer.Events, e => Type(e) == "notice");

            foreach (var stream in new[] { controller, viewer })
            {
                var (reason, message) = await EndOfAsync(stream);
                Assert.Equal(EndReason.DeviceUnresponsive, reason);
                Assert.StartsWith("The device stopped responding", message, StringComparison.Ordinal);
            }
        }
        finally
        {
            SshServer.Signal(frozen, "CONT");
        }

        // Resumed, the device finds its connection closed and ends the session; what was typed never ran.
        await Conditions.WaitUntilAsync(() => device.SessionProcessIds().Count == 0, Wait, "the device's session process to exit after it resumed");
        Assert.False(File.Exists(marker), "keystrokes typed while the device was frozen ran after it resumed");
        Assert.Empty(stack.Logs.Errors());
    }

    /// <summary>
    /// Issue 8 §1/§3: the device freezes (its session process SIGSTOPped) in the middle of a 1 MiB paste that trickles in
    /// from the Controller's browser. What came before the freeze reaches the device; slices that come while it is "not
    /// responding" are refused; once it resumes, the slices still coming would pass again and land after a hole.
    /// Instead the whole rest of the paste is refused: the file on the device is exactly a prefix of the paste, the next
    /// key typed lands right after it, and the Controller (only the Controller) is told how much of the paste reached
    /// the device.
    /// </summary>
    [Fact]
    public async Task A_device_that_freezes_mid_paste_gets_a_prefix_of_the_paste_never_one_with_a_hole()
    {
        const int MiB = 1024 * 1024;
        await using var device = await SshServer.StartAsync();

        // Dead only after 10 s of silence, so the device can come back; in doubt 0.5 s after an unanswered probe.
        await using var stack = await EdgeGatewayStack.StartAsync(device, new Dictionary<string, string?>(FastLiveness) { ["Appliance:Liveness:CountMax"] = "10" });
        var (controller, viewer) = await OpenAsync(stack, device);
        var file = Path.Combine(device.HomeDirectory, "pasted");

        // Raw mode, no echo: the file gets exactly the bytes the device received, as they arrive.
        await controller.SendInputAsync($"stty raw -echo; echo cat-$((6*7)); cat > {file}\r");
        await controller.WaitForOutputAsync("cat-42", Wait);
        await Conditions.WaitUntilAsync(() => File.Exists(file), Wait, "cat to open the file");
        var paste = Encoding.ASCII.GetBytes(PasteText.RandomPrintableLines(MiB, seed: 8_2));

        // The cloud forwards whole 16 KiB slices: the first 18 (288 KiB) go before the freeze.
        const int beforeFreeze = 18 * InputFlow.MaxChunk;
        var frozen = device.SessionProcessIds();
        try
        {
            await controller.SendFrameInPartsAsync(FrameType.TerminalInput, paste, [beforeFreeze + 100, 600 * 1024], async part =>
            {
                if (part == 0)
                {
                    await Conditions.WaitUntilAsync(() => new FileInfo(file).Length == beforeFreeze, Wait, "the first 288 KiB on the device");
                    SshServer.Signal(frozen, "STOP");
                    await controller.WaitUntilAsync(c => Responding(c) == false, Wait, "device not responding");
                }
                else
                {
                    // A slice sent meanwhile is refused; the device is heard again before the rest comes.
                    await Conditions.WaitUntilAsync(() => stack.Logs.Entries.Any(e => e.Message.Contains("of input refused: the device is not responding", StringComparison.Ordinal)), Wait, "a slice refused");
                    SshServer.Signal(frozen, "CONT");
                    await controller.WaitUntilAsync(c => Responding(c) == true, Wait, "the device responding again");
                }
            });
        }
        finally
        {
            SshServer.Signal(frozen, "CONT");
        }

        await controller.WaitUntilAsync(c => c.Events.Any(e => Type(e) == "notice"), Wait, "the notice that the paste was cut");
        var cut = stack.Logs.Entries.Where(e => e.Message.Contains("paste cut short", StringComparison.Ordinal) || e.Message.Contains("responding", StringComparison.Ordinal)).Select(e => e.Message).ToList();
        Assert.True(cut.Any(m => m.Contains($"paste cut short: {beforeFreeze} of {MiB} bytes", StringComparison.Ordinal)), string.Join('\n', cut));
        Assert.Equal("The device stopped responding; 288 KiB of the 1 MiB paste reached it, the rest was not sent.", controller.Events.Single(e => Type(e) == "notice").GetProperty("message").GetString());
        Assert.DoesNotContain(viewer.Events, e => Type(e) == "notice");

        await controller.SendInputAsync("Z");
        await Conditions.WaitUntilAsync(() => new FileInfo(file).Length > beforeFreeze, Wait, "the key typed after the paste on the device");
        var onDevice = await File.ReadAllBytesAsync(file);
        Assert.Equal(beforeFreeze + 1, onDevice.Length);
        Assert.True(paste.AsSpan(0, beforeFreeze).SequenceEqual(onDevice.AsSpan(0, beforeFreeze)), "the device's file is not a prefix of the paste");
        Assert.Equal((byte)'Z', onDevice[^1]);
        Assert.Empty(stack.Logs.Errors());
    }

    private static bool? Responding(StreamClient client) =>
        client.Events.LastOrDefault(e => Type(e) == "device") is { ValueKind: JsonValueKind.Object } e ? e.GetProperty("responding").GetBoolean() : null;

    [Fact]
    public async Task The_devices_own_keepalive_is_answered_so_an_idle_session_stays_open()
    {
        // sshd drops a client that leaves 2 keep-alives of 1 s unanswered: after about 2 s of silence.
        await using var device = await SshServer.StartAsync(new SshServerOptions { ConfigLines = ["ClientAliveInterval 1", "ClientAliveCountMax 2"] });
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        var (controller, _) = await OpenAsync(stack, device);
        await controller.SendInputAsync("sleep 5; echo still-here-$((6*7))\r");
        await controller.WaitForOutputAsync("still-here-42", Wait);
        Assert.DoesNotContain(controller.Frames, f => f.Header.Type == FrameType.End);
    }

    [Fact]
    public async Task Keyboard_interactive_login_through_pam_works_with_a_non_ascii_password()
    {
        await using var device = await SshServer.StartAsync(new SshServerOptions
        {
            Password = "Pässwörd€1",
            ConfigLines = ["UsePAM yes", "PasswordAuthentication no", "KbdInteractiveAuthentication yes", "AuthenticationMethods keyboard-interactive"],
        });
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        var (controller, _) = await OpenAsync(stack, device);
        await controller.SendInputAsync("echo logged-in-$((6*7))\r");
        await controller.WaitForOutputAsync("logged-in-42", Wait);
        Assert.DoesNotContain(device.Password, stack.Logs.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_that_offers_only_public_keys_says_so()
    {
        await using var device = await SshServer.StartAsync(new SshServerOptions { ConfigLines = ["PasswordAuthentication no", "KbdInteractiveAuthentication no"] });
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        var (status, error) = await StartFailureAsync(stack, device);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("The device offers only publickey logins; the appliance logs in with a password (password or keyboard-interactive).", error);
    }

    [Fact]
    public async Task A_device_that_refuses_a_terminal_runs_the_shell_without_one()
    {
        await using var device = await SshServer.StartAsync(new SshServerOptions { ConfigLines = ["PermitTTY no"] });
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        var (controller, viewer) = await OpenAsync(stack, device);
        await viewer.WaitForOutputAsync("PTY allocation request failed", Wait);
        await controller.SendInputAsync("echo no-tty-$((6*7)); tty\r");
        await viewer.WaitForOutputAsync("no-tty-42", Wait);
        await viewer.WaitForOutputAsync("not a tty", Wait);

        // Typed text is echoed locally, as the OpenSSH client's own terminal does without a PTY.
        Assert.Contains("echo no-tty-$((6*7)); tty", TerminalScreen.Render(viewer.Frames), StringComparison.Ordinal);
        var session = await SessionAsync(stack, controller);
        Assert.False(session.Details!.Terminal);
        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task The_devices_banner_is_shown_and_recorded_and_exit_status_is_reported()
    {
        const string notice = "AUTHORISED USE ONLY\nLine 3 press controller: changes are logged.";
        await using var device = await SshServer.StartAsync(new SshServerOptions
        {
            ConfigLines = ["Banner {dir}/banner"],
            Files = new Dictionary<string, string> { ["banner"] = notice + "\n\u001b]0;hijacked-title\u0007" },
        });
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        var (controller, viewer) = await OpenAsync(stack, device);
        await viewer.WaitForOutputAsync("changes are logged.", Wait);
        var screen = TerminalScreen.Render(viewer.Frames);
        Assert.Contains("AUTHORISED USE ONLY", screen, StringComparison.Ordinal);
        // Control characters in a banner are dropped: the title sequence arrives as plain text, it retitles nobody.
        Assert.Contains("]0;hijacked-title", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b]0;hijacked", viewer.Output, StringComparison.Ordinal);

        var session = await SessionAsync(stack, controller);
        Assert.Equal(notice + "\n]0;hijacked-title\n", session.Details!.Banner);

        await controller.SendInputAsync("exit 3\r");
        foreach (var stream in new[] { controller, viewer })
        {
            var (reason, message) = await EndOfAsync(stream);
            Assert.Equal(EndReason.DeviceClosed, reason);
            Assert.Equal("The device closed the session (exit status 3).", message);
        }
    }

    [Fact]
    public async Task A_legacy_only_device_is_refused_by_default_and_marked_when_allowed()
    {
        string[] legacy = ["KexAlgorithms diffie-hellman-group1-sha1", "Ciphers 3des-cbc", "MACs hmac-sha1", "HostKeyAlgorithms ssh-rsa"];
        await using var device = await SshServer.StartAsync(new SshServerOptions { HostKeyType = "rsa", ConfigLines = legacy });
        await using (var stack = await EdgeGatewayStack.StartAsync(device))
        {
            var (status, error) = await StartFailureAsync(stack, device);
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.StartsWith("The device offers only legacy algorithms (key exchange: diffie-hellman-group1-sha1; host key: ssh-rsa; cipher: 3des-cbc; MAC: hmac-sha1).", error, StringComparison.Ordinal);
        }

        await using (var stack = await EdgeGatewayStack.StartAsync(device, new Dictionary<string, string?> { ["Appliance:Endpoints:0:AllowLegacyAlgorithms"] = "true" }))
        {
            var (controller, _) = await OpenAsync(stack, device);
            var details = (await SessionAsync(stack, controller)).Details!;
            Assert.True(details.LegacyCrypto);
            Assert.Equal(("diffie-hellman-group1-sha1", "ssh-rsa", "3des-cbc", "hmac-sha1"), (details.KeyExchange, details.HostKey, details.Cipher, details.Mac));
            Assert.Contains(stack.Logs.Entries, e => e.Message.Contains("negotiated kex diffie-hellman-group1-sha1", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_device_whose_only_host_key_is_dsa_is_reachable_where_legacy_is_allowed()
    {
        await using var device = await SshServer.StartAsync(new SshServerOptions { HostKeyType = "dsa", ConfigLines = ["HostKeyAlgorithms ssh-dss"] });
        await using (var stack = await EdgeGatewayStack.StartAsync(device))
        {
            var (status, error) = await StartFailureAsync(stack, device);
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Contains("host key: ssh-dss", error, StringComparison.Ordinal);
        }

        // The pinned fingerprint (ssh-keygen's) must match the key SSH.NET built from our ssh-dss support.
        await using (var stack = await EdgeGatewayStack.StartAsync(device, new Dictionary<string, string?> { ["Appliance:Endpoints:0:AllowLegacyAlgorithms"] = "true" }))
        {
            var (controller, _) = await OpenAsync(stack, device);
            await controller.SendInputAsync("echo dsa-ok-$((6*7))\r");
            await controller.WaitForOutputAsync("dsa-ok-42", Wait);
            var details = (await SessionAsync(stack, controller)).Details!;
            Assert.Equal("ssh-dss", details.HostKey);
            Assert.True(details.LegacyCrypto);
        }
    }

    private static async Task<(StreamClient Controller, StreamClient Viewer)> OpenAsync(EdgeGatewayStack stack, SshServer device)
    {
        var (client, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(client, device, 80, 24);
        var controller = await stack.OpenStreamAsync(cookies, session.Id);
        var (_, viewerCookies) = await stack.LoginNewViewerAsync();
        var viewer = await stack.OpenStreamAsync(viewerCookies, session.Id);
        await controller.WaitUntilAsync(c => c.Events.Any(e => Type(e) == "hello"), Wait, "hello");
        await viewer.WaitUntilAsync(c => c.Events.Any(e => Type(e) == "hello"), Wait, "hello");
        return (controller, viewer);
    }

    private static async Task<SessionView> SessionAsync(EdgeGatewayStack stack, StreamClient controller)
    {
        var id = controller.Events.First(e => Type(e) == "hello").GetProperty("sessionId").GetString()!;
        var (client, _) = await stack.LoginAsync("admin", stack.AdminPassword);
        return (await client.GetFromJsonAsync<SessionView>($"/api/sessions/{id}", new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;
    }

    private static async Task<(HttpStatusCode Status, string? Error)> StartFailureAsync(EdgeGatewayStack stack, SshServer device)
    {
        var (client, _) = await stack.LoginAsync("admin", stack.AdminPassword);
        var response = await CloudClient.PostStartAsync(client, device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, 80, 24);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.TryGetProperty("error", out var error) ? error.GetString() : body.ToString());
    }

    private static async Task<(EndReason Reason, string Message)> EndOfAsync(StreamClient stream)
    {
        await stream.WaitUntilAsync(c => c.Frames.Any(f => f.Header.Type == FrameType.End), Wait, "the session's end");
        var end = stream.Frames.First(f => f.Header.Type == FrameType.End);
        Assert.True(SessionEnd.TryDecode(end.Payload, out var reason, out var message));
        return (reason, message);
    }



    private static string? Type(JsonElement e) => e.GetProperty("type").GetString();
}
