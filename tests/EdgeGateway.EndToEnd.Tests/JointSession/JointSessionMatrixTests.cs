using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeGateway.EndToEnd.Tests.JointSession;

/// <summary>
/// Joint sessions under policy, end to end against the real OpenSSH server and the real appliance: every kind of
/// participant tries every governed action on a session a technician controls; allowed ones work, refused ones give
/// a clear error and an audit event. The table is printed in the test output.
/// </summary>
[Trait("Area", "JointSession")]
public sealed class JointSessionMatrixTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private SshServer _device = null!;
    private EdgeGatewayStack _stack = null!;
    private readonly Dictionary<string, Person> _people = [];

    private sealed record Person(string Label, string Id, HttpClient Http, CookieContainer Cookies);

    public async Task InitializeAsync()
    {
        _device = await SshServer.StartAsync(CancellationToken.None);
        _stack = await EdgeGatewayStack.StartAsync(_device);
        await AddAsync("Controller (technician)", Roles.Technician, grant: true);
        await AddAsync("domain admin", Roles.DomainAdmin, grant: false);
        await AddAsync("technician with access", Roles.Technician, grant: true);
        await AddAsync("technician without access", Roles.Technician, grant: false);
        await AddAsync("operator", Roles.Operator, grant: true);
        await AddAsync("field engineer", Roles.FieldEngineer, grant: true);
        await AddAsync("filler", Roles.Technician, grant: true);
        var (anonymous, anonymousCookies) = _stack.Client.CreateClient();
        _people["anonymous"] = new Person("anonymous", string.Empty, anonymous, anonymousCookies);
    }

    public async Task DisposeAsync()
    {
        foreach (var person in _people.Values)
        {
            person.Http.Dispose();
        }

        await _stack.DisposeAsync();
        await _device.DisposeAsync();
    }

    private PolicyStore Policy => _stack.Cloud.Services.GetRequiredService<PolicyStore>();

    private AuditLog Audit => _stack.Cloud.Services.GetRequiredService<AuditLog>();

    private Person Controller => _people["Controller (technician)"];

    private static readonly string[] Participants = ["domain admin", "technician with access", "technician without access", "operator", "field engineer", "invite holder", "anonymous"];

    [Fact]
    public async Task Every_participant_times_every_action_is_allowed_or_refused_with_a_reason_and_an_audit_event()
    {
        var columns = new (string Name, Func<string, Task<Cell>> Run, string[] Allowed)[]
        {
            ("start", StartAsync, ["domain admin", "technician with access"]),
            ("join by list", p => OnSessionAsync(p, (s, person) => PostAsync(person, $"/api/sessions/{s.Id}/join", new { })), ["domain admin", "technician with access", "operator", "invite holder"]),
            ("join by code", p => OnSessionAsync(p, (s, person) => PostAsync(person, "/api/join", new { code = s.Code })), ["domain admin", "technician with access", "operator", "invite holder"]),
            ("join by link", p => OnSessionAsync(p, async (s, person) => await PostAsync(person, "/api/invites/redeem", new { key = await InviteKeyAsync(s.Id), name = "Link Holder" })), ["domain admin", "technician with access", "technician without access", "operator", "invite holder", "anonymous"]),
            ("send input", SendInputAsync, []),
            ("request + accepted handover", HandoverByRequestAsync, ["domain admin", "technician with access"]),
            ("granted shared control", SharedControlAsync, ["domain admin", "technician with access"]),
            ("terminate", p => OnSessionAsync(p, (s, person) => SendAsync(person, HttpMethod.Delete, $"/api/sessions/{s.Id}", null)), ["domain admin"]),
            ("join past the maximum", p => OnSessionAsync(p, (s, person) => PostAsync(person, $"/api/sessions/{s.Id}/join", new { }), EndpointPolicy.Default with { MaxParticipants = 2 }, fill: true, guestInvitedHere: false), []),
            ("join, joint session off", p => OnSessionAsync(p, (s, person) => PostAsync(person, $"/api/sessions/{s.Id}/join", new { }), EndpointPolicy.Default with { JointSession = false }, guestInvitedHere: false), []),
            ("start without approved RfA", p => StartAsync(p, EndpointPolicy.Default with { RfaRequired = true }), ["domain admin"]),
            ("use an expired link", ExpiredLinkAsync, []),
            ("use the code after the end", CodeAfterEndAsync, []),
        };

        var table = new StringBuilder();
        table.AppendLine($"| participant | {string.Join(" | ", columns.Select(c => c.Name))} |");
        table.AppendLine($"|---|{string.Concat(columns.Select(_ => "---|"))}");
        var failures = new List<string>();
        foreach (var participant in Participants)
        {
            var row = new List<string>();
            foreach (var (name, run, allowed) in columns)
            {
                var cell = await run(participant);
                var expected = allowed.Contains(participant);
                row.Add(cell.Allowed ? "✓" : $"✗ {cell.Status}");
                if (cell.Allowed != expected)
                {
                    failures.Add($"{participant} × {name}: expected {(expected ? "allowed" : "refused")}, got {cell}");
                }
                else if (!cell.Allowed && string.IsNullOrWhiteSpace(cell.Message))
                {
                    failures.Add($"{participant} × {name}: refused without a message ({cell.Status})");
                }
                else if (!cell.Allowed && cell.AuditSeq is null && participant != "anonymous" && name != "send input")
                {
                    failures.Add($"{participant} × {name}: refused ({cell.Message}) but no audit event recorded it");
                }
            }

            table.AppendLine($"| {participant} | {string.Join(" | ", row)} |");
        }

        output.WriteLine(table.ToString());
        output.WriteLine("Refusal messages (one per kind):");
        foreach (var message in _messages.Distinct())
        {
            output.WriteLine("  " + message);
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + table);
        Assert.True(Audit.Verify().Intact, Audit.Verify().Message);
    }

    [Fact]
    public async Task The_Controller_starts_types_hands_over_on_the_same_device_connection_and_ends()
    {
        SetPolicy(EndpointPolicy.Default with { SharedControl = true });
        var session = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        await using var controller = await _stack.Client.OpenStreamAsync(Controller.Cookies, session.Id);
        await controller.WaitForOutputAsync("$ ", Wait);

        // Set a shell variable before the handover; the new Controller reads it after: the same SSH session.
        await controller.SendInputAsync("export HANDOVER_PROOF=kept-$$\n");
        var tech = _people["technician with access"];
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(tech, $"/api/sessions/{session.Id}/join", new { })).Status);
        await using var viewer = await _stack.Client.OpenStreamAsync(tech.Cookies, session.Id);
        await viewer.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "hello");
        Assert.Equal("viewer", viewer.EventsOfType("hello")[0].GetProperty("role").GetString());

        var handover = await PostAsync(Controller, $"/api/sessions/{session.Id}/control/handover", new { userId = tech.Id });
        Assert.Equal(HttpStatusCode.OK, handover.Status);
        await viewer.WaitUntilAsync(c => c.EventsOfType("control").Any(e => e.GetProperty("role").GetString() == "controller"), Wait, "control handed to the viewer");
        await controller.WaitUntilAsync(c => c.EventsOfType("control").Any(e => e.GetProperty("role").GetString() == "viewer"), Wait, "the old Controller now watching");

        await viewer.SendInputAsync("echo \"after=$HANDOVER_PROOF\"\n");
        await viewer.WaitForOutputAsync("after=kept-", Wait);
        await controller.WaitForOutputAsync("after=kept-", Wait); // the old Controller sees it too

        // The old Controller's keys no longer reach the device.
        await controller.SendInputAsync("echo old-controller-$((20+22))\n");
        await viewer.SendInputAsync("echo new-controller-$((20+22))\n");
        await viewer.WaitForOutputAsync("new-controller-42", Wait);
        Assert.DoesNotContain("old-controller-42", viewer.Output, StringComparison.Ordinal);

        var participants = (await GetViewAsync(tech, session.Id)).Participants!;
        Assert.Equal("controller", participants.Single(p => p.Id == tech.Id).Role);
        Assert.Equal("viewer", participants.Single(p => p.Id == Controller.Id).Role);

        // The new Controller ends it; everyone is told.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(tech, HttpMethod.Delete, $"/api/sessions/{session.Id}", null)).Status);
        await controller.WaitUntilAsync(c => c.EventsOfType("ended").Count > 0, Wait, "the end");
        Assert.Contains("ended the session", controller.EventsOfType("ended")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        var events = Audit.Read(new AuditQuery(SessionId: session.Id));
        Assert.Contains(events, e => e.Action == "session.handover" && e.Outcome == "allowed" && e.ActorId == Controller.Id);
        Assert.Contains(events, e => e.Action == "session.end" && e.ActorId == tech.Id);
    }

    [Fact]
    public async Task Admin_terminate_closes_every_participant_and_the_device_connection()
    {
        SetPolicy(EndpointPolicy.Default);
        var before = _device.SessionProcessIds();
        var session = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        await using var controller = await _stack.Client.OpenStreamAsync(Controller.Cookies, session.Id);
        await controller.WaitForOutputAsync("$ ", Wait);
        var tech = _people["technician with access"];
        await using var viewer = await _stack.Client.OpenStreamAsync(tech.Cookies, session.Id);
        await viewer.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "hello");
        await Conditions.WaitUntilAsync(() => _device.SessionProcessIds().Except(before).Any(), Wait, "the device's session process");

        var admin = _people["domain admin"];
        var started = Stopwatch.GetTimestamp();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(admin, HttpMethod.Delete, $"/api/sessions/{session.Id}", null)).Status);
        foreach (var client in new[] { controller, viewer })
        {
            await Conditions.WaitUntilAsync(() => client.Closed, Wait, "the participant's socket to close");
            var ended = client.EventsOfType("ended").Single();
            Assert.Equal($"Terminated by {admin.Label}.", ended.GetProperty("message").GetString());
        }

        var socketsClosed = Stopwatch.GetElapsedTime(started);
        await Conditions.WaitUntilAsync(() => !_device.SessionProcessIds().Except(before).Any(), Wait, "sshd's session process to end");
        var deviceClosed = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"terminate → last participant's socket closed {socketsClosed.TotalMilliseconds:0} ms, → sshd session gone {deviceClosed.TotalMilliseconds:0} ms");
        Assert.Contains(Audit.Read(new AuditQuery(SessionId: session.Id)), e => e.Action == "session.terminate" && e.ActorId == admin.Id && e.Outcome == "allowed");
    }

    [Fact]
    public async Task With_supervision_required_input_waits_for_a_supervisor()
    {
        SetPolicy(EndpointPolicy.Default with { SupervisionRequired = true });
        var session = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        await using var controller = await _stack.Client.OpenStreamAsync(Controller.Cookies, session.Id);
        await controller.WaitForOutputAsync("$ ", Wait);
        await controller.WaitUntilAsync(c => c.EventsOfType("notice").Any(e => e.TryGetProperty("reason", out var r) && r.GetString() == "unsupervised"), Wait, "the unsupervised notice");

        await controller.SendInputAsync("echo unsupervised-$((20+22))\n");

        var op = _people["operator"];
        await using var supervisor = await _stack.Client.OpenStreamAsync(op.Cookies, session.Id);
        await controller.WaitUntilAsync(c => c.EventsOfType("control").Any(e => !e.GetProperty("inputPaused").GetBoolean()), Wait, "input resumed");
        await controller.SendInputAsync("echo supervised-$((20+22))\n");
        await controller.WaitForOutputAsync("supervised-42", Wait);
        Assert.DoesNotContain("unsupervised-42", controller.Output, StringComparison.Ordinal);

        // The supervisor leaves: input pauses again.
        await supervisor.DisposeAsync();
        await controller.WaitUntilAsync(c => c.EventsOfType("control").LastOrDefault() is { } e && e.GetProperty("inputPaused").GetBoolean(), Wait, "input paused again");
        await SendAsync(Controller, HttpMethod.Delete, $"/api/sessions/{session.Id}", null);
    }

    [Fact]
    public async Task Shared_control_lets_both_type_and_the_audit_attributes_every_input_to_its_author()
    {
        SetPolicy(EndpointPolicy.Default with { SharedControl = true });
        var session = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        await using var controller = await _stack.Client.OpenStreamAsync(Controller.Cookies, session.Id);
        await controller.WaitForOutputAsync("$ ", Wait);
        var tech = _people["technician with access"];
        await using var helper = await OpenPageAsync("technician with access", tech, session.Id);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Controller, HttpMethod.Put, $"/api/sessions/{session.Id}/control/grants/{tech.Id}", null)).Status);
        await helper!.WaitUntilAsync(c => c.EventsOfType("control").Any(e => e.GetProperty("role").GetString() == "co-controller"), Wait, "input shared");
        await helper.SendInputAsync("echo helper-$((20+22))\n");
        await controller.WaitForOutputAsync("helper-42", Wait);
        await controller.SendInputAsync("echo controller-$((20+22))\n");
        await helper.WaitForOutputAsync("controller-42", Wait);

        // Withdrawn: the helper's keys stop reaching the device.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Controller, HttpMethod.Delete, $"/api/sessions/{session.Id}/control/grants/{tech.Id}", null)).Status);
        await helper.WaitUntilAsync(c => c.EventsOfType("control").LastOrDefault() is { } e && e.GetProperty("role").GetString() == "viewer", Wait, "sharing withdrawn");
        await helper.SendInputAsync("echo withdrawn-$((20+22))\n");
        await controller.SendInputAsync("echo after-$((20+22))\n");
        await controller.WaitForOutputAsync("after-42", Wait);
        Assert.DoesNotContain("withdrawn-42", controller.Output, StringComparison.Ordinal);

        await SendAsync(Controller, HttpMethod.Delete, $"/api/sessions/{session.Id}", null);
        await Conditions.WaitUntilAsync(() => Audit.Read(new AuditQuery(SessionId: session.Id)).Count(e => e.Action == "session.input") == 2, Wait, "one input event per author");
        var inputs = Audit.Read(new AuditQuery(SessionId: session.Id)).Where(e => e.Action == "session.input").ToList();
        Assert.Equal(new[] { Controller.Id, tech.Id }.Order(StringComparer.Ordinal), inputs.Select(e => e.ActorId!).Order(StringComparer.Ordinal));
        Assert.All(inputs, e => Assert.Matches("^[0-9]+ bytes of input forwarded to the device$", e.Detail!));
        Assert.Contains(Audit.Read(new AuditQuery(SessionId: session.Id)), e => e.Action == "session.control-grant" && e.Outcome == "allowed" && e.Detail == tech.Label);
    }

    [Fact]
    public async Task A_session_started_on_an_approved_request_ends_for_everyone_when_the_approval_runs_out()
    {
        SetPolicy(EndpointPolicy.Default with { RfaRequired = true });
        var tech = _people["technician with access"];
        var refused = await PostAsync(tech, "/api/sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, username = _device.UserName, password = _device.Password, columns = 80, rows = 24 });
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);

        // Approved for a window that closes in 4 s (the API allows minutes; the store takes any window).
        var request = Policy.CreateRequest(tech.Id, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, "replace a sensor", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(4));
        Assert.True(Policy.DecideRequest(request.Id, approve: true, _people["domain admin"].Id, null));
        var session = await CloudClient.StartSessionAsync(tech.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        Assert.NotNull(session.EndsAt);
        await using var controller = await _stack.Client.OpenStreamAsync(tech.Cookies, session.Id);
        await using var viewer = await OpenPageAsync("operator", _people["operator"], session.Id);

        foreach (var client in new[] { controller, viewer! })
        {
            await client.WaitUntilAsync(c => c.EventsOfType("ended").Count > 0, Wait, "the end when the approval runs out");
            Assert.Equal("The approved access for this session ran out.", client.EventsOfType("ended")[0].GetProperty("message").GetString());
        }

        Assert.Contains(Audit.Read(new AuditQuery(SessionId: session.Id)), e => e.Action == "session.expire");
    }

    [Fact]
    public async Task Disabling_a_user_closes_what_they_have_open_and_ends_the_sessions_they_control()
    {
        SetPolicy(EndpointPolicy.Default);
        var admin = _people["domain admin"];
        var tech = _people["technician with access"];
        var watched = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        await using var watching = await OpenPageAsync("technician with access", tech, watched.Id);
        var owned = await CloudClient.StartSessionAsync(tech.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        await using var owner = await _stack.Client.OpenStreamAsync(tech.Cookies, owned.Id);
        await using var ownedViewer = await OpenPageAsync("operator", _people["operator"], owned.Id);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(admin, HttpMethod.Patch, $"/api/admin/users/{tech.Id}", new { disabled = true })).Status);

        await watching!.WaitUntilAsync(c => c.Closed, Wait, "the disabled user's page to close");
        Assert.Equal($"Your account was disabled by {admin.Label}.", watching.EventsOfType("refused").Single().GetProperty("message").GetString());
        await ownedViewer!.WaitUntilAsync(c => c.EventsOfType("ended").Count > 0, Wait, "the end of the session the disabled user controlled");
        Assert.Equal($"Terminated: {tech.Label}'s account was disabled by {admin.Label}.", ownedViewer.EventsOfType("ended")[0].GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(tech, $"/api/sessions/{watched.Id}/join", new { })).Status);

        // The session they only watched goes on for its Controller.
        Assert.NotNull(_stack.Cloud.Services.GetRequiredService<SessionService>().Find(watched.Id));
    }

    // ------------------------------------------------------------------ cells

    private sealed record Cell(bool Allowed, HttpStatusCode Status, string Message, long? AuditSeq)
    {
        public override string ToString() => $"{(int)Status} {Message}";
    }

    private sealed record Reply(HttpStatusCode Status, string Body)
    {
        public bool Ok => (int)Status is >= 200 and < 300;

        public string Message => Ok || Body.Length == 0 ? string.Empty : JsonDocument.Parse(Body).RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? string.Empty : Body;
    }

    private readonly List<string> _messages = [];

    private async Task<Cell> CellAsync(string participant, Func<Task<Reply>> act)
    {
        var mark = LastSeq();
        var reply = await act();
        var refusal = Audit.Read(new AuditQuery(AfterSeq: mark)).LastOrDefault(e => e.Outcome == "refused");
        if (!reply.Ok)
        {
            _messages.Add($"{(int)reply.Status} {reply.Message}");
        }

        return new Cell(reply.Ok, reply.Status, reply.Message, reply.Ok ? null : refusal?.Seq);
    }

    private long LastSeq() => Audit.Read(new AuditQuery(Limit: 10_000)).LastOrDefault()?.Seq ?? 0;

    private async Task<Cell> StartAsync(string participant) => await StartAsync(participant, EndpointPolicy.Default);

    private async Task<Cell> StartAsync(string participant, EndpointPolicy policy)
    {
        SetPolicy(policy);
        var person = await PersonAsync(participant, null);
        var cell = await CellAsync(participant, () => PostAsync(person, "/api/sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, username = _device.UserName, password = _device.Password, columns = 80, rows = 24 }));
        if (cell.Allowed)
        {
            await EndAllAsync();
        }

        return cell;
    }

    /// <summary>The Controller starts a session under <paramref name="policy"/>; the participant acts on it; the session ends.</summary>
    private async Task<Cell> OnSessionAsync(string participant, Func<SessionView, Person, Task<Reply>> act, EndpointPolicy? policy = null, bool fill = false, bool guestInvitedHere = true)
    {
        SetPolicy(policy ?? EndpointPolicy.Default);
        var session = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        if (fill)
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(_people["filler"], $"/api/sessions/{session.Id}/join", new { })).Status);
        }

        var person = await PersonAsync(participant, guestInvitedHere ? session.Id : null);
        try
        {
            return await CellAsync(participant, () => act(session, person));
        }
        finally
        {
            await EndAllAsync();
        }
    }

    private async Task<Cell> SendInputAsync(string participant)
    {
        SetPolicy(EndpointPolicy.Default);
        var session = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        var person = await PersonAsync(participant, session.Id);
        try
        {
            await using var controller = await _stack.Client.OpenStreamAsync(Controller.Cookies, session.Id);
            await controller.WaitForOutputAsync("$ ", Wait);
            if (participant == "anonymous" || !(await PostAsync(person, $"/api/sessions/{session.Id}/join", new { })).Ok)
            {
                // Not in the session, so no page to type from: the stream refuses them.
                return await StreamRefusalAsync(participant, person, session.Id);
            }

            await using var stream = await _stack.Client.OpenStreamAsync(person.Cookies, session.Id);
            await stream.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "hello");
            var marker = $"typed-by-{participant.Replace(' ', '-')}";
            await stream.SendInputAsync($"echo {marker}-$((20+22))\n");
            await controller.SendInputAsync("echo controller-check-$((20+22))\n");
            await controller.WaitForOutputAsync("controller-check-42", Wait);
            var ran = controller.Output.Contains(marker + "-42", StringComparison.Ordinal);
            _messages.Add("(viewer input) dropped by the cloud; the appliance drops it again");
            // Not audited per keystroke: a viewer's page sends none, and the cloud and the appliance drop (and count) any.
            return new Cell(ran, ran ? HttpStatusCode.OK : HttpStatusCode.Forbidden, ran ? string.Empty : "viewer input is not forwarded", null);
        }
        finally
        {
            await EndAllAsync();
        }
    }

    private async Task<Cell> StreamRefusalAsync(string participant, Person person, string sessionId)
    {
        if (participant == "anonymous")
        {
            return new Cell(false, HttpStatusCode.Unauthorized, "sign in first", null);
        }

        var mark = LastSeq();
        await using var stream = await _stack.Client.OpenStreamAsync(person.Cookies, sessionId);
        await Conditions.WaitUntilAsync(() => stream.Closed, Wait, "the refused stream to close");
        var refused = stream.EventsOfType("refused").Single().GetProperty("message").GetString()!;
        var audit = Audit.Read(new AuditQuery(AfterSeq: mark)).LastOrDefault(e => e.Outcome == "refused");
        return new Cell(false, HttpStatusCode.Forbidden, refused, audit?.Seq);
    }

    private async Task<Cell> HandoverByRequestAsync(string participant) =>
        await OnSessionAsync(participant, async (s, person) =>
        {
            await using var page = await OpenPageAsync(participant, person, s.Id);
            var request = await PostAsync(person, $"/api/sessions/{s.Id}/control/request", new { });
            if (!request.Ok)
            {
                return request;
            }

            var accepted = await PostAsync(Controller, $"/api/sessions/{s.Id}/control/requests/{person.Id}", new { accept = true });
            if (accepted.Ok)
            {
                var view = await GetViewAsync(person, s.Id);
                Assert.Equal(person.Id, view.Controller.Id);
            }

            return accepted;
        });

    private async Task<Cell> SharedControlAsync(string participant) =>
        await OnSessionAsync(
            participant,
            async (s, person) =>
            {
                await using var page = await OpenPageAsync(participant, person, s.Id);
                return await SendAsync(Controller, HttpMethod.Put, $"/api/sessions/{s.Id}/control/grants/{(person.Id.Length == 0 ? "nobody" : person.Id)}", null);
            },
            EndpointPolicy.Default with { SharedControl = true });

    private async Task<Cell> ExpiredLinkAsync(string participant) =>
        await OnSessionAsync(participant, (s, person) =>
        {
            var key = $"expired-{Guid.NewGuid():N}";
            Policy.CreateInvite(s.Id, SessionGovernance.HashKey(key), Controller.Id, DateTimeOffset.UtcNow.AddMinutes(-1));
            return PostAsync(person, "/api/invites/redeem", new { key, name = "Late Guest" });
        });

    private async Task<Cell> CodeAfterEndAsync(string participant)
    {
        SetPolicy(EndpointPolicy.Default);
        var session = await CloudClient.StartSessionAsync(Controller.Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
        await EndAllAsync();
        var person = await PersonAsync(participant, null);
        return await CellAsync(participant, () => PostAsync(person, "/api/join", new { code = session.Code }));
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>The participant; the invite holder is a guest who redeemed a link to another session (or, for join-by-link cells, the same one).</summary>
    private async Task<Person> PersonAsync(string participant, string? sessionId)
    {
        if (participant == "anonymous")
        {
            var (fresh, freshCookies) = _stack.Client.CreateClient(); // no cookie: a link redeemed earlier made the last one a guest
            return new Person("anonymous", string.Empty, fresh, freshCookies);
        }

        if (participant != "invite holder")
        {
            return _people[participant];
        }

        // A guest signed in by an invite link to this session (or, with none given, to a session of its own).
        string homeSession;
        if (sessionId is null)
        {
            // A session of its own, with joint sessions on whatever the cell's policy (a session keeps the policy it started with).
            var current = Policy.EndpointPolicy(EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId);
            SetPolicy(EndpointPolicy.Default);
            homeSession = (await CloudClient.StartSessionAsync(_people["filler"].Http, _device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId)).Id;
            SetPolicy(current);
        }
        else
        {
            homeSession = sessionId;
        }

        var key = await InviteKeyAsync(homeSession, sessionId is null ? _people["filler"] : Controller);
        var (http, cookies) = _stack.Client.CreateClient();
        var redeemed = await PostAsync(new Person("guest", string.Empty, http, cookies), "/api/invites/redeem", new { key, name = "Guest Gina" });
        Assert.True(redeemed.Ok, redeemed.Body);
        var id = JsonDocument.Parse((await http.GetStringAsync($"/api/sessions/{homeSession}"))).RootElement.GetProperty("participants").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Guest Gina").GetProperty("id").GetString()!;
        if (sessionId is null)
        {
            await SendAsync(_people["filler"], HttpMethod.Delete, $"/api/sessions/{homeSession}", null);
        }

        return new Person("invite holder", id, http, cookies);
    }

    /// <summary>The participant joins from the list and opens the session page's stream (they are present); null when they may not.</summary>
    private async Task<StreamClient?> OpenPageAsync(string participant, Person person, string sessionId)
    {
        if (participant == "anonymous" || !(await PostAsync(person, $"/api/sessions/{sessionId}/join", new { })).Ok)
        {
            return null;
        }

        var stream = await _stack.Client.OpenStreamAsync(person.Cookies, sessionId);
        await stream.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "hello");
        return stream;
    }

    private async Task<string> InviteKeyAsync(string sessionId, Person? by = null)
    {
        var created = await PostAsync(by ?? Controller, $"/api/sessions/{sessionId}/invites", new { });
        Assert.True(created.Ok, created.Body);
        var url = JsonDocument.Parse(created.Body).RootElement.GetProperty("url").GetString()!;
        return url[(url.LastIndexOf('/') + 1)..];
    }

    private async Task AddAsync(string label, string role, bool grant)
    {
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var user = _stack.CreateUser(label, password, role, grantAccess: grant);
        var (http, cookies) = await _stack.LoginAsync(label, password);
        _people[label] = new Person(label, user.Id, http, cookies);
    }

    private void SetPolicy(EndpointPolicy policy) => Policy.SetEndpointPolicy(EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, policy);

    private async Task EndAllAsync()
    {
        var admin = _people["domain admin"];
        foreach (var running in _stack.Cloud.Services.GetRequiredService<SessionService>().Running.ToList())
        {
            await SendAsync(admin, HttpMethod.Delete, $"/api/sessions/{running.Id}", null);
            await Conditions.WaitUntilAsync(() => _stack.Cloud.Services.GetRequiredService<SessionService>().Find(running.Id) is null, Wait, "the session to end");
        }
    }

    private async Task<SessionView> GetViewAsync(Person person, string sessionId) =>
        JsonSerializer.Deserialize<SessionView>(await person.Http.GetStringAsync($"/api/sessions/{sessionId}"), Web)!;

    private static Task<Reply> PostAsync(Person person, string path, object body) => SendAsync(person, HttpMethod.Post, path, body);

    private static async Task<Reply> SendAsync(Person person, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await person.Http.SendAsync(request);
        return new Reply(response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
