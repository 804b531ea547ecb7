using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 8 — Joint sessions (issue 9): a domain admin terminates a session that a technician controls and
/// <see cref="BenchSettings.JointViewers"/> other technicians (each with access of their own) watch. Per run, a fresh
/// session; the clock starts as the admin's <c>DELETE /api/sessions/{id}</c> goes out and stops (a) when the last
/// participant's WebSocket has the server's close frame, (b) when the device's SSH session process (a real sshd's
/// <c>sshd: user@pts</c>) has exited. Goal: p99 ≤ 250 ms. Before that, every viewer joins by the session's code
/// (<c>POST /api/join</c>) and opens the stream, one after the other: the time from the join request going out to the
/// viewer's first output frame (the screen's keyframe) is the join figure. Once all are in, a participant posts a chat
/// message (issue 11) and the time until the last page has the <c>chat</c> event is set beside its baseline, the device
/// path: a line the Controller types, echoed by the shell, until the last page has it in its output frames.
/// </summary>
public sealed class JointScenario : IScenario
{
    public const string Number = "8 joint";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public string Id => "joint";

    public string Title => "Joint sessions: join by code, admin terminate";

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        await using var stack = await BenchStack.StartAsync(context, "joint", appliances: 1);
        var applianceId = stack.Appliances[0].Id;
        var people = CreatePeople(stack, applianceId, settings.JointViewers);
        var admin = await stack.LoginAdminAsync();
        var controller = await stack.LoginAsync(people[0].Name, people[0].Password);
        var viewers = new List<WebUser>();
        foreach (var (name, password) in people.Skip(1))
        {
            viewers.Add(await stack.LoginAsync(name, password));
        }

        var socketsClosed = new List<double>();
        var deviceClosed = new List<double>();
        var answered = new List<double>();
        var joins = new List<double>();
        var chats = new List<double>();
        var echoes = new List<double>();
        for (var run = 0; run < settings.JointRuns; run++)
        {
            var (sockets, device, api) = await TerminateRunAsync(context, stack, admin, controller, viewers, applianceId, joins, run, chats, echoes);
            socketsClosed.Add(sockets);
            deviceClosed.Add(device);
            answered.Add(api);
        }

