using System.Net.WebSockets;
using System.Security.Claims;
using System.Text.Json;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>The WebSocket a browser watches (and, as Controller, drives) a session through.</summary>
internal static partial class StreamEndpoint
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    public static void MapSessionStream(this IEndpointRouteBuilder app) =>
        app.Map("/api/sessions/{id}/stream", HandleAsync).RequireAuthorization().ExcludeFromDescription();

    private static async Task HandleAsync(HttpContext context, string id, SessionService sessions, IOptions<CloudOptions> options, CloudMetrics metrics, TimeProvider time, ILoggerFactory loggers)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // Browsers send Origin on WebSocket requests; refuse pages of other sites riding the user's cookie.
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var session = sessions.Find(id);
        if (session is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var userId = context.User.FindFirstValue(ClaimTypes.NameIdentifier)!;
        var userName = context.User.Identity?.Name ?? userId;
        var connection = new object();
        var isController = userId == session.Controller.Id && session.Stream.TryClaimControl(connection);
        var logger = loggers.CreateLogger(typeof(StreamEndpoint));
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var viewer = new StreamViewer(userId, userName, isController, options.Value.Sessions.ViewerQueueFrames, options.Value.Sessions.ViewerQueueBytes);
        viewer.OfferText(Json(new StreamEvent("hello", Role: isController ? "controller" : "viewer", SessionId: session.Id, Controller: session.Controller, MaxPaste: options.Value.Sessions.MaxPasteBytes, Responding: session.DeviceResponding, Details: session.Details)));
        if (session.ApplianceOffline)
        {
            // Joined while the session waits for its appliance: shown at once, like everyone who was already watching.
            viewer.OfferText(sessions.ApplianceOfflineJson);
        }

        session.Stream.Join(viewer);
        session.Stream.ViewersChanged();
        Log.Joined(logger, session.Id, userName, isController ? "controller" : "viewer");

        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        try
        {
            var pump = viewer.PumpAsync(socket, done.Token);
            var input = new InputReader(socket, session.Id, viewer, (frame, ct) => sessions.SendInputAsync(session, userId, frame, ct), metrics, options.Value.Sessions.MaxPasteBytes, time, logger);
            var receive = input.RunAsync(done.Token);
            var first = await Task.WhenAny(pump, receive, viewer.Dropped);
            if (first == pump && pump.IsCompletedSuccessfully && !viewer.Dropped.IsCompleted && socket.State == WebSocketState.Open)
            {
                // The session ended and everything queued went out. Close politely and give the browser a
                // moment to answer: returning at once would reset the connection and could discard the last
                // messages before the browser has read them.
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "session ended", CancellationToken.None);
                await Task.WhenAny(receive, Task.Delay(CloseGrace, TimeProvider.System, context.RequestAborted));
            }

            await done.CancelAsync();
            await Task.WhenAll(pump, receive).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The browser went away; nothing to report.
        }
        finally
        {
            if (viewer.Dropped.IsCompleted)
            {
                metrics.ViewerDrops.Add(1);
                Log.Dropped(logger, session.Id, userName, StreamViewer.MaxQueuedTexts);
            }

            session.Stream.Leave(viewer);
            session.Stream.ReleaseControl(connection);
            session.Stream.ViewersChanged();
            Log.Left(logger, session.Id, userName);
        }
    }

    private static string Json(StreamEvent e) => JsonSerializer.Serialize(e, StreamEventJson.Default.StreamEvent);

    private static partial class Log
    {
        [LoggerMessage(3000, LogLevel.Information, "Session {SessionId}: {User} joined as {Role}")]
        public static partial void Joined(ILogger logger, string sessionId, string user, string role);

        [LoggerMessage(3001, LogLevel.Information, "Session {SessionId}: {User} left")]
        public static partial void Left(ILogger logger, string sessionId, string user);

        [LoggerMessage(3002, LogLevel.Warning, "Session {SessionId}: dropped {User}'s connection, which read nothing while {Count} messages waited for it")]
        public static partial void Dropped(ILogger logger, string sessionId, string user, int count);
    }
}
