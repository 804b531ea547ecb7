using System.Diagnostics;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions.Rdp;

/// <summary>
/// The appliance's RDP session with its real helper process against FreeRDP's shadow server on Xvfb with NLA: the
/// desktop arrives pixel-exact, the certificate is reported and pinned (a changed one is refused before any credential
/// goes out), a wrong password is a clear error, and a helper that dies ends its session with a reason.
/// </summary>
[Trait("Area", "Rdp")]
public sealed class RdpDeviceSessionTests : IAsyncLifetime
{
    private RdpServer _server = null!;

    public async Task InitializeAsync() => _server = await RdpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_desktop_arrives_pixel_exact_and_the_certificate_is_reported()
    {
        await _server.RunAsync("xsetroot", "-solid", "#336699");
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password);
        await using var _ = harness;
        Assert.True(started, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "");
        Assert.Equal(_server.CertificateFingerprint, harness.Session.Details!.CertificateFingerprint);
        Assert.Equal("NLA (CredSSP)", harness.Session.Details.KeyExchange);
        await harness.WaitForScreenAsync(_server, "the blue root window");

        await _server.RunAsync("xsetroot", "-solid", "#a03020");
        await harness.WaitForScreenAsync(_server, "the red root window");
        Assert.DoesNotContain(_server.Password, harness.Logs.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_outlives_the_thread_that_started_it()
    {
        // The helper is forked on whatever thread starts the session, often a pool thread that retires later. Linux's
        // parent-death signal follows that thread, not the appliance's process: a helper that asked for it was killed
        // (signal 9) when the thread ended, taking a live session with it (seen in the benchmark, a minute in).
        // The thread lives until the session is up (the helper has long asked for the signal by then), then ends.
        (RdpSessionHarness Harness, bool Started) result = default;
        var thread = new Thread(() => result = RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password).GetAwaiter().GetResult());
        thread.Start();
        thread.Join();
        var (harness, started) = result;
        Assert.NotNull(harness);
        await using var _ = harness;
        Assert.True(started, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "");

        await _server.RunAsync("xsetroot", "-solid", "#5060a0");
        await harness.WaitForScreenAsync(_server, "the root window, drawn after the thread that started the session ended");
        Assert.False(harness.Session.Completion.IsCompleted, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "");
    }

    [Fact]
    public async Task The_helper_ends_its_connection_once_the_appliance_is_gone()
    {
        // With no parent-death signal (see above), the appliance's end of the pipe closing is how a helper learns it is
        // alone: here the helper is driven by hand up to CONNECTED, then its stdin closes as if the appliance had died.
        var info = new ProcessStartInfo(new RdpOptions().ResolvedHelperPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            Environment = { ["WLOG_LEVEL"] = "OFF" },
        };
        using var helper = Process.Start(info)!;
        try
        {
            var stdin = helper.StandardInput.BaseStream;
            await stdin.WriteAsync(RdpPipe.WriteStart("127.0.0.1", _server.Port, _server.User, string.Empty, _server.Password, 640, 480, 0, TimeSpan.FromSeconds(15)));
            await stdin.FlushAsync();
            var reader = System.IO.Pipelines.PipeReader.Create(helper.StandardOutput.BaseStream);
            var connected = false;
            while (!connected)
            {
                var result = await reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                var buffer = result.Buffer;
                while (RdpPipe.TryReadFrame(buffer, out var type, out _, out var consumed) == RdpReadStatus.Ok)
                {
                    Assert.NotEqual((byte)RdpMessageType.Ended, type);
                    if (type == (byte)RdpMessageType.Certificate)
                    {
                        await stdin.WriteAsync(RdpPipe.WriteCertificateAnswer(accept: true));
                        await stdin.FlushAsync();
                    }

                    connected |= type == (byte)RdpMessageType.Connected;
                    buffer = buffer.Slice(consumed);
                }

                Assert.False(result.IsCompleted, "the helper closed its output before CONNECTED");
                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            helper.StandardInput.Close();
            await helper.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, helper.ExitCode);
        }
        finally
        {
            if (!helper.HasExited)
            {
                helper.Kill();
            }
        }
    }

    [Fact]
    public async Task A_resize_request_to_a_server_without_display_control_is_ignored_and_the_session_goes_on()
    {
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password);
        await using var _ = harness;
        Assert.True(started);
        var payload = new byte[EdgeGateway.Protocol.Display.DisplayFrames.ResizeRequestSize];
        EdgeGateway.Protocol.Display.DisplayFrames.WriteResizeRequest(payload, 800, 600);
        Assert.True(await harness.Session.HandleInputAsync(new FrameHeader(FrameType.DisplayResizeRequest, FrameFlags.None, payload.Length, 0), payload, CancellationToken.None));
        Assert.False(await harness.Session.HandleInputAsync(new FrameHeader(FrameType.DisplayResizeRequest, FrameFlags.None, 4, 0), new byte[] { 0, 1, 0, 1 }, CancellationToken.None));

