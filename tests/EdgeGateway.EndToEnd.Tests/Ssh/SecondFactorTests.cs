using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// Issue 8 §2: a device that asks for a second factor after the password (real sshd, PAM with pam_unix and pam_oath,
/// keyboard-interactive). The question goes to the Controller's start request — never to a viewer — and the answer to
/// the device; a wrong code is refused with the device's refusal; the code is in no log and no viewer's bytes.
/// </summary>
[Trait("Area", "SshField")]
public sealed class SecondFactorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task The_Controller_gets_the_devices_second_prompt_a_right_code_opens_the_session_and_a_wrong_one_is_refused()
    {
        var secret = RandomNumberGenerator.GetBytes(20);
        await using var device = await SshServer.StartAsync(OneTimeCodes.DeviceOptions(secret));
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        var (client, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);

        // A wrong code: the device refuses, and the Controller is told after which question.
        var first = await StartAsync(client, device);
        var wrong = OneTimeCodes.WrongCode(secret, DateTimeOffset.UtcNow);
        var refused = await client.PostAsJsonAsync($"/api/sessions/{first.SessionId}/auth-response", new { answers = new[] { wrong } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var refusal = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Equal($"The device refused the login after the answer to \"{OneTimeCodes.PromptStart} `{device.UserName}'\".", refusal);

        // Another user cannot answer someone else's login; the right code opens the session.
        var second = await StartAsync(client, device);
        var (other, _) = await stack.LoginNewViewerAsync();
        var code = OneTimeCodes.Code(secret, DateTimeOffset.UtcNow);
        var stranger = await other.PostAsJsonAsync($"/api/sessions/{second.SessionId}/auth-response", new { answers = new[] { code } });
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        var accepted = await client.PostAsJsonAsync($"/api/sessions/{second.SessionId}/auth-response", new { answers = new[] { code } });
        Assert.True(accepted.StatusCode == HttpStatusCode.Created, $"{(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        var session = (await accepted.Content.ReadFromJsonAsync<SessionView>(Web))!;

        var controller = await stack.OpenStreamAsync(cookies, session.Id);
        var (_, viewerCookies) = await stack.LoginNewViewerAsync();
        var viewer = await stack.OpenStreamAsync(viewerCookies, session.Id);
        await controller.SendInputAsync("echo two-factor-$((6*7))\r");
        await viewer.WaitForOutputAsync("two-factor-42", Wait);

        // Neither the question nor the answers reach a viewer; no answer, code or password is in any log line.
        var seen = string.Join('\n', viewer.RawMessages.Select(Encoding.UTF8.GetString));
        Assert.DoesNotContain(OneTimeCodes.PromptStart, seen, StringComparison.Ordinal);
        Assert.DoesNotContain(code, seen, StringComparison.Ordinal);
        var logs = stack.Logs.AllText();
        foreach (var secretText in new[] { code, wrong, device.Password })
        {
            Assert.DoesNotContain(secretText, logs, StringComparison.Ordinal);
        }

        Assert.Contains(stack.Logs.Entries, e => e.Message.Contains("answered the device's question", StringComparison.Ordinal));
        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task A_question_nobody_answers_ends_the_login_with_the_reason_and_a_cancel_ends_it_at_once()
    {
        var secret = RandomNumberGenerator.GetBytes(20);
        await using var device = await SshServer.StartAsync(OneTimeCodes.DeviceOptions(secret));
        await using var stack = await EdgeGatewayStack.StartAsync(device, new Dictionary<string, string?> { ["Appliance:Login:PromptTimeout"] = "00:00:05" });
        var (client, _) = await stack.LoginAsync("admin", stack.AdminPassword);

        var cancelled = await StartAsync(client, device);
        var cancel = await client.PostAsJsonAsync($"/api/sessions/{cancelled.SessionId}/auth-response", new { cancel = true });
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);

        var unanswered = await StartAsync(client, device);
        await Conditions.WaitUntilAsync(() => stack.Logs.Entries.Any(e => e.Message.Contains("within 5 s", StringComparison.Ordinal) && e.Message.Contains(unanswered.SessionId, StringComparison.Ordinal)), Wait, "the login to end unanswered");
        var late = await client.PostAsJsonAsync($"/api/sessions/{unanswered.SessionId}/auth-response", new { answers = new[] { "123456" } });
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        Assert.Empty(stack.Logs.Errors());
    }

    /// <summary>Starts a login with the right password; asserts that the device's second question comes back (202).</summary>
    private static async Task<LoginPrompt> StartAsync(HttpClient client, SshServer device)
    {
        var response = await CloudClient.PostStartAsync(client, device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, 80, 24);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {text}");
        var prompt = JsonSerializer.Deserialize<JsonElement>(text).GetProperty("prompt").Deserialize<LoginPrompt>(Web)!;
        var field = Assert.Single(prompt.Prompts);
        Assert.StartsWith(OneTimeCodes.PromptStart, field.Text, StringComparison.Ordinal);
        Assert.False(field.Echo);
        return prompt;
    }
}
