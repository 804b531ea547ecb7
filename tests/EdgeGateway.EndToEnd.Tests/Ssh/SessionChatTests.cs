using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// Chat, notes and the session's history detail through the real stack and a real sshd: the Controller, a viewer and an
/// invited guest chat and every page shows the messages in the same order; a late joiner's page gets the history right
/// after hello; a viewer's note is refused with a sentence, the Controller's is kept; after the end the history detail
/// shows participants, chat, notes and audit events to the Controller (not to someone who took no part); bad text gets
/// 400 with a sentence. The device password appears in no page byte, history answer or log line.
/// </summary>
[Trait("Area", "Support")]
[Collection(SshCollection.Name)]
public sealed class SessionChatTests(SshStackFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task Everyone_chats_in_order_a_late_joiner_gets_the_history_notes_are_the_Controllers_and_the_history_shows_it_all()
    {
        var name = "ctl-" + Guid.NewGuid().ToString("N")[..8];
        Stack.CreateUser(name, "pw-" + name, Roles.Technician);
        var (controllerHttp, controllerCookies) = await Stack.LoginAsync(name, "pw-" + name);
        var (viewerHttp, viewerCookies) = await Stack.LoginNewViewerAsync();
        var (lateHttp, lateCookies) = await Stack.LoginNewViewerAsync();
        var (outsiderHttp, _) = await Stack.LoginNewViewerAsync();
        var (adminHttp, _) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(controllerHttp, fixture.Device);

        // The guest comes in by an invite link, with a name and no account.
        var invite = await controllerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/invites", new { });
        var url = (await invite.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        var (guestHttp, guestCookies) = Stack.CreateClient();
        var redeemed = await guestHttp.PostAsJsonAsync("/api/invites/redeem", new { key = url[(url.LastIndexOf('/') + 1)..], name = "Gina Guest" });
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);

        await using var controller = await Stack.OpenStreamAsync(controllerCookies, session.Id);
        await using var viewer = await Stack.OpenStreamAsync(viewerCookies, session.Id);
        await using var guest = await Stack.OpenStreamAsync(guestCookies, session.Id);
        var pages = new[] { controller, viewer, guest };
        foreach (var page in pages)
        {
            await page.WaitUntilAsync(c => c.EventsOfType("chat-history").Count > 0, Wait, "chat-history after hello");
            Assert.Equal("hello", page.Events[0].GetProperty("type").GetString());
            Assert.Equal(0, page.EventsOfType("chat-history")[0].GetProperty("messages").GetArrayLength());
        }

        // Four messages from three people, each answered 201 with the stored message.
        var said = new List<(HttpClient Http, string Text)>
        {
            (controllerHttp, "Hello, I am on the HMI now. Can you see the alarm list?"),
            (viewerHttp, "Yes: alarm 17, sensor B3."),
            (guestHttp, "I am at the machine — the cable at B3 looks loose.\nShall I reseat it?"),
            (controllerHttp, "Please do; I will watch the input."),
        };
        var sent = new List<ChatMessage>();
        foreach (var (http, text) in said)
        {
            var response = await http.PostAsJsonAsync($"/api/sessions/{session.Id}/chat", new { text });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            sent.Add((await response.Content.ReadFromJsonAsync<ChatMessage>(Web))!);
        }

        Assert.Equal(said.Select(s => s.Text), sent.Select(m => m.Text));
        Assert.Equal([name, sent[1].Name, "Gina Guest", name], sent.Select(m => m.Name));
        foreach (var page in pages)
        {
            await page.WaitUntilAsync(c => c.EventsOfType("chat").Count >= said.Count, Wait, "every chat message on every page");
            Assert.Equal(sent.Select(m => (m.Id, m.Name, m.Text)), page.EventsOfType("chat").Select(e => Message(e.GetProperty("message"))));
        }

        // A late joiner's page gets the whole conversation right after hello, and the API lists the same.
        await using var late = await Stack.OpenStreamAsync(lateCookies, session.Id);
        await late.WaitUntilAsync(c => c.EventsOfType("chat-history").Count > 0, Wait, "the late joiner's chat-history");
        Assert.Equal(["hello", "chat-history"], late.Events.Take(2).Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(sent.Select(m => (m.Id, m.Name, m.Text)), late.EventsOfType("chat-history")[0].GetProperty("messages").EnumerateArray().Select(Message));
        Assert.Equal(sent, await lateHttp.GetFromJsonAsync<List<ChatMessage>>($"/api/sessions/{session.Id}/chat", Web));
        Assert.Empty(late.EventsOfType("chat")); // nothing twice

        // Notes: a viewer is refused with a sentence; the Controller's note is kept and shown on every page.
        var refused = await viewerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/notes", new { text = "I think it is the cable." });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Only the Controller and co-controllers write session notes; you can use the chat.", await Error(refused));
        var guestNote = await guestHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/notes", new { text = "guest note" });
        Assert.Equal(HttpStatusCode.Forbidden, guestNote.StatusCode);
        const string noteText = "Found: alarm 17, connector B3 loose.\nDone: reseated it, alarm cleared at the HMI.";
        var written = await controllerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/notes", new { text = noteText });
        Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        var note = (await written.Content.ReadFromJsonAsync<SessionNote>(Web))!;
        Assert.Equal((noteText, name), (note.Text, note.Name));
        foreach (var page in pages.Append(late))
        {
            await page.WaitUntilAsync(c => c.EventsOfType("note").Count > 0, Wait, "the note on every page");
            Assert.Equal(note.Id, Assert.Single(page.EventsOfType("note")).GetProperty("note").GetProperty("id").GetInt64());
        }

        Assert.Equal([note], await viewerHttp.GetFromJsonAsync<List<SessionNote>>($"/api/sessions/{session.Id}/notes", Web));
        Assert.Equal(HttpStatusCode.Forbidden, (await outsiderHttp.GetAsync($"/api/sessions/{session.Id}/chat")).StatusCode);

        // The end; then the session's history detail, as the Controller sees it.
        Assert.Equal(HttpStatusCode.NoContent, (await controllerHttp.DeleteAsync($"/api/sessions/{session.Id}")).StatusCode);
        foreach (var page in pages.Append(late))
        {
            await page.WaitUntilAsync(c => c.Closed, Wait, "the page's stream to close at the end");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await controllerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/chat", new { text = "after the end" })).StatusCode);
        JsonElement detail = default;
        await Conditions.WaitUntilAsync(
            () => (detail = Detail(controllerHttp, session.Id).GetAwaiter().GetResult()).GetProperty("session").GetProperty("status").GetString() == "ended",
            Wait,
            "the history to show the session ended");
        var participants = detail.GetProperty("session").GetProperty("participants").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains(name, participants);
        Assert.Contains("Gina Guest", participants);
        Assert.Contains(sent[1].Name, participants);
        Assert.Equal(4, participants.Count); // the Controller, the viewer, the guest and the late joiner: one stay each
        Assert.Equal(sent.Select(m => (m.Id, m.Name, m.Text)), detail.GetProperty("chat").EnumerateArray().Select(Message));
        Assert.Equal(noteText, Assert.Single(detail.GetProperty("notes").EnumerateArray()).GetProperty("text").GetString());
        var audit = detail.GetProperty("audit").EnumerateArray().ToList();
        var actions = audit.Select(e => (Action: e.GetProperty("action").GetString(), Outcome: e.GetProperty("outcome").GetString())).ToList();
        Assert.Equal(4, actions.Count(a => a == ("session.chat", "allowed")));
        Assert.Equal(2, actions.Count(a => a == ("session.note", "refused")));
        Assert.Contains(("session.note", "allowed"), actions);
        Assert.Contains(("session.start", "allowed"), actions);
        Assert.Contains(("session.join-link", "allowed"), actions);
        Assert.Contains(("session.end", "allowed"), actions);
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "session.chat" && e.GetProperty("detail").GetString() == said[2].Text);
        Assert.All(audit, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("source").ValueKind)); // addresses are the admins'
        Assert.Equal(audit.Select(e => e.GetProperty("seq").GetInt64()).Order(), audit.Select(e => e.GetProperty("seq").GetInt64()));

        // An admin of the domain sees it with addresses; someone who took no part does not see it at all.
        var asAdmin = await Detail(adminHttp, session.Id);
        Assert.Contains(asAdmin.GetProperty("audit").EnumerateArray(), e => e.GetProperty("action").GetString() == "session.chat" && e.GetProperty("source").GetString() == "127.0.0.1");
        var hidden = await outsiderHttp.GetAsync($"/api/history/sessions/{session.Id}");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal("There is no such session in your history.", await Error(hidden));

        // Secrets: the device password is in no page byte, history answer or log line.
        var password = Encoding.UTF8.GetBytes(fixture.Device.Password);
        foreach (var message in pages.Append(late).SelectMany(p => p.RawMessages))
        {
            Assert.True(message.AsSpan().IndexOf(password) < 0, "the device password reached a page");
        }

        Assert.DoesNotContain(fixture.Device.Password, detail.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Device.Password, asAdmin.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Device.Password, Stack.Logs.AllText(), StringComparison.Ordinal);
        Assert.Empty(Stack.Logs.Errors());
    }

    [Fact]
    public async Task Empty_oversize_and_control_character_text_is_refused_with_a_sentence_and_nothing_is_kept()
    {
        var (controllerHttp, controllerCookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(controllerHttp, fixture.Device);
        await using var page = await Stack.OpenStreamAsync(controllerCookies, session.Id);
        await page.WaitUntilAsync(c => c.EventsOfType("chat-history").Count > 0, Wait, "chat-history");

        var cases = new (string Path, object? Body, string Expected)[]
        {
            ("chat", new { text = "  \n " }, "Write the chat message first: it is empty."),
            ("chat", new { }, "Write the chat message first: it is empty."),
            ("chat", new { text = new string('x', SessionConversation.MaxChatLength + 1) }, "A chat message is at most 2000 characters; this one has 2001."),
            ("chat", new { text = "clear the screen \u001b[2J" }, "A chat message may hold line breaks, but no other control characters."),
            ("notes", new { text = "" }, "Write the note first: it is empty."),
            ("notes", new { text = new string('n', SessionConversation.MaxNoteLength + 1) }, "A note is at most 8000 characters; this one has 8001."),
        };
        foreach (var (path, body, expected) in cases)
        {
            var response = await controllerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/{path}", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(expected, await Error(response));
        }

        // A body far over any note is not read into memory: refused from its Content-Length, before the handler. (With
        // "Expect: 100-continue" the body is not sent at all, so the refusal cannot race the upload and reset it.)
        using var huge = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{session.Id}/chat")
        {
            Content = new StringContent($"{{\"text\":\"{new string('h', 200 * 1024)}\"}}", Encoding.UTF8, "application/json"),
        };
        huge.Headers.ExpectContinue = true;
        var tooLarge = await controllerHttp.SendAsync(huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        // The limits themselves pass, and only they were kept.
        var longest = await controllerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/chat", new { text = new string('y', SessionConversation.MaxChatLength) });
        Assert.Equal(HttpStatusCode.Created, longest.StatusCode);
        Assert.Single((await controllerHttp.GetFromJsonAsync<List<ChatMessage>>($"/api/sessions/{session.Id}/chat", Web))!);
        Assert.Empty((await controllerHttp.GetFromJsonAsync<List<SessionNote>>($"/api/sessions/{session.Id}/notes", Web))!);
        await page.WaitUntilAsync(c => c.EventsOfType("chat").Count == 1, Wait, "the one accepted message");
        Assert.Equal(HttpStatusCode.NoContent, (await controllerHttp.DeleteAsync($"/api/sessions/{session.Id}")).StatusCode);

        // The API document names the endpoints and their records.
        var openApi = JsonDocument.Parse(await controllerHttp.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = openApi.GetProperty("paths");
        foreach (var path in new[] { "/api/sessions/{id}/chat", "/api/sessions/{id}/notes", "/api/history/sessions/{id}" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"the OpenAPI document lacks {path}");
        }

        var schemas = openApi.GetProperty("components").GetProperty("schemas");
        Assert.All(new[] { "ChatMessage", "SessionNote", "HistorySessionDetail", "ConversationRequest" }, name => Assert.True(schemas.TryGetProperty(name, out _), $"the OpenAPI document lacks {name}"));
    }

    [Fact]
    public async Task Someone_sending_faster_than_the_rate_is_told_to_wait_and_the_others_still_chat()
    {
        var (controllerHttp, controllerCookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var (viewerHttp, viewerCookies) = await Stack.LoginNewViewerAsync();
        var session = await EdgeGatewayStack.StartSessionAsync(controllerHttp, fixture.Device);
        await using var page = await Stack.OpenStreamAsync(controllerCookies, session.Id);
        await using var viewer = await Stack.OpenStreamAsync(viewerCookies, session.Id);
        await viewer.WaitUntilAsync(c => c.EventsOfType("chat-history").Count > 0, Wait, "chat-history");

        for (var i = 1; i <= SessionConversation.MaxPerWindow; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await viewerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/chat", new { text = $"flood {i}" })).StatusCode);
        }

        var tooFast = await viewerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/chat", new { text = "one more" });
        Assert.Equal(HttpStatusCode.TooManyRequests, tooFast.StatusCode);
        Assert.Equal("You are sending messages too fast (at most 20 in 10 seconds): wait a moment and send it again.", await Error(tooFast));
        Assert.Equal(HttpStatusCode.Created, (await controllerHttp.PostAsJsonAsync($"/api/sessions/{session.Id}/chat", new { text = "I can still talk." })).StatusCode);
        await page.WaitUntilAsync(c => c.EventsOfType("chat").Count == SessionConversation.MaxPerWindow + 1, Wait, "every accepted message");
        Assert.Equal("I can still talk.", page.EventsOfType("chat")[^1].GetProperty("message").GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await controllerHttp.DeleteAsync($"/api/sessions/{session.Id}")).StatusCode);
    }

    private static (long Id, string Name, string Text) Message(JsonElement m) =>
        (m.GetProperty("id").GetInt64(), m.GetProperty("name").GetString()!, m.GetProperty("text").GetString()!);

    private static async Task<JsonElement> Detail(HttpClient client, string sessionId)
    {
        var response = await client.GetAsync($"/api/history/sessions/{sessionId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<string?> Error(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
}
