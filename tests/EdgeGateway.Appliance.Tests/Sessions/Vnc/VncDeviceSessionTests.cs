using EdgeGateway.Appliance.Sessions.Vnc;
using EdgeGateway.Protocol.Rfb;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions.Vnc;

/// <summary>
/// VNC sessions against real servers — TigerVNC's Xvnc and x11vnc on Xvfb — through <see cref="VncDeviceSession"/>:
/// what the appliance decodes must be the X server's own pixels (xwd), and the Controller's keys and clicks must reach
/// X clients.
/// </summary>
[Trait("Area", "Vnc")]
public sealed class VncDeviceSessionTests : IDisposable
{
    private static readonly TimeSpan InputTimeout = TimeSpan.FromSeconds(20);

    private readonly string _directory = Directory.CreateTempSubdirectory("eg-vnc-test-").FullName;

    private string PinsPath => Path.Combine(_directory, "vnc-certificates.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, VncSecurity> TigerVncKinds() => new()
    {
        { "Xvnc", VncSecurity.None },
        { "Xvnc", VncSecurity.VncAuth },
        { "Xvnc", VncSecurity.X509Vnc },
        { "Xvnc", VncSecurity.X509None },
        { "x11vnc", VncSecurity.VncAuth },
        { "x11vnc", VncSecurity.None },
        { "x11vnc-3.3", VncSecurity.VncAuth },
        { "x11vnc-3.3", VncSecurity.None },
    };

    private static Task<VncServer> StartServerAsync(string kind, VncSecurity security) => kind switch
    {
        "Xvnc" => VncServer.StartTigerVncAsync(security),
        "x11vnc" => VncServer.StartX11VncAsync(withPassword: security == VncSecurity.VncAuth),
        _ => VncServer.StartX11VncAsync(withPassword: security == VncSecurity.VncAuth, rfb33: true),
    };

    [Theory]
    [MemberData(nameof(TigerVncKinds))]
    public async Task The_decoded_screen_equals_the_X_servers_pixels(string kind, VncSecurity security)
    {
        await using var server = await StartServerAsync(kind, security);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath);
        await using var _ = harness;
        Assert.True(started, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "not started");
        Assert.Equal(kind == "x11vnc-3.3" ? "RFB 3.3" : "RFB 3.8", harness.Session.Details!.ServerVersion);
        Assert.Equal(security switch
        {
            VncSecurity.None => "None",
            VncSecurity.VncAuth => "VNC authentication",
            _ => "VeNCrypt " + security,
        }, harness.Session.Details.KeyExchange);

        Assert.True(await harness.PointerAsync(799, 599, 0)); // see the typing test: the client placed the pointer
        await server.RunAsync("xsetroot", "-solid", "#336699");
        await harness.WaitForScreenAsync(server, "the root window's colour");
        server.StartClient("xterm", "-geometry", "60x10+40+30", "-bg", "#fafafa", "-fg", "#202020", "-e", "sh", "-c", "echo ready; exec sleep 600");
        await harness.WaitForScreenAsync(server, "an xterm on the screen");

        Assert.DoesNotContain(server.Password.Length > 0 ? server.Password : "\u0001", harness.Logs.AllText(), StringComparison.Ordinal);
        Assert.Empty(harness.Logs.Errors());
    }

