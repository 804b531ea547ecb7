using System.Net;

namespace EdgeGateway.Testing;

/// <summary>
/// A session started by the admin, with the Controller's stream and a second person's (read-only) stream open, both
/// past their first frame. Disposing ends the session and closes both streams.
/// </summary>
public sealed record WatchedSession(string Id, HttpClient Client, CookieContainer ControllerCookies, StreamClient Controller, StreamClient Viewer, CookieContainer ViewerCookies) : IAsyncDisposable
{
    /// <summary>Starts a session on <paramref name="device"/> through <paramref name="stack"/> and opens both streams.</summary>
    public static async Task<WatchedSession> OpenAsync(EdgeGatewayStack stack, SshServer device, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var (client, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var view = await EdgeGatewayStack.StartSessionAsync(client, device);
        var controller = await stack.OpenStreamAsync(cookies, view.Id);
        var (_, viewerCookies) = await stack.LoginNewViewerAsync();
        var viewer = await stack.OpenStreamAsync(viewerCookies, view.Id);
        await controller.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0 && c.Frames.Count > 0, timeout, "the Controller's hello and first frame");
        await viewer.WaitUntilAsync(c => c.Frames.Count > 0, timeout, "the viewer's first frame");
        return new WatchedSession(view.Id, client, cookies, controller, viewer, viewerCookies);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DeleteAsync(new Uri($"/api/sessions/{Id}", UriKind.Relative));
        await Controller.DisposeAsync();
        await Viewer.DisposeAsync();
        Client.Dispose();
    }
}
