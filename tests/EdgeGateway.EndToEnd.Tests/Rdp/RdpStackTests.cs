using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGateway.EndToEnd.Tests.Rdp;

/// <summary>
/// RDP sessions through the whole product: browser protocol → cloud → MQTT/TLS → appliance → its edgegateway-rdp
/// helper (FreeRDP) → FreeRDP's shadow server with NLA. What a viewer rebuilds from the display stream must be the X
/// server's own pixels (xwd); the Controller's keys reach an xterm; a wrong password is a clear error; a helper killed
/// mid-session ends that session with a reason while another session on the same appliance goes on.
/// </summary>
[Trait("Area", "Rdp")]
[Collection(RdpCollection.Name)]
public sealed class RdpStackTests(RdpStackFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private RdpServer Device => fixture.Device;

    private EdgeGatewayStack Stack => fixture.Stack;

    private Task<HttpResponseMessage> PostStartAsync(HttpClient client, string password) =>
        client.PostAsJsonAsync("/api/sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, username = Device.User, password, columns = 80, rows = 24 });

    private async Task<(string Id, HttpClient Client, StreamClient Controller)> StartAsync()
    {
        var (client, cookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var response = await PostStartAsync(client, Device.Password);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"start failed: {(int)response.StatusCode} {text}");
        var id = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        var controller = await Stack.OpenStreamAsync(cookies, id);
        return (id, client, controller);
    }

    private RdpDeviceSession ApplianceSession(string id) =>
        (RdpDeviceSession)Stack.Appliance.Services.GetRequiredService<SessionManager>().Find(id)!;

    [Fact]
    public async Task The_Controller_and_a_late_viewer_see_the_desktops_pixels()
    {
        var (id, client, controller) = await StartAsync();
        await using var _ = controller;
        using var controllerScreen = new DisplayScreen(controller);

        await Device.RunAsync("xsetroot", "-solid", "#336699");
        await controllerScreen.WaitForAsync(Device, Wait, "the root window's colour in the Controller's page");
        var (xterm, _) = await Device.StartWindowAsync("xterm", Wait, "-geometry", "60x12+40+30", "-bg", "#fafafa", "-fg", "#202020", "-e", "sh", "-c", "seq 1 30; exec sleep 600");
        await controllerScreen.WaitForAsync(Device, Wait, "an xterm in the Controller's page");

        var (_, viewerCookies) = await Stack.LoginNewViewerAsync();
        await using var viewer = await Stack.OpenStreamAsync(viewerCookies, id);
        using var viewerScreen = new DisplayScreen(viewer);
        await viewerScreen.WaitForAsync(Device, Wait, "the same desktop in the late viewer's page");

        await Device.RunAsync("xsetroot", "-solid", "#a03020");
        await viewerScreen.WaitForAsync(Device, Wait, "the new root colour in the viewer's page");
        await controllerScreen.WaitForAsync(Device, Wait, "the new root colour in the Controller's page");

        var password = Encoding.UTF8.GetBytes(Device.Password);
        Assert.DoesNotContain(Device.Password, Stack.Logs.AllText(), StringComparison.Ordinal);
        Assert.All(viewer.RawMessages.Concat(controller.RawMessages), m => Assert.Equal(-1, m.AsSpan().IndexOf(password)));
        xterm.Kill(entireProcessTree: true);
        await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
    }

    [Fact]
    public async Task The_Controllers_keys_reach_an_xterm()
    {
        var (id, client, controller) = await StartAsync();
        await using var _ = controller;
        var file = Path.Combine(Path.GetTempPath(), $"eg-rdp-typed-{Guid.NewGuid():N}.txt");
        try
        {
            // No window manager: the keyboard follows the pointer, so it goes over the xterm once it is there.
            var (xterm, _) = await Device.StartWindowAsync("xterm", Wait, "-geometry", "80x24+0+0", "-e", "sh", "-c", $"read line; echo \"$line\" > '{file}'");
            await controller.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 200, 150));
            await controller.SendFrameAsync(FrameType.PointerInput, DisplayScreen.Pointer(0, 210, 160));
            using var screen = new DisplayScreen(controller);
            await screen.WaitForAsync(Device, Wait, "the xterm in the Controller's page");

            // Mixed case and shifted punctuation: the shadow server takes no Unicode input, so these go as US scancodes with Shift.
            await DisplayScreen.TypeAsync(controller, $"Typed-{6 * 7}!", enter: true);
            await Conditions.WaitUntilAsync(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'), Wait, "the typed line in the file");
            Assert.Equal("Typed-42!\n", File.ReadAllText(file));
            xterm.Kill(entireProcessTree: true);
        }
        finally
        {
            File.Delete(file);
            await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
        }
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_a_clear_message()
    {
        var (client, _) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var response = await PostStartAsync(client, "not-the-password");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("The device refused the RDP login: check the user name, domain and password.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", Stack.Logs.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_helper_ends_its_session_with_a_reason_and_another_session_goes_on()
    {
        var (firstId, client, first) = await StartAsync();
        await using var _ = first;
        var (secondId, _, second) = await StartAsync();
        await using var __ = second;
        using var secondScreen = new DisplayScreen(second);
        await Device.RunAsync("xsetroot", "-solid", "#204060");
        await secondScreen.WaitForAsync(Device, Wait, "the desktop in the second session");

        var firstHelper = ApplianceSession(firstId).HelperProcessId!.Value;
        Assert.NotEqual(firstHelper, ApplianceSession(secondId).HelperProcessId);
        using (var helper = Process.GetProcessById(firstHelper))
        {
            helper.Kill();
        }

        await first.WaitUntilAsync(c => c.Frames.Any(f => f.Header.Type == FrameType.End), Wait, "the first session's end");
        var end = first.Frames.First(f => f.Header.Type == FrameType.End);
        Assert.True(SessionEnd.TryDecode(end.Payload, out var reason, out var message));
        Assert.Equal(EndReason.Error, reason);
        Assert.Contains("RDP helper process for this session stopped unexpectedly (signal 9)", message, StringComparison.Ordinal);

        // The second session, on the same appliance, still follows the desktop.
        await Device.RunAsync("xsetroot", "-solid", "#609020");
        await secondScreen.WaitForAsync(Device, Wait, "a change after the first session's helper died, in the second session");
        Assert.DoesNotContain(second.Frames, f => f.Header.Type == FrameType.End);
        await client.DeleteAsync(new Uri($"/api/sessions/{secondId}", UriKind.Relative));
    }
}