        context.Say($"  terminate → last socket closed: median {Distribution.Of(socketsClosed).Median:0.0} ms, p99 {Distribution.Of(socketsClosed).P99:0.0} ms; → device connection closed: median {Distribution.Of(deviceClosed).Median:0.0} ms, p99 {Distribution.Of(deviceClosed).P99:0.0} ms");
        var participants = $"{viewers.Count} viewers (distinct technicians with access) + the Controller, idle shell, {settings.JointRuns} runs, a fresh session each";
        context.Add(Figure.Alone(Number, $"admin terminate → last of {viewers.Count + 1} participants' sockets closed", "ms", Distribution.Of(socketsClosed)) with
        {
            Goal = "p99 ≤ 250 ms",
            GoalMet = Distribution.Of(socketsClosed).P99 <= 250,
            Note = participants + "; from the DELETE going out to the last close frame received.",
        });
        context.Add(Figure.Alone(Number, "admin terminate → device connection closed (sshd session process gone)", "ms", Distribution.Of(deviceClosed)) with
        {
            Goal = "p99 ≤ 250 ms",
            GoalMet = Distribution.Of(deviceClosed).P99 <= 250,
            Note = "The sshd process serving the session, polled in /proc every ~1 ms (exited or a zombie).",
        });
        context.Add(Figure.Alone(Number, "admin terminate → API answered (204)", "ms", Distribution.Of(answered)) with
        {
            Note = "The DELETE's round trip as the admin's browser sees it.",
        });
        context.Say($"  chat → last page: median {Distribution.Of(chats).Median:0.0} ms, p99 {Distribution.Of(chats).P99:0.0} ms; typed line → last page: median {Distribution.Of(echoes).Median:0.0} ms");
        context.Add(Figure.Compare(Number, $"chat message → last of {viewers.Count + 1} pages", "ms", Distribution.Of(chats), "a typed line answered by the device → last page", Distribution.Of(echoes)) with
        {
            Note = $"Chat: POST /api/sessions/{{id}}/chat going out (a different participant each run) → the last page's chat event. Baseline: the Controller's input frame going out → the last page's output frame with the shell's answer (appliance, sshd and back). {chats.Count} runs.",
        });
        context.Add(Figure.Alone(Number, "join by code → first frame on screen", "ms", Distribution.Of(joins)) with
        {
            Note = $"POST /api/join {{code}} going out → the viewer's first output frame on its WebSocket (join answered, stream opened over TLS, keyframe received); {joins.Count} joins, {viewers.Count} per session, one after the other, the Controller's stream open.",
        });
    }

    /// <summary>
    /// The Controller and the viewers: technicians with a grant to the bench appliance's endpoints, and an endpoint policy
    /// that admits them all, written to the running cloud's database (as an admin would set them), since the admin API is
    /// not what is measured.
    /// </summary>
    private static List<(string Name, string Password)> CreatePeople(BenchStack stack, string applianceId, int viewers)
    {
        var database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = stack.Cloud.DataDirectory }));
        var users = new UserStore(database, TimeProvider.System);
        var policy = new PolicyStore(database, TimeProvider.System);
        var people = new List<(string, string)>();
        for (var i = 0; i <= viewers; i++)
        {
            var name = i == 0 ? "joint-controller" : $"joint-viewer-{i:00}";
            var password = System.Security.Cryptography.RandomNumberGenerator.GetHexString(24);
            var user = users.Create(name, password, Roles.Technician) ?? throw new InvalidOperationException($"Could not create {name}.");
            policy.Grant("user", user.Id, applianceId, "*", "bench");
            people.Add((name, password));
        }

        // The default maximum (10) counts the Controller: room for the Controller and every viewer.
        policy.SetEndpointPolicy(applianceId, InProcessAppliance.EndpointId, EndpointPolicy.Default with { MaxParticipants = viewers + 1 });
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return people;
    }

    private static async Task<(double Sockets, double Device, double Api)> TerminateRunAsync(
        BenchContext context, BenchStack stack, WebUser admin, WebUser controller, IReadOnlyList<WebUser> viewers, string applianceId, List<double> joins,
        int run, List<double> chats, List<double> echoes)
    {
        var (sessionId, _) = await stack.StartSessionAsync(controller, applianceId);
        var streams = new List<ViewerClient>();
        var chat = new Arrivals();
        var echo = new Arrivals();
        try
        {
            streams.Add(await stack.OpenStreamAsync(controller, sessionId, echo.FrameObserver(0), chat.TextObserver(0)));
            await streams[0].FirstFrame.WaitAsync(Wait, context.Cancellation);
            var code = (await controller.Http.GetFromJsonAsync<JsonElement>(new Uri($"/api/sessions/{sessionId}", UriKind.Relative), context.Cancellation)).GetProperty("code").GetString();
            foreach (var viewer in viewers)
            {
                joins.Add(await JoinByCodeAsync(context, stack, viewer, sessionId, code!, streams, echo, chat));
            }

            await Task.WhenAll(streams.Select(s => s.FirstFrame)).WaitAsync(Wait, context.Cancellation);

            // The device path: the shell computes the marker, so only its answer (not the typed line's echo) matches.
            echo.Arm($"chk-{1000 + run}x");
            var typed = Stopwatch.GetTimestamp();
            await streams[0].SendInputAsync(Encoding.UTF8.GetBytes($"echo chk-$((1000+{run}))x\r"), context.Cancellation);
            await echo.AllAsync(streams.Count, context.Cancellation);
            echoes.Add(Stopwatch.GetElapsedTime(typed, echo.Last).TotalMilliseconds);

            // Chat: from a different participant each run (each person may post 20 messages per 10 s).
            var sender = run % (viewers.Count + 1) == 0 ? controller : viewers[(run % (viewers.Count + 1)) - 1];
            var text = $"bench chat {run} {Guid.NewGuid():N}";
            chat.Arm(text);
            var posted = Stopwatch.GetTimestamp();
            using (var response = await sender.Http.PostAsJsonAsync(new Uri($"/api/sessions/{sessionId}/chat", UriKind.Relative), new { text }, context.Cancellation))
            {
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"Chat failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(context.Cancellation)}");
                }
            }

            await chat.AllAsync(streams.Count, context.Cancellation);
            chats.Add(Stopwatch.GetElapsedTime(posted, chat.Last).TotalMilliseconds);
            var device = await SessionProcessAsync(stack.Device, context.Cancellation);

            var sent = Stopwatch.GetTimestamp();
            var deviceGone = ExitedAsync(device, context.Cancellation);
            using (var response = await admin.Http.DeleteAsync(new Uri($"/api/sessions/{sessionId}", UriKind.Relative), context.Cancellation))
            {
                if (response.StatusCode != HttpStatusCode.NoContent)
                {
                    throw new InvalidOperationException($"Terminate failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(context.Cancellation)}");
                }
            }

            var api = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            await Task.WhenAll(streams.Select(s => s.Ended)).WaitAsync(Wait, context.Cancellation);
            return (Stopwatch.GetElapsedTime(sent, streams.Max(s => s.ClosedAt)).TotalMilliseconds, Stopwatch.GetElapsedTime(sent, await deviceGone).TotalMilliseconds, api);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>Joins by code as the page does (the join, then the stream); returns ms from the join request to the first output frame.</summary>
    private static async Task<double> JoinByCodeAsync(BenchContext context, BenchStack stack, WebUser viewer, string sessionId, string code, List<ViewerClient> streams, Arrivals echo, Arrivals chat)
    {
        var page = streams.Count;
        long firstFrameAt = 0;
        var sent = Stopwatch.GetTimestamp();
        using (var joined = await viewer.Http.PostAsJsonAsync(new Uri("/api/join", UriKind.Relative), new { code }, context.Cancellation))
        {
            var text = await joined.Content.ReadAsStringAsync(context.Cancellation);
            if (joined.StatusCode != HttpStatusCode.OK || JsonDocument.Parse(text).RootElement.GetProperty("id").GetString() != sessionId)
            {
                throw new InvalidOperationException($"{viewer.Name} could not join by code: {(int)joined.StatusCode} {text}");
            }
        }

        var echoes = echo.FrameObserver(page);
        var stream = await stack.OpenStreamAsync(
            viewer,
            sessionId,
            (in FrameHeader header, ReadOnlySpan<byte> payload, long at) =>
            {
                Interlocked.CompareExchange(ref firstFrameAt, at, 0);
                echoes(header, payload, at);
            },
            chat.TextObserver(page));
        streams.Add(stream);
        await stream.FirstFrame.WaitAsync(Wait, context.Cancellation);
        return Interlocked.Read(ref firstFrameAt) is > 0 and var at
            ? Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds
            : throw new InvalidOperationException($"{viewer.Name}'s stream closed before a frame arrived.");
    }

    /// <summary>
    /// When each page (by index) first received the armed marker — in a text event or in a frame's payload — as Stopwatch
    /// timestamps taken on arrival by the pages' receive loops.
    /// </summary>
    private sealed class Arrivals
    {
        private readonly ConcurrentDictionary<int, long> _seen = new();
        private byte[]? _marker;

        public long Last => _seen.Values.Max();

        public void Arm(string marker)
        {
            _seen.Clear();
            Volatile.Write(ref _marker, Encoding.UTF8.GetBytes(marker));
        }

        public TextObserver TextObserver(int page) => (json, at) => See(page, json, at);

        public FrameObserver FrameObserver(int page) => (in FrameHeader _, ReadOnlySpan<byte> payload, long at) => See(page, payload, at);

        public async Task AllAsync(int pages, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Wait);
            while (_seen.Count < pages)
            {
                await Task.Delay(1, deadline.Token);
            }
        }

        private void See(int page, ReadOnlySpan<byte> data, long at)
        {
            if (Volatile.Read(ref _marker) is { } marker && data.IndexOf(marker) >= 0)
            {
                _seen.TryAdd(page, at);
            }
        }
    }

    /// <summary>The one sshd process of the session (the bench's device serves nothing else meanwhile; the last run's is gone).</summary>
    private static async Task<int> SessionProcessAsync(SshServer device, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Wait);
        while (true)
        {
            if (device.SessionProcessIds() is [var pid])
            {
                return pid;
            }

            await Task.Delay(5, deadline.Token);
        }
    }

    /// <summary>Stopwatch timestamp at which <paramref name="pid"/> was first seen gone (no /proc entry, or a zombie awaiting its parent).</summary>
    private static async Task<long> ExitedAsync(int pid, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Wait);
        while (true)
        {
            string stat;
            try
            {
                stat = await File.ReadAllTextAsync($"/proc/{pid}/stat", deadline.Token);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
            {
                return Stopwatch.GetTimestamp();
            }

            // "pid (comm) S …": the state follows the last ')'.
            var state = stat.LastIndexOf(')') is var close and >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
            if (state is 'Z' or 'X')
            {
                return Stopwatch.GetTimestamp();
            }

            await Task.Delay(1, deadline.Token);
        }
    }
}
