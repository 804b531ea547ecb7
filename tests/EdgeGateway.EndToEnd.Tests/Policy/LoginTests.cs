using System.Net;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;
using OtpNet;

namespace EdgeGateway.EndToEnd.Tests.Policy;

/// <summary>Sign-in over HTTP against the real stack: audit of every attempt, disabled accounts, the per-name lock and TOTP.</summary>
[Collection(PolicyCollection.Name)]
[Trait("Area", "JointSession")]
public sealed class LoginTests(PolicyStackFixture fixture)
{
    [Fact]
    public async Task Sign_in_sign_in_failures_and_sign_out_are_audited_with_the_name_tried_never_the_password()
    {
        var person = await fixture.PersonAsync(Roles.Technician);
        var before = fixture.LastAuditSeq;
        var client = fixture.Anonymous();

        var wrong = await client.PostJsonAsync("/api/auth/login", new { username = person.Name, password = "not-the-password-123" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal("Wrong user name or password.", wrong.Error);
        var unknown = await client.PostJsonAsync("/api/auth/login", new { username = "nobody-" + person.Name, password = "not-the-password-456" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
        Assert.Equal("Wrong user name or password.", unknown.Error);
        var right = await client.PostJsonAsync("/api/auth/login", new { username = person.Name, password = person.Password });
        Assert.Equal(HttpStatusCode.OK, right.Status);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync("/api/auth/logout")).Status);

        var events = fixture.AuditSince(before);
        var failed = events.Where(e => e.Action == "auth.login-failed").ToList();
        Assert.Equal(2, failed.Count);
        Assert.Equal(("failed", "wrong-password", person.Id, $"user name tried: {person.Name}"), (failed[0].Outcome, failed[0].Reason, failed[0].ActorId, failed[0].Detail));
        Assert.Equal((null, $"user name tried: nobody-{person.Name}"), (failed[1].ActorId, failed[1].Detail));
        Assert.Equal("127.0.0.1", failed[1].Source);
        Assert.Contains(events, e => e is { Action: "auth.login", Outcome: "allowed" } && e.ActorId == person.Id);
        Assert.Contains(events, e => e is { Action: "auth.logout", Outcome: "allowed" } && e.ActorId == person.Id);
        Assert.DoesNotContain(events, e => $"{e}".Contains("not-the-password", StringComparison.Ordinal) || $"{e}".Contains(person.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_disabled_account_is_refused_with_a_clear_message_and_its_open_sign_in_stops_working()
    {
        var admin = await fixture.PersonAsync(Roles.DomainAdmin);
        var person = await fixture.PersonAsync(Roles.Technician);
        Assert.Equal(HttpStatusCode.OK, (await person.Client.GetJsonAsync("/api/me")).Status);

        Assert.Equal(HttpStatusCode.OK, (await admin.Client.PatchJsonAsync($"/api/admin/users/{person.Id}", new { disabled = true })).Status);

        Assert.Equal(HttpStatusCode.Unauthorized, (await person.Client.GetJsonAsync("/api/me")).Status);
        var refused = await fixture.Anonymous().PostJsonAsync("/api/auth/login", new { username = person.Name, password = person.Password });
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("This account is disabled.", refused.Error);
        Assert.Contains(fixture.AuditSince(0), e => e is { Action: "auth.login-failed", Outcome: "refused", Reason: "disabled" } && e.ActorId == person.Id);

        Assert.Equal(HttpStatusCode.OK, (await admin.Client.PatchJsonAsync($"/api/admin/users/{person.Id}", new { disabled = false })).Status);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Anonymous().PostJsonAsync("/api/auth/login", new { username = person.Name, password = person.Password })).Status);
    }

    [Fact]
    public async Task Ten_wrong_passwords_lock_the_name_even_for_the_right_password_and_other_names_are_unaffected()
    {
        var person = await fixture.PersonAsync(Roles.Technician);
        var other = await fixture.PersonAsync(Roles.Technician);
        var client = fixture.Anonymous();
        for (var i = 1; i < LoginLockout.MaxFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync("/api/auth/login", new { username = person.Name, password = $"guess-{i}" })).Status);
        }

        var tenth = await client.PostJsonAsync("/api/auth/login", new { username = person.Name, password = "guess-10" });
        Assert.Equal(HttpStatusCode.TooManyRequests, tenth.Status);
        Assert.Equal("Too many failed sign-ins for this user name. Try again in 15 minutes.", tenth.Error);

        var right = await client.PostJsonAsync("/api/auth/login", new { username = person.Name, password = person.Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, right.Status);
        Assert.StartsWith("Too many failed sign-ins for this user name.", right.Error, StringComparison.Ordinal);
        Assert.Contains(fixture.AuditSince(0), e => e is { Action: "auth.login-failed", Outcome: "refused", Reason: "locked" } && e.Detail == $"user name tried: {person.Name}");

        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/api/auth/login", new { username = other.Name, password = other.Password })).Status);
    }

    [Fact]
    public async Task An_admin_of_a_domain_that_requires_TOTP_enrols_by_QR_code_then_signs_in_with_codes_used_once()
    {
        // A domain of its own, so that other tests' administrators need no code.
        var installation = await fixture.PersonAsync(Roles.DomainAdmin);
        var created = await installation.Client.PostJsonAsync("/api/admin/domains", new { name = "totp-" + Guid.NewGuid().ToString("N")[..8], adminName = "ta-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var domainId = created.Body.GetProperty("domain").Str("id");
        var adminName = created.Body.GetProperty("admin").Str("name");
        var password = created.Body.Str("password");
        var (admin, _) = await fixture.Stack.LoginAsync(adminName, password);
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchJsonAsync($"/api/admin/domains/{domainId}", new { adminTotpRequired = true })).Status);

        // The right password without an authenticator: an enrolment, not a sign-in.
        var client = fixture.Anonymous();
        var enrol = await client.PostJsonAsync("/api/auth/login", new { username = adminName, password });
        Assert.Equal(HttpStatusCode.Unauthorized, enrol.Status);
        Assert.True(enrol.Body.GetProperty("totpEnrolmentRequired").GetBoolean());
        var enrolment = enrol.Body.GetProperty("enrolment");
        var secret = enrolment.Str("secret");
        Assert.StartsWith($"otpauth://totp/EdgeGateway:{adminName}?secret={secret}", enrolment.Str("uri"), StringComparison.Ordinal);
        Assert.StartsWith("data:image/png;base64,", enrolment.Str("qrCode"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetJsonAsync("/api/me")).Status);

        var totp = new Totp(Base32Encoding.ToBytes(secret));
        var wrongCode = ((int.Parse(totp.ComputeTotp(), System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync("/api/auth/totp/enrol", new { enrolment = enrolment.Str("token"), code = wrongCode })).Status);
        var code = totp.ComputeTotp();
        var confirmed = await client.PostJsonAsync("/api/auth/totp/enrol", new { enrolment = enrolment.Str("token"), code });
        Assert.Equal(HttpStatusCode.OK, confirmed.Status);
        Assert.True(confirmed.Body.GetProperty("totpEnrolled").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await client.GetJsonAsync("/api/me")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await client.PostJsonAsync("/api/auth/totp/enrol", new { enrolment = enrolment.Str("token"), code })).Status);

        // Enrolled: the password alone asks for a code; the enrolment's code is used up; the next step's is accepted.
        var second = fixture.Anonymous();
        var ask = await second.PostJsonAsync("/api/auth/login", new { username = adminName, password });
        Assert.Equal(HttpStatusCode.Unauthorized, ask.Status);
        Assert.True(ask.Body.GetProperty("totpRequired").GetBoolean());
        var reused = await second.PostJsonAsync("/api/auth/login", new { username = adminName, password, totp = code });
        Assert.Equal(HttpStatusCode.Unauthorized, reused.Status);
        Assert.Equal("That code was used already. Wait for the next one.", reused.Error);
        var next = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await second.PostJsonAsync("/api/auth/login", new { username = adminName, password, totp = next })).Status);

        // The secret is nowhere but the store and the enrolment its owner saw.
        Assert.DoesNotContain(fixture.Stack.Logs.Entries, e => e.ToString().Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.AuditSince(0), e => $"{e}".Contains(secret, StringComparison.Ordinal) || $"{e}".Contains(password, StringComparison.Ordinal));
        Assert.Contains(fixture.AuditSince(0), e => e is { Action: "auth.totp-enrol", Outcome: "allowed" } && e.ActorName == adminName);
        Assert.Contains(fixture.AuditSince(0), e => e is { Action: "auth.login-failed", Reason: "totp-reused" } && e.ActorName == adminName);

        // Lost phone: another administrator of the domain removes the authenticator; the next sign-in enrols again.
        var adminId = confirmed.Body.Str("id");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteJsonAsync($"/api/admin/users/{adminId}/totp")).Status);
        Assert.True((await fixture.Anonymous().PostJsonAsync("/api/auth/login", new { username = adminName, password })).Body.GetProperty("totpEnrolmentRequired").GetBoolean());
    }
}
