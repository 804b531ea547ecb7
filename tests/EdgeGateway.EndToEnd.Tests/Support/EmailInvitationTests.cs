using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Xunit.Abstractions;

namespace EdgeGateway.EndToEnd.Tests.Support;

/// <summary>One real sshd for the e-mail invitation tests; each test starts its own stack with its own mail settings.</summary>
public sealed class EmailInvitationDevice : IAsyncLifetime
{
    public SshServer Device { get; private set; } = null!;

    public async Task InitializeAsync() => Device = await SshServer.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (Device is not null)
        {
            await Device.DisposeAsync();
        }
    }
}

/// <summary>
/// Invitations by e-mail end to end (issue 11): the real OpenSSH server as the device, the whole stack, and a real SMTP
/// server on loopback (<see cref="SmtpSink"/>, aiosmtpd) that requires a sign-in. The technician invites an address,
/// the test reads the code and the link out of the message the server received, joins with the link as a guest, and
/// sees what the lists say; then the mail server's failures, as the technician sees them.
/// </summary>
[Trait("Area", "Support")]
public sealed partial class EmailInvitationTests(EmailInvitationDevice fixture, ITestOutputHelper output) : IClassFixture<EmailInvitationDevice>
{
    private const string MailUser = "edgegateway-mailer";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private SshServer Device => fixture.Device;

