using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Testing;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// SSH end to end: a real sshd behind the appliance, the cloud's embedded broker over mutual TLS, and
/// browser-protocol WebSocket clients as the Controller and the Viewers.
/// </summary>
[Trait("Area", "Ssh")]
[Collection(SshCollection.Name)]
public sealed class SshSessionTests(SshStackFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task Controller_and_viewer_see_command_output_in_order()
    {
        var (controller, controllerCookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var session = await StartAsync(controller);
        await using var controllerStream = await Stack.OpenStreamAsync(controllerCookies, session.Id);
        var (_, viewerCookies) = await NewViewerAsync();
        await using var viewerStream = await Stack.OpenStreamAsync(viewerCookies, session.Id);
        await controllerStream.WaitUntilAsync(c => c.Events.Any(e => e.GetProperty("type").GetString() == "hello"), Wait, "hello");
        await viewerStream.WaitUntilAsync(c => c.Events.Any(e => e.GetProperty("type").GetString() == "hello"), Wait, "hello");

        // Arithmetic in the command makes the output differ from the echoed command line.
        await controllerStream.SendInputAsync("echo first-$((20+1)); echo second-$((20+2)); echo third-$((20+3))\r");

        foreach (var stream in new[] { controllerStream, viewerStream })
        {
            await stream.WaitForOutputAsync("third-23", Wait);
            var output = stream.Output;
            var first = output.IndexOf("first-21", StringComparison.Ordinal);
            var second = output.IndexOf("second-22", StringComparison.Ordinal);
            var third = output.IndexOf("third-23", StringComparison.Ordinal);
            Assert.True(first >= 0 && first < second && second < third, $"output out of order:\n{output}");
        }

        Assert.Equal("controller", Role(controllerStream));
        Assert.Equal("viewer", Role(viewerStream));
        await EndAsync(controller, session.Id);
    }

    [Fact]
    public async Task Viewer_keystrokes_never_reach_the_device()
    {
        var (controller, controllerCookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var session = await StartAsync(controller);
        await using var controllerStream = await Stack.OpenStreamAsync(controllerCookies, session.Id);
        var (_, viewerCookies) = await NewViewerAsync();
        await using var viewerStream = await Stack.OpenStreamAsync(viewerCookies, session.Id);
        await viewerStream.WaitUntilAsync(c => c.Events.Any(e => e.GetProperty("type").GetString() == "hello"), Wait, "hello");

        var marker = Path.Combine(Path.GetTempPath(), "eg-viewer-" + Guid.NewGuid().ToString("N"));
        await viewerStream.SendInputAsync($"touch {marker}; echo viewer-typed-$((6*7))\r");
        await viewerStream.SendFrameAsync(FrameType.TerminalResizeRequest, [0, 20, 0, 5]);

        // The Controller's command runs after the viewer's frames reached the cloud, on the same path.
        await controllerStream.SendInputAsync("echo controller-typed-$((5*5)); stty size\r");
        await controllerStream.WaitForOutputAsync("controller-typed-25", Wait);
        await viewerStream.WaitForOutputAsync("controller-typed-25", Wait);

        Assert.DoesNotContain("viewer-typed-42", controllerStream.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("viewer-typed-42", viewerStream.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "a viewer's keystrokes ran a command on the device");
        Assert.DoesNotContain(controllerStream.Frames, f => f.Header.Type == FrameType.TerminalResize);
        await EndAsync(controller, session.Id);
    }

    [Fact]
    public async Task Late_joiner_starts_from_a_keyframe_that_shows_the_current_screen()
    {
        var (controller, controllerCookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var session = await StartAsync(controller);
        await using var controllerStream = await Stack.OpenStreamAsync(controllerCookies, session.Id);
        await controllerStream.SendInputAsync("clear; for i in 1 2 3; do echo late-line-$((i*11)); done\r");
        await controllerStream.WaitForOutputAsync("late-line-33", Wait);

        var (_, viewerCookies) = await NewViewerAsync();
        await using var late = await Stack.OpenStreamAsync(viewerCookies, session.Id);
        await late.WaitUntilAsync(c => c.Frames.Count > 0, Wait, "a first frame");

        var first = late.Frames[0];
        Assert.True(first.Header.IsKeyframe, $"first frame was {first.Header.Type}, not a keyframe");
        Assert.Equal(FrameType.TerminalSnapshot, first.Header.Type);
        var screen = TerminalScreen.Render(late.Frames);
        Assert.Contains("late-line-11", screen, StringComparison.Ordinal);
        Assert.Contains("late-line-22", screen, StringComparison.Ordinal);
        Assert.Contains("late-line-33", screen, StringComparison.Ordinal);
        Assert.Equal(TerminalScreen.Render(controllerStream.Frames), screen);
        await EndAsync(controller, session.Id);
    }

    [Fact]
    public async Task Wrong_device_password_is_refused_with_a_clear_message()
    {
        var (controller, _) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var response = await controller.PostAsJsonAsync("/api/sessions", new
        {
            applianceId = EdgeGatewayStack.ApplianceId,
            endpointId = EdgeGatewayStack.EndpointId,
            username = fixture.Device.UserName,
            password = "not-" + fixture.Device.Password,
            columns = 80,
            rows = 24,
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The device refused the user name or password.", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Device_password_appears_in_no_log_line_and_no_viewer_byte()
    {
        var (controller, controllerCookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var session = await StartAsync(controller);
        await using var controllerStream = await Stack.OpenStreamAsync(controllerCookies, session.Id);
        var (_, viewerCookies) = await NewViewerAsync();
        await using var viewerStream = await Stack.OpenStreamAsync(viewerCookies, session.Id);
        await controllerStream.SendInputAsync("echo secret-check-$((9*9))\r");
        await viewerStream.WaitForOutputAsync("secret-check-81", Wait);
        await EndAsync(controller, session.Id);
        await viewerStream.WaitUntilAsync(c => c.Closed, Wait, "the stream to close");

        var password = Encoding.UTF8.GetBytes(fixture.Device.Password);
        foreach (var message in controllerStream.RawMessages.Concat(viewerStream.RawMessages))
        {
            Assert.True(message.AsSpan().IndexOf(password) < 0, "the device password reached a viewer");
        }

        Assert.DoesNotContain(fixture.Device.Password, Stack.Logs.AllText(), StringComparison.Ordinal);
        Assert.Empty(Stack.Logs.Errors());
        Assert.True(viewerStream.Events.Any(e => e.GetProperty("type").GetString() == "ended"),
            $"no ended event; raw: {string.Join(" | ", viewerStream.RawMessages.Select(m => m[0] == 1 ? "frame" + m[1] : Encoding.UTF8.GetString(m)))}\nlog:\n{string.Join('\n', Stack.Logs.Entries.TakeLast(25))}");
        Assert.Contains(viewerStream.Frames, f => f.Header.Type == FrameType.End);
    }

    private Task<SessionView> StartAsync(HttpClient client) => EdgeGatewayStack.StartSessionAsync(client, fixture.Device);

    private static async Task EndAsync(HttpClient client, string sessionId)
    {
        var response = await client.DeleteAsync($"/api/sessions/{sessionId}");
        Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"end failed: {response.StatusCode}");
    }

    private Task<(HttpClient Client, System.Net.CookieContainer Cookies)> NewViewerAsync() => Stack.LoginNewViewerAsync();

    private static string? Role(StreamClient stream) =>
        stream.Events.First(e => e.GetProperty("type").GetString() == "hello").GetProperty("role").GetString();
}