    public static TheoryData<int> Encodings()
    {
        var data = new TheoryData<int>();
        foreach (var encoding in RfbUpdateDecoder.DefaultEncodings.Where(e => e >= 0 && e != RfbEncoding.CopyRect))
        {
            data.Add(encoding);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task Each_encoding_the_client_can_prefer_reconstructs_the_screen(int encoding)
    {
        await using var server = await VncServer.StartTigerVncAsync(VncSecurity.VncAuth);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath,
            configure: o => o.Encodings = [encoding, RfbEncoding.CopyRect, RfbEncoding.DesktopSize, RfbEncoding.Cursor, RfbEncoding.LastRect]);
        await using var _ = harness;
        Assert.True(started);

        Assert.True(await harness.PointerAsync(799, 599, 0)); // see the typing test: the client placed the pointer
        await server.RunAsync("xsetroot", "-solid", "#a03020");
        await harness.WaitForScreenAsync(server, $"the root colour with {RfbEncoding.Name(encoding)}");
        server.StartClient("xterm", "-geometry", "70x12+20+20", "-e", "sh", "-c", "seq 1 40; exec sleep 600");
        await harness.WaitForScreenAsync(server, $"an xterm with {RfbEncoding.Name(encoding)}");
        await server.RunAsync("xsetroot", "-solid", "#10e0c0");
        await harness.WaitForScreenAsync(server, $"a new root colour with {RfbEncoding.Name(encoding)}");
    }

    [Fact]
    public async Task The_RFB_byte_count_is_what_the_device_sent()
    {
        // Raw encoding only: the first, whole-screen update is 800 × 600 pixels of 4 bytes plus message and rect headers.
        await using var server = await VncServer.StartTigerVncAsync(VncSecurity.None);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath,
            configure: o => o.Encodings = [RfbEncoding.Raw]);
        await using var _ = harness;
        Assert.True(started);
        await Conditions.WaitUntilAsync(() => harness.Session.UpdatesDecoded > 0, InputTimeout, "the first update");
        var first = harness.Session.RfbBytesRead;
        Assert.InRange(first, 800 * 600 * 4, (800 * 600 * 4) + 4096);

        await server.RunAsync("xsetroot", "-solid", "#10e0c0");
        await Conditions.WaitUntilAsync(() => harness.Session.RfbBytesRead >= first + (800 * 600 * 4), InputTimeout, "the new root colour's pixels counted");
    }

    [Theory]
    [InlineData("Xvnc", VncSecurity.VncAuth)]
    [InlineData("Xvnc", VncSecurity.X509Vnc)]
    [InlineData("x11vnc", VncSecurity.VncAuth)]
    [InlineData("x11vnc-3.3", VncSecurity.VncAuth)]
    public async Task A_wrong_password_ends_the_start_with_the_devices_refusal(string kind, VncSecurity security)
    {
        await using var server = await StartServerAsync(kind, security);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, "not-the-password", PinsPath);
        await using var _ = harness;

