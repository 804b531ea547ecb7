using System.Net;
using System.Net.Http.Json;
using System.Text;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGateway.EndToEnd.Tests.Vnc;

/// <summary>
/// VNC sessions through the whole product: browser protocol → cloud → MQTT/TLS → appliance → TigerVNC's Xvnc. What a
/// viewer rebuilds from the display stream must be the X server's own pixels (xwd), for the Controller and for a viewer
/// who joins late; the Controller's keys reach an xterm and a viewer's do not; the device password reaches neither a
/// log nor a viewer.
/// </summary>
[Trait("Area", "Vnc")]
[Collection(VncCollection.Name)]
public sealed class VncStackTests(VncStackFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private VncServer Device => fixture.Device;

    private EdgeGatewayStack Stack => fixture.Stack;

    private Task<HttpResponseMessage> PostStartAsync(HttpClient client, string password) =>
        client.PostAsJsonAsync("/api/sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, username = "", password, columns = 80, rows = 24 });

    private async Task<(string Id, HttpClient Client, StreamClient Controller)> StartAsync()
    {
        var (client, cookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var response = await PostStartAsync(client, Device.Password);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"start failed: {(int)response.StatusCode} {text}");
        var id = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        var controller = await Stack.OpenStreamAsync(cookies, id);

        // The pointer first, out of the way: Xvnc draws its cursor into the framebuffer (and xwd has none) for a client
        // that did not move it — and the display is shared, so an earlier test or page left it somewhere.
        await controller.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 799, 599));
        return (id, client, controller);
    }

    [Fact]
    public async Task The_Controller_and_a_late_viewer_see_the_devices_pixels()
    {
        var (id, client, controller) = await StartAsync();
        await using var _ = controller;
        using var controllerScreen = new DisplayScreen(controller);

        await Device.RunAsync("xsetroot", "-solid", "#336699");
        await controllerScreen.WaitForAsync(Device, Wait, "the root window's colour in the Controller's page");
        var (xterm, _) = await Device.StartWindowAsync("xterm", Wait, "-geometry", "60x12+40+30", "-bg", "#fafafa", "-fg", "#202020", "-e", "sh", "-c", "seq 1 30; exec sleep 600");
        await controllerScreen.WaitForAsync(Device, Wait, "an xterm in the Controller's page");

        // A viewer joins late: the cloud's cached keyframe (or a new one from the appliance) paints the same screen.
        var (_, viewerCookies) = await Stack.LoginNewViewerAsync();
        await using var viewer = await Stack.OpenStreamAsync(viewerCookies, id);
        await viewer.WaitUntilAsync(c => c.Frames.Count > 0, Wait, "the viewer's first frame");
        Assert.Equal(FrameType.DisplayInit, viewer.Frames[0].Header.Type);
        Assert.True(viewer.Frames[0].Header.IsKeyframe);
        using var viewerScreen = new DisplayScreen(viewer);
        await viewerScreen.WaitForAsync(Device, Wait, "the same screen in the late viewer's page");

        // Both keep up with a change made after the join.
        await Device.RunAsync("xsetroot", "-solid", "#a03020");
        await viewerScreen.WaitForAsync(Device, Wait, "the new root colour in the viewer's page");
        await controllerScreen.WaitForAsync(Device, Wait, "the new root colour in the Controller's page");

        var password = Encoding.UTF8.GetBytes(Device.Password);
        Assert.DoesNotContain(Device.Password, Stack.Logs.AllText(), StringComparison.Ordinal);
        Assert.All(viewer.RawMessages.Concat(controller.RawMessages), m => Assert.Equal(-1, m.AsSpan().IndexOf(password)));
        xterm.Kill(entireProcessTree: true); // the display is shared with the other VNC tests
        await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
    }

    [Fact]
    public async Task The_Controllers_keys_reach_an_xterm_and_a_viewers_do_not()
    {
        var (id, client, controller) = await StartAsync();
        await using var _ = controller;
        using var screen = new DisplayScreen(controller);
        var (_, viewerCookies) = await Stack.LoginNewViewerAsync();
        await using var viewer = await Stack.OpenStreamAsync(viewerCookies, id);

        var file = Path.Combine(Path.GetTempPath(), $"eg-vnc-typed-{Guid.NewGuid():N}.txt");
        try
        {
            // No window manager: the keyboard follows the pointer, so it goes over the xterm first.
            await controller.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 200, 150));
            await Device.StartWindowAsync("xterm", Wait, "-geometry", "80x24+0+0", "-e", "sh", "-c", $"read line; echo \"$line\" > '{file}'");

            // Moved again now that the xterm is there: it sees the pointer enter (its keyboard focus, with no window manager).
            await controller.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 210, 160));
            await screen.WaitForAsync(Device, Wait, "the xterm in the Controller's page");

            await DisplayScreen.TypeAsync(viewer, "viewer-typed", enter: false); // dropped by the cloud (and by the appliance)
            await DisplayScreen.TypeAsync(controller, $"typed-{6 * 7}", enter: true);

            await Conditions.WaitUntilAsync(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'), Wait, "the typed line in the file");
            Assert.Equal("typed-42\n", File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
            await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
        }
    }

    [Fact]
    public async Task A_handover_moves_the_keyboard_and_mouse_on_the_same_VNC_connection()
    {
        var (id, client, controller) = await StartAsync();
        await using var _ = controller;
        var name = "tech-" + Guid.NewGuid().ToString("N")[..8];
        var tech = Stack.CreateUser(name, "pw-" + name);
        var (techClient, techCookies) = await Stack.LoginAsync(name, "pw-" + name);
        await using var successor = await Stack.OpenStreamAsync(techCookies, id);
        await successor.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "the successor's hello");

        var file = Path.Combine(Path.GetTempPath(), $"eg-vnc-handover-{Guid.NewGuid():N}.txt");
        try
        {
            await controller.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 200, 150));
            await Device.StartWindowAsync("xterm", Wait, "-geometry", "80x24+0+0", "-e", "sh", "-c", $"read line; echo \"$line\" > '{file}'");

            var handover = await client.PostAsJsonAsync($"/api/sessions/{id}/control/handover", new { userId = tech.Id });
            Assert.Equal(HttpStatusCode.OK, handover.StatusCode);
            await successor.WaitUntilAsync(c => c.EventsOfType("control").Any(e => e.GetProperty("role").GetString() == "controller"), Wait, "control handed over");
            await controller.WaitUntilAsync(c => c.EventsOfType("control").Any(e => e.GetProperty("role").GetString() == "viewer"), Wait, "the old Controller now watching");

            // The old Controller's keys and clicks go nowhere; the new Controller's reach the same device connection.
            await DisplayScreen.TypeAsync(controller, "old", enter: false);
            await successor.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 210, 160));
            await DisplayScreen.TypeAsync(successor, $"new-{6 * 7}", enter: true);
            await Conditions.WaitUntilAsync(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'), Wait, "the new Controller's line in the file");
            Assert.Equal("new-42\n", File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
            await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
            techClient.Dispose();
        }
    }

    [Fact]
    public async Task A_slow_viewer_is_skipped_forward_to_a_keyframe_and_never_slows_the_others()
    {
        // A cloud whose viewers may fall 8 frames or 64 KiB behind (the smallest it allows) with 32 KiB of kernel send
        // buffer per connection, and a viewer on a thin link that stops reading while the screen changes as fast as it can.
        await using var stack = await EdgeGatewayStack.StartForEndpointAsync(
            "vnc", "127.0.0.1", Device.Port,
            new Dictionary<string, string?> { ["Appliance:Endpoints:0:AllowLegacyAlgorithms"] = "true", ["Appliance:Display:BudgetBytesPerSecond"] = "4000000" },
            cloudOverrides: new Dictionary<string, string?>
            {
                ["Cloud:Sessions:ViewerQueueFrames"] = "8",
                ["Cloud:Sessions:ViewerQueueBytes"] = "65536",
                ["Cloud:Sessions:ViewerSendBufferBytes"] = "16384", // kernel buffering bounded: the stall reaches the queue after a few hundred KiB, whatever the load
            });
        var (client, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var response = await PostStartAsync(client, Device.Password);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await using var controller = await stack.OpenStreamAsync(cookies, id);
        await controller.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 799, 599));
        using var controllerScreen = new DisplayScreen(controller);
        var (_, viewerCookies) = await stack.LoginNewViewerAsync();
        await using var slow = await stack.OpenThinStreamAsync(viewerCookies, id);
        await slow.WaitUntilAsync(c => c.Frames.Count > 0, Wait, "the slow viewer's first frame");
        slow.Pause();

        // The root window tiled with fresh random bits, again and again: updates that do not compress, so the slow viewer's
        // socket and then its queue fill within a second or two (the appliance's budget is raised for it).
        var stop = Path.Combine(Path.GetTempPath(), $"eg-vnc-stop-{Guid.NewGuid():N}");
        var bitmap = stop + ".xbm";
        const string Noise = """
            my ($stop, $file) = @ARGV;
            until (-e $stop) {
                open(my $out, '>', $file) or die;
                my @bits = map { sprintf('0x%02x', int(rand(256))) } 1 .. 60000;
                print $out "#define n_width 800\n#define n_height 600\nstatic unsigned char n_bits[] = {\n";
                while (my @line = splice(@bits, 0, 12)) { print $out join(', ', @line), ",\n" }
                print $out "};\n";
                close($out);
                system('xsetroot', '-bitmap', $file, '-fg', '#203040', '-bg', '#e0d0c0') == 0 or die;
            }
            """;
        var skipsBefore = await ViewerSkipsAsync(client);
        var noise = Device.StartClient("perl", "-e", Noise, stop, bitmap);
        try
        {
            await Conditions.WaitUntilAsync(() => ViewerSkipsAsync(client).GetAwaiter().GetResult() > skipsBefore || noise.HasExited, Wait, "the cloud to skip the slow viewer (edgegateway_stream_viewer_skips_total at /metrics)");
            Assert.False(noise.HasExited, "perl and xsetroot changed the screen until told to stop");
            File.WriteAllText(stop, string.Empty);
            await noise.WaitForExitAsync();
            await Device.RunAsync("xsetroot", "-solid", "#405060");

            // The Controller is not held back: its page shows the device's screen while the slow viewer still reads nothing.
            await controllerScreen.WaitForAsync(Device, Wait, "the quiet screen in the Controller's page, with the slow viewer stalled");

            // The slow viewer reads again: it went from a keyframe on, missed frames the Controller got, and shows the same screen.
            slow.Resume();
            using var slowScreen = new DisplayScreen(slow);
            await slowScreen.WaitForAsync(Device, Wait, "the quiet screen in the slow viewer's page once it reads again");
            var got = slow.Frames.Select(f => f.Header.Sequence).ToHashSet();
            Assert.Contains(controller.Frames, f => f.Header.Type == FrameType.DisplayUpdate && !got.Contains(f.Header.Sequence));
            Assert.True(slow.Frames.Count(f => f.Header.Type == FrameType.DisplayInit) >= 2, "the slow viewer restarted from a keyframe");
            Assert.Null(slowScreen.Error);
        }
        finally
        {
            File.WriteAllText(stop, string.Empty);
            noise.Kill(entireProcessTree: true);
            File.Delete(stop);
            File.Delete(bitmap);
            await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
        }

        static async Task<long> ViewerSkipsAsync(HttpClient client)
        {
            var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("edgegateway_stream_viewer_skips_total", StringComparison.Ordinal));
            if (line is null)
            {
                return 0; // no skip yet: the exporter lists a counter once it has a value
            }

            // name{labels} value [timestamp]
            var value = line[(line.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[line.Contains('}', StringComparison.Ordinal) ? 0 : 1];
            return (long)double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public async Task Clipboard_text_crosses_only_as_the_endpoints_policy_says()
    {
        var policies = Stack.Cloud.Services.GetRequiredService<PolicyStore>();
        try
        {
            // Off (the default): the device's clipboard reaches nobody, and the Controller's text never reaches the device.
            var (offId, offClient, off) = await StartAsync();
            await using (off)
            {
                await SetDeviceClipboardAsync("secret-recipe-1");
                await off.SendFrameAsync(FrameType.ClipboardInput, Encoding.UTF8.GetBytes("from-browser-1"));
                await Device.RunAsync("xsetroot", "-solid", "#204060"); // a later change: the clipboard would have come before it
                using var screen = new DisplayScreen(off);
                await screen.WaitForAsync(Device, Wait, "the later change with the clipboard policy off");
                Assert.DoesNotContain(off.Frames, f => f.Header.Type == FrameType.DisplayClipboard);
                Assert.Equal("secret-recipe-1", await DeviceClipboardAsync());
                await offClient.DeleteAsync(new Uri($"/api/sessions/{offId}", UriKind.Relative));
            }

            // Both ways: device text reaches the Controller and a viewer; a 40 KiB text from the Controller reaches the
            // device whole (the cloud sends it in slices, the appliance hands it to the device as one ClientCutText).
            policies.SetEndpointPolicy(EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, EndpointPolicy.Default with { Clipboard = EndpointClipboard.Both });
            var (id, client, controller) = await StartAsync();
            await using var _ = controller;
            var (_, viewerCookies) = await Stack.LoginNewViewerAsync();
            await using var viewer = await Stack.OpenStreamAsync(viewerCookies, id);
            await viewer.WaitUntilAsync(c => c.Frames.Count > 0, Wait, "the viewer's first frame");

            await SetDeviceClipboardAsync("pump-3-setpoint=42");
            foreach (var stream in new[] { controller, viewer })
            {
                await stream.WaitUntilAsync(c => c.Frames.Any(f => IsClipboard(f, "pump-3-setpoint=42")), Wait, "the device's clipboard text in the page");
            }

            var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line{i:D5}\n"))[..(40 * 1024)];
            await controller.SendFrameAsync(FrameType.ClipboardInput, Encoding.UTF8.GetBytes(text));
            string? onDevice = null;
            await Conditions.WaitUntilAsync(() => (onDevice = DeviceClipboardAsync().GetAwaiter().GetResult()) == text, Wait, "the Controller's 40 KiB text on the device's clipboard");
            await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
        }
        finally
        {
            policies.SetEndpointPolicy(EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, EndpointPolicy.Default);
        }

        static bool IsClipboard(StreamClient.ReceivedFrame frame, string text) =>
            frame.Header.Type == FrameType.DisplayClipboard && DisplayFrames.TryReadClipboard(frame.Payload, out var got) == DisplayReadStatus.Ok && got == text;
    }

    private Task SetDeviceClipboardAsync(string text) =>
        Device.RunAsync("sh", "-c", $"printf %s '{text}' | xclip -selection clipboard >/dev/null 2>&1");

    private async Task<string> DeviceClipboardAsync() =>
        (await ProcessRunner.RunAsync("env", [$"DISPLAY={Device.Display}", "xclip", "-o", "-selection", "clipboard"])).Output;

    [Fact]
    public async Task A_wrong_password_is_refused_with_the_devices_reason()
    {
        var (client, _) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var response = await PostStartAsync(client, "not-the-password");
        var text = await response.Content.ReadAsStringAsync();

        Assert.NotEqual(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("refused the VNC password", text, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", Stack.Logs.AllText(), StringComparison.Ordinal);
    }
}