        // The shadow server opens no display control channel: the desktop keeps its size, and the session its pixels.
        await _server.RunAsync("xsetroot", "-solid", "#208040");
        await harness.WaitForScreenAsync(_server, "the green root window after the resize request");
        Assert.False(harness.Session.Completion.IsCompleted);
    }

    [Fact]
    public async Task A_matching_pin_connects()
    {
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password, pin: _server.CertificateFingerprint);
        await using var _ = harness;
        Assert.True(started, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "");
    }

    [Fact]
    public async Task A_changed_certificate_is_refused_before_the_password_is_sent()
    {
        var pin = new string('A', 64);
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password, pin: pin);
        await using var _ = harness;
        Assert.False(started);
        var outcome = await harness.Session.Completion;
        Assert.Equal(EndReason.CertificateChanged, outcome.Reason);
        Assert.Equal(_server.CertificateFingerprint, outcome.PresentedCertificate);
        Assert.Contains("refused before any password was sent", outcome.Message, StringComparison.Ordinal);
        Assert.Contains(_server.CertificateFingerprint[..16], outcome.Message, StringComparison.Ordinal);

        // The server never saw an NTLM exchange inside CredSSP (its SSPI logs AcceptSecurityContext for every login
        // attempt, as the wrong-password test shows): the connection ended in TLS, before any credential.
        Assert.DoesNotContain("AcceptSecurityContext", _server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_error()
    {
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, "not-the-password");
        await using var _ = harness;
        Assert.False(started);
        var outcome = await harness.Session.Completion;
        Assert.Equal(EndReason.AuthenticationFailed, outcome.Reason);
        Assert.Equal("The device refused the RDP login: check the user name, domain and password.", outcome.Message);
        Assert.Contains("AcceptSecurityContext", _server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_helper_ends_its_session_with_a_reason()
    {
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password);
        await using var _ = harness;
        Assert.True(started);
        using (var helper = Process.GetProcessById(harness.Session.HelperProcessId!.Value))
        {
            helper.Kill();
        }

        var outcome = await harness.Session.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(EndReason.Error, outcome.Reason);
        Assert.Contains("RDP helper process for this session stopped unexpectedly (signal 9)", outcome.Message, StringComparison.Ordinal);
        Assert.Contains(harness.Sink.Frames, f => f.Type == FrameType.End);
    }

    [Fact]
    public async Task A_missing_helper_is_a_clear_error()
    {
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password, configure: o => o.HelperPath = "/nonexistent/edgegateway-rdp");
        await using var _ = harness;
        Assert.False(started);
        Assert.Contains("RDP helper (edgegateway-rdp) is not installed", (await harness.Session.Completion).Message, StringComparison.Ordinal);
    }
}

/// <summary>A helper that breaks the pipe protocol ends its session with a clear error (the appliance decides nothing on its word).</summary>
[Trait("Area", "Rdp")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RdpHostileHelperTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("eg-rdp-helper-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A fake helper: a shell script that prints <paramref name="printf"/> (printf escapes) and waits.</summary>
    private string FakeHelper(string printf)
    {
        var path = Path.Combine(_directory, "edgegateway-rdp");
        File.WriteAllText(path, $"#!/bin/sh\nprintf '{printf}'\nexec sleep 30\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        return path;
    }

    // CONNECTED: 200 × 200, NLA, RDP 10.7, no Unicode input, display control, no Refresh Rect.
    private const string Connected = @"\000\000\000\020\202\000\310\000\310\000\000\000\002\000\010\000\014\000\001\000";

    [Theory]
    [InlineData(Connected + @"\000\000\000\011\203\000\276\000\276\000\024\000\024", "BadGeometry")] // a 20 × 20 paint at (190, 190)
    [InlineData(Connected + @"\177\377\377\377\203", "BadLength")] // a 2 GiB message
    [InlineData(@"\000\000\000\011\203\000\000\000\000\000\001\000\001", "UnknownType")] // pixels before CONNECTED
    public async Task A_malformed_message_ends_the_session_with_a_clear_error(string printf, string status)
    {
        var helper = FakeHelper(printf);
        var (harness, started) = await RdpSessionHarness.StartAsync(3389, "user", "pw", configure: o => o.HelperPath = helper);
        await using var _ = harness;
        var outcome = await harness.Session.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(EndReason.Error, outcome.Reason);
        Assert.Equal($"The RDP helper sent a malformed message ({status}, type 0x{(status == "BadLength" ? "00" : "83")}); the session was ended.", outcome.Message);
        Assert.Equal(status != "UnknownType", started);
    }
}
