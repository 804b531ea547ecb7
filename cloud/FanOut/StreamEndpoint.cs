using System.Net.WebSockets;
using System.Security.Claims;
using System.Text.Json;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Policy;
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

    private static async Task HandleAsync(HttpContext context, string id, SessionService sessions, SessionGovernance governance, SessionConversation conversation, Actors actors, IOptions<CloudOptions> options, CloudMetrics metrics, TimeProvider time, ILoggerFactory loggers)
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

        if (actors.Resolve(context) is not { } actor)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var logger = loggers.CreateLogger(typeof(StreamEndpoint));
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var admission = governance.Connect(actor, session);
        if (!admission.Allowed)
        {
            // Told over the socket (a browser cannot read an HTTP refusal of a WebSocket), then closed.
            Log.Refused(logger, session.Id, actor.Name, admission.Reason);
            await RefuseAsync(socket, admission.Message, context.RequestAborted);
            return;
        }

        var userId = actor.Id;
        var userName = actor.Name;
        var viewer = new StreamViewer(userId, userName, isController: false, options.Value.Sessions.ViewerQueueFrames, options.Value.Sessions.ViewerQueueBytes);
        session.Stream.Join(viewer, v =>
        {
            var view = session.ToView();
            var control = session.Stream.Control;
            return Json(new StreamEvent(
                "hello",
                Role: v.IsController ? "controller" : control.CoControllers.Contains(userId) ? "co-controller" : "viewer",
                SessionId: session.Id,
                Controller: session.Controller,
                MaxPaste: options.Value.Sessions.MaxPasteBytes,
                Responding: session.DeviceResponding,
                Details: session.Details,
                You: new UserRef(userId, userName),
                Participants: view.Participants,
                Code: view.JointSession ? view.Code : null,
                InputPaused: control.InputPaused,
                CoControllers: [.. control.CoControllers],
                EndsAt: view.EndsAt,
                JointSession: view.JointSession,
                SharedControl: view.SharedControl,
                Protocol: view.Protocol,
                Clipboard: view.Clipboard,
                Status: view.Status,
                InSessionSince: view.InSessionSince,
                Connected: view.Connected,
                ExpiresAt: view.ExpiresAt,
                Name: view.Name,
                OwnerId: view.OwnerId));
        });
        conversation.Greet(session, viewer); // chat-history right after hello
        if (session.ApplianceOffline)
        {
            // Joined while the session waits for its appliance: shown at once, like everyone who was already watching.
            viewer.OfferText(sessions.ApplianceOfflineJson);
        }

        governance.Connected(session);
        session.Stream.ViewersChanged();
        Log.Joined(logger, session.Id, userName, viewer.IsController ? "controller" : "viewer");

        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        try
        {
            var pump = viewer.PumpAsync(socket, done.Token);
            var input = new InputReader(socket, session.Id, viewer, (frame, ct) => sessions.SendInputAsync(session, userId, frame, ct), metrics, options.Value.Sessions.MaxPasteBytes, time, logger,
                clipboardToDevice: governance.MaySendClipboard(actor, session), resync: () => session.Stream.ResyncViewer(viewer));
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
            conversation.Forget(session, viewer);
            governance.Disconnected(actor, session);
            session.Stream.ViewersChanged();
            Log.Left(logger, session.Id, userName);
        }
    }

    private static string Json(StreamEvent e) => JsonSerializer.Serialize(e, StreamEventJson.Default.StreamEvent);

    /// <summary>The close code of a connection that may not watch (the 4000–4999 range is the application's, RFC 6455 §7.4.2).</summary>
    public const int RefusedCloseCode = 4403;

    private static async Task RefuseAsync(WebSocket socket, string message, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(Json(new StreamEvent("refused", Message: message)));
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            await socket.CloseOutputAsync((WebSocketCloseStatus)RefusedCloseCode, "refused", cancellationToken);
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(CloseGrace);
            var buffer = new byte[256];
            while (socket.State == WebSocketState.CloseSent && !(await socket.ReceiveAsync(buffer, grace.Token)).CloseStatus.HasValue)
            {
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The browser went away first.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3000, LogLevel.Information, "Session {SessionId}: {User} joined as {Role}")]
        public static partial void Joined(ILogger logger, string sessionId, string user, string role);

        [LoggerMessage(3001, LogLevel.Information, "Session {SessionId}: {User} left")]
        public static partial void Left(ILogger logger, string sessionId, string user);

        [LoggerMessage(3003, LogLevel.Information, "Session {SessionId}: {User} may not watch ({Reason})")]
        public static partial void Refused(ILogger logger, string sessionId, string user, string reason);

        [LoggerMessage(3002, LogLevel.Warning, "Session {SessionId}: dropped {User}'s connection, which read nothing while {Count} messages waited for it")]
        public static partial void Dropped(ILogger logger, string sessionId, string user, int count);
    }
}