        Assert.False(started);
        var outcome = await harness.Session.Completion;
        Assert.Equal(EndReason.AuthenticationFailed, outcome.Reason);
        Assert.StartsWith("The device refused the VNC password", outcome.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", harness.Logs.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_device_certificate_is_refused_after_the_first_use()
    {
        await using (var first = await VncServer.StartTigerVncAsync(VncSecurity.X509Vnc))
        {
            var (harness, started) = await VncSessionHarness.StartAsync(first.Port, first.Password, PinsPath, endpointId: "hmi-1");
            await using var _ = harness;
            Assert.True(started);
            Assert.Contains(VncCertificatePins.Fingerprint(first.Certificate!), File.ReadAllText(PinsPath), StringComparison.Ordinal);
        }

        // Same endpoint, another certificate: what a device in the middle would show.
        await using var second = await VncServer.StartTigerVncAsync(VncSecurity.X509Vnc);
        var (refused, secondStarted) = await VncSessionHarness.StartAsync(second.Port, second.Password, PinsPath, endpointId: "hmi-1");
        await using var __ = refused;
        Assert.False(secondStarted);
        var outcome = await refused.Session.Completion;
        Assert.Equal(EndReason.Refused, outcome.Reason);
        Assert.Contains("is not the one pinned for this endpoint", outcome.Message, StringComparison.Ordinal);
        Assert.Contains(VncCertificatePins.Fingerprint(second.Certificate!), outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unencrypted_VNC_is_refused_unless_the_endpoint_allows_it_and_TLS_needs_no_allowance()
    {
        await using (var plain = await VncServer.StartTigerVncAsync(VncSecurity.VncAuth))
        {
            var (refused, started) = await VncSessionHarness.StartAsync(plain.Port, plain.Password, PinsPath, allowUnencrypted: false);
            await using var _ = refused;
            Assert.False(started);
            var outcome = await refused.Session.Completion;
            Assert.Equal(EndReason.Refused, outcome.Reason);
            Assert.Contains("offers no encrypted VNC security (VNC authentication)", outcome.Message, StringComparison.Ordinal);
            Assert.Contains("AllowLegacyAlgorithms", outcome.Message, StringComparison.Ordinal);
        }

        await using var tls = await VncServer.StartTigerVncAsync(VncSecurity.X509Vnc);
        var (harness, tlsStarted) = await VncSessionHarness.StartAsync(tls.Port, tls.Password, PinsPath, allowUnencrypted: false);
        await using var __ = harness;
        Assert.True(tlsStarted);
        Assert.False(harness.Session.Details!.LegacyCrypto);
    }

    [Fact]
    public async Task A_device_that_offers_only_anonymous_TLS_is_refused_with_the_reason()
    {
        await using var server = await VncServer.StartTigerVncAsync(VncSecurity.TlsVncOnly);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath);
        await using var _ = harness;
        Assert.False(started);
        var outcome = await harness.Session.Completion;
        Assert.Equal(EndReason.Refused, outcome.Reason);
        Assert.Contains("offers only anonymous TLS (TLSVnc)", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_whose_VeNCrypt_is_anonymous_only_is_dialled_again_with_VNC_authentication()
    {
        await using var server = await VncServer.StartTigerVncAsync(VncSecurity.TlsVncOrVncAuth);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath);
        await using var _ = harness;
        Assert.True(started, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "not started");
        Assert.Equal("VNC authentication", harness.Session.Details!.KeyExchange);
        Assert.True(harness.Session.Details.LegacyCrypto);
    }

    [Theory]
    [InlineData("Xvnc")]
    [InlineData("x11vnc")]
    public async Task Keys_typed_by_the_Controller_reach_a_shell_in_an_xterm(string kind)
    {
        await using var server = await StartServerAsync(kind, VncSecurity.VncAuth);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath);
        await using var _ = harness;
        Assert.True(started);

        // The pointer where the client put it: Xvnc draws the cursor into the framebuffer (and xwd has none) only when
        // something else moved it. No window manager: the keyboard follows the pointer.
        Assert.True(await harness.PointerAsync(200, 150, 0));
        var file = Path.Combine(_directory, "typed.txt");
        await server.StartWindowAsync("xterm", InputTimeout, "-geometry", "80x24+0+0", "-e", "sh", "-c", $"read line; echo \"$line\" > '{file}'");
        await harness.WaitForScreenAsync(server, "the xterm drawn");

        await harness.TypeAsync("Hello VNC 42!", enter: true);

        await Conditions.WaitUntilAsync(() => File.Exists(file) && File.ReadAllText(file) == "Hello VNC 42!\n", InputTimeout, "the typed line in the file");
    }

    [Theory]
    [InlineData("Xvnc")]
    [InlineData("x11vnc")]
    public async Task A_click_by_the_Controller_presses_an_xmessage_button(string kind)
    {
        await using var server = await StartServerAsync(kind, VncSecurity.VncAuth);
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath);
        await using var _ = harness;
        Assert.True(started);

        Assert.True(await harness.PointerAsync(5, 5, 0)); // see the typing test: the client placed the pointer
        var (message, title) = await server.StartWindowAsync("xmessage", InputTimeout, "-geometry", "+120+90", "-buttons", "Acknowledge:7", "Pump 3 pressure low");
        await harness.WaitForScreenAsync(server, "the xmessage drawn");
        (int X, int Y)? button = null;
        await Conditions.WaitUntilAsync(() => (button = server.FindLowestChildCentreAsync(title).GetAwaiter().GetResult()) is not null, InputTimeout, "xmessage's button");

        Assert.True(await harness.PointerAsync(button!.Value.X, button.Value.Y, 0));
        Assert.True(await harness.PointerAsync(button.Value.X, button.Value.Y, 1));
        Assert.True(await harness.PointerAsync(button.Value.X, button.Value.Y, 0));

        await Conditions.WaitUntilAsync(() => message.HasExited, InputTimeout, "xmessage to exit on the click");
        Assert.Equal(7, message.ExitCode);
    }
}