    [Fact]
    public async Task Invite_by_email_join_with_the_link_from_the_message_and_the_lists_follow()
    {
        var mailPassword = "mail-" + Guid.NewGuid().ToString("N");
        await using var sink = await SmtpSink.StartAsync(MailUser, mailPassword);
        var clock = new ShiftedClock();
        await using var stack = await EdgeGatewayStack.StartAsync(Device, cloudOverrides: MailSettings(sink.Port, MailUser, mailPassword), cloudTime: clock);
        var (http, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(http, Device);
        await using var controller = await stack.OpenStreamAsync(cookies, session.Id);
        await controller.WaitForOutputAsync("$ ", Wait);

        var config = await http.GetFromJsonAsync<JsonElement>("/api/config");
        Assert.True(config.GetProperty("mailEnabled").GetBoolean());

        var bad = await PostAsync(http, $"/api/sessions/{session.Id}/invites/email", new { email = "Anna <anna@plant.test>, bob@plant.test" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("Enter one e-mail address, such as name@example.com.", bad.Json.GetProperty("error").GetString());

        // Invite by e-mail: 201 once the mail server took it; the server got exactly one message, signed in.
        var sent = await PostAsync(http, $"/api/sessions/{session.Id}/invites/email", new { email = "anna.berger@plant.test" });
        Assert.True(sent.Status == HttpStatusCode.Created, sent.Body);
        var inviteId = sent.Json.GetProperty("invite").GetProperty("id").GetString()!;
        Assert.Equal("anna.berger@plant.test", sent.Json.GetProperty("email").GetString());
        var mail = await ReadMessageAsync(sink, 1);
        Assert.Single(sink.Messages);
        Assert.Equal(["ok PLAIN " + MailUser], sink.AuthAttempts);
        Assert.Equal("anna.berger@plant.test", Assert.Single(mail.Message.To.Mailboxes).Address);
        Assert.Contains(session.EndpointName, mail.Message.Subject, StringComparison.Ordinal);
        Assert.Equal(session.Code, mail.Code);
        Assert.Equal(sent.Json.GetProperty("invite").GetProperty("url").GetString(), mail.Link);
        Assert.Contains("valid for 15 minutes", mail.Message.TextBody, StringComparison.Ordinal);
        Assert.Contains("admin invites you", mail.Message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"href=\"{mail.Link}\"", mail.Message.HtmlBody, StringComparison.Ordinal);
        await SaveAsync(mail.Message, "invitation-email");

        // The dashboard's pending invitations and the session's list show it, with its address.
        var pending = await http.GetFromJsonAsync<JsonElement[]>("/api/invites", Web);
        var mine = Assert.Single(pending!, p => p.GetProperty("id").GetString() == inviteId);
        Assert.Equal("pending", mine.GetProperty("status").GetString());
        Assert.Equal(session.Id, mine.GetProperty("sessionId").GetString());
        Assert.Equal(session.EndpointName, mine.GetProperty("sessionName").GetString());
        Assert.Equal("pending", await InviteStatusAsync(http, session.Id, inviteId));

        // The invitee follows the link as a guest: joined, and the invitation is accepted.
        var (guest, _) = stack.Client.CreateClient();
        var joined = await PostAsync(guest, "/api/invites/redeem", new { key = mail.Key, name = "Anna Berger" });
        Assert.True(joined.Status == HttpStatusCode.OK, joined.Body);
        Assert.Contains(joined.Json.GetProperty("participants").EnumerateArray(), p => p.GetProperty("name").GetString() == "Anna Berger");
        Assert.Equal("accepted", await InviteStatusAsync(http, session.Id, inviteId));
        var invites = await http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{session.Id}/invites", Web);
        var accepted = invites!.Single(i => i.GetProperty("id").GetString() == inviteId);
        Assert.Equal("anna.berger@plant.test", accepted.GetProperty("email").GetString());
        Assert.StartsWith("guest-", accepted.GetProperty("acceptedBy").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await http.GetFromJsonAsync<JsonElement[]>("/api/invites", Web) ?? [], p => p.GetProperty("id").GetString() == inviteId);

        // A revoked invitation is refused at the door.
        var second = await PostAsync(http, $"/api/sessions/{session.Id}/invites/email", new { email = "bob@plant.test" });
        Assert.Equal(HttpStatusCode.Created, second.Status);
        var secondMail = await ReadMessageAsync(sink, 2);
        var secondId = second.Json.GetProperty("invite").GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/sessions/{session.Id}/invites/{secondId}")).StatusCode);
        var revoked = await PostAsync(stack.Client.CreateClient().Client, "/api/invites/redeem", new { key = secondMail.Key, name = "Bob" });
        Assert.Equal(HttpStatusCode.Gone, revoked.Status);
        Assert.Equal("This invite link was revoked. Ask for a new one.", revoked.Json.GetProperty("error").GetString());
        Assert.Equal("revoked", await InviteStatusAsync(http, session.Id, secondId));

        // An invitation nobody used turns expired after its expiry (the cloud's clock moved on 16 minutes).
        var third = await PostAsync(http, $"/api/sessions/{session.Id}/invites/email", new { email = "carla@plant.test" });
        Assert.Equal(HttpStatusCode.Created, third.Status);
        var thirdMail = await ReadMessageAsync(sink, 3);
        var thirdId = third.Json.GetProperty("invite").GetProperty("id").GetString()!;
        Assert.Equal("pending", await InviteStatusAsync(http, session.Id, thirdId));
        clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal("expired", await InviteStatusAsync(http, session.Id, thirdId));
        Assert.Empty(await http.GetFromJsonAsync<JsonElement[]>("/api/invites", Web) ?? []);
        var expired = await PostAsync(stack.Client.CreateClient().Client, "/api/invites/redeem", new { key = thirdMail.Key, name = "Carla" });
        Assert.Equal(HttpStatusCode.Gone, expired.Status);
        Assert.StartsWith("This invite link expired at", expired.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        // The accepted one stays accepted, the revoked one revoked (the order of the statuses).
        Assert.Equal("accepted", await InviteStatusAsync(http, session.Id, inviteId));
        Assert.Equal("revoked", await InviteStatusAsync(http, session.Id, secondId));

        // The audit names the addresses, never a link's key; the log holds neither a key nor the mail password.
        var audit = stack.Cloud.Services.GetRequiredService<AuditLog>().Read(new AuditQuery(SessionId: session.Id));
        var emailed = audit.Where(e => e.Action == "session.invite-email").ToList();
        Assert.Equal(3, emailed.Count(e => e.Outcome == "allowed"));
        Assert.Single(emailed, e => e.Outcome == "refused" && e.Reason == "bad-email");
        Assert.Contains(emailed, e => e.Outcome == "allowed" && e.Detail!.Contains("anna.berger@plant.test", StringComparison.Ordinal));
        var everything = stack.Logs.AllText() + string.Join('\n', audit.Select(e => e.ToString()));
        foreach (var secret in new[] { mail.Key, secondMail.Key, thirdMail.Key, mailPassword })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }

        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task Mail_server_down_gives_the_technician_a_sentence_and_the_session_goes_on()
    {
        var closedPort = FreePort.Get(); // nothing listens there
        await using var stack = await EdgeGatewayStack.StartAsync(Device, cloudOverrides: MailSettings(closedPort));
        var (http, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(http, Device);
        await using var controller = await stack.OpenStreamAsync(cookies, session.Id);
        await controller.WaitForOutputAsync("$ ", Wait);

        var failed = await PostAsync(http, $"/api/sessions/{session.Id}/invites/email", new { email = "anna.berger@plant.test" });
        Assert.Equal(HttpStatusCode.BadGateway, failed.Status);
        Assert.Equal($"The invitation could not be sent: the mail server 127.0.0.1:{closedPort} cannot be reached. Copy the link instead.", failed.Json.GetProperty("error").GetString());
        await AssertLinkRevokedAndAuditedAsync(stack, http, session.Id, "smtp-unreachable");

        // The session is untouched: the device still answers the Controller.
        await controller.SendInputAsync("echo still-$((6*7))\n");
        await controller.WaitForOutputAsync("still-42", Wait);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/sessions/{session.Id}")).StatusCode);
        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task Mail_server_refusing_the_sign_in_gives_the_technician_a_sentence()
    {
        var wrongPassword = "wrong-" + Guid.NewGuid().ToString("N");
        await using var sink = await SmtpSink.StartAsync(MailUser, "the-right-password");
        await using var stack = await EdgeGatewayStack.StartAsync(Device, cloudOverrides: MailSettings(sink.Port, MailUser, wrongPassword));
        var (http, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(http, Device);
        await using var controller = await stack.OpenStreamAsync(cookies, session.Id);
        await controller.WaitForOutputAsync("$ ", Wait);

        var failed = await PostAsync(http, $"/api/sessions/{session.Id}/invites/email", new { email = "anna.berger@plant.test" });
        Assert.Equal(HttpStatusCode.BadGateway, failed.Status);
        Assert.Equal("The invitation could not be sent: the mail server refused the sign-in. Copy the link instead.", failed.Json.GetProperty("error").GetString());
        Assert.Empty(sink.Messages);
        Assert.Contains("refused PLAIN " + MailUser, sink.AuthAttempts);
        await AssertLinkRevokedAndAuditedAsync(stack, http, session.Id, "smtp-auth");

        await controller.SendInputAsync("echo still-$((6*7))\n");
        await controller.WaitForOutputAsync("still-42", Wait);
        Assert.DoesNotContain(wrongPassword, stack.Logs.AllText(), StringComparison.Ordinal);
        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task Without_a_mail_server_the_cloud_says_so_and_offers_the_link()
    {
        await using var stack = await EdgeGatewayStack.StartAsync(Device);
        var (http, _) = await stack.LoginAsync("admin", stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(http, Device);

        Assert.False((await http.GetFromJsonAsync<JsonElement>("/api/config")).GetProperty("mailEnabled").GetBoolean());
        var off = await PostAsync(http, $"/api/sessions/{session.Id}/invites/email", new { email = "anna.berger@plant.test" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, off.Status);
        Assert.Equal("E-mail is not set up on this cloud; copy the link instead.", off.Json.GetProperty("error").GetString());
        Assert.Empty(await http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{session.Id}/invites", Web) ?? []);
        var copied = await PostAsync(http, $"/api/sessions/{session.Id}/invites", new { });
        Assert.Equal(HttpStatusCode.Created, copied.Status); // the copy-link way still works
    }

    private static Dictionary<string, string?> MailSettings(int port, string? user = null, string? password = null) => new()
    {
        ["Cloud:Smtp:Host"] = "127.0.0.1",
        ["Cloud:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Cloud:Smtp:From"] = "Remote Support <remote-support@edgegateway.test>",
        ["Cloud:Smtp:Timeout"] = "00:00:10",
        ["Cloud:Smtp:UserName"] = user,
        ["Cloud:Smtp:Password"] = password,
    };

    /// <summary>After a failed send: the link made for it is listed as revoked with its address, and the failure is audited with the address and the reason.</summary>
    private static async Task AssertLinkRevokedAndAuditedAsync(EdgeGatewayStack stack, HttpClient http, string sessionId, string reason)
    {
        var invite = Assert.Single(await http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{sessionId}/invites", Web) ?? []);
        Assert.Equal("revoked", invite.GetProperty("status").GetString());
        Assert.Equal("anna.berger@plant.test", invite.GetProperty("email").GetString());
        Assert.Empty(await http.GetFromJsonAsync<JsonElement[]>("/api/invites", Web) ?? []);
        var failure = Assert.Single(stack.Cloud.Services.GetRequiredService<AuditLog>().Read(new AuditQuery(SessionId: sessionId)), e => e.Action == "session.invite-email");
        Assert.Equal("failed", failure.Outcome);
        Assert.Equal(reason, failure.Reason);
        Assert.Contains("anna.berger@plant.test", failure.Detail, StringComparison.Ordinal);
    }

    private sealed record ReceivedInvitation(MimeMessage Message, string Code, string Link, string Key);

    /// <summary>Waits for the <paramref name="number"/>th message at the sink and reads the code and the link out of its text part.</summary>
    private static async Task<ReceivedInvitation> ReadMessageAsync(SmtpSink sink, int number)
    {
        var files = await sink.WaitForMessagesAsync(number, Wait);
        var message = await MimeMessage.LoadAsync(files[number - 1]);
        var text = message.TextBody ?? string.Empty;
        var code = CodeLine().Match(text);
        var link = LinkLine().Match(text);
        Assert.True(code.Success && link.Success, "no code or link in:\n" + text);
        return new ReceivedInvitation(message, code.Groups[1].Value, link.Groups[1].Value, link.Groups[2].Value);
    }

    private async Task SaveAsync(MimeMessage message, string name)
    {
        var html = TestOutput.GetPath(name + ".html");
        await File.WriteAllTextAsync(html, message.HtmlBody);
        await File.WriteAllTextAsync(TestOutput.GetPath(name + ".txt"), message.TextBody);
        await message.WriteToAsync(TestOutput.GetPath(name + ".eml"));
        output.WriteLine($"Subject: {message.Subject}\n\n{message.TextBody}\nHTML part: {html}");
    }

    private static async Task<string> InviteStatusAsync(HttpClient http, string sessionId, string inviteId) =>
        (await http.GetFromJsonAsync<JsonElement[]>($"/api/sessions/{sessionId}/invites", Web))!
            .Single(i => i.GetProperty("id").GetString() == inviteId).GetProperty("status").GetString()!;

    private sealed record Reply(HttpStatusCode Status, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    private static async Task<Reply> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        return new Reply(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex(@"^Code:\s+(\d{3}-\d{3}-\d{4})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeLine();

    [GeneratedRegex(@"^Link:\s+(https://\S+/#/invite/([A-Za-z0-9_-]+))\s*$", RegexOptions.Multiline)]
    private static partial Regex LinkLine();
}
