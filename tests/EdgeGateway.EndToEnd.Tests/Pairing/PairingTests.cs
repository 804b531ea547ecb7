using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Topics;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGateway.EndToEnd.Tests.Pairing;

/// <summary>
/// Pairing end to end: a factory-fresh appliance (an empty state directory, only the cloud's address and CA) pairs
/// through the API as a field engineer would; restarts without pairing again; revoked, it is disconnected, refused and
/// shows a new code; codes replayed, guessed or expired fail; the broker keeps a paired appliance to its own topics.
/// </summary>
[Trait("Area", "Pairing")]
public sealed class PairingTests(SshServerFixture device) : IClassFixture<SshServerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_fresh_appliance_pairs_with_the_engineers_approval_and_reconnects_after_a_restart_without_pairing_again()
    {
        await using var stack = await PairingStack.StartAsync(device.Server);
        var pending = await stack.WaitForCodeAsync(Timeout);
        Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", pending.UserCode);
        await Conditions.WaitUntilAsync(() => stack.Logs.Entries.Any(e => e.Message.Contains($"Pairing code: {pending.UserCode}", StringComparison.Ordinal)), Timeout, "the code in the log"); // stored first, then shown
        var status = PairStatus(stack);
        Assert.Equal(1, status.Exit);
        Assert.Contains($"Waiting for approval. Pairing code: {pending.UserCode}", status.Text, StringComparison.Ordinal);
        Assert.Contains($"key SHA-256 {pending.KeySha256}", status.Text, StringComparison.Ordinal);

        // The key exists, owner-only, before the code was shown; so does the pending pairing (it holds the device code).
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(stack.StateDirectory, "pairing-key.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(stack.StateDirectory, "pairing.json")));

        using var engineer = await stack.LoginAsync();
        var details = JsonDocument.Parse(await PairingStack.ExpectAsync(await engineer.GetAsync(new Uri($"/api/pairing/requests/{pending.UserCode.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal)}", UriKind.Relative)), HttpStatusCode.OK)).RootElement.GetProperty("request");
        Assert.Equal("Test rig (x64)", details.GetProperty("hardware").GetString());
        Assert.Equal(pending.KeySha256, details.GetProperty("keySha256").GetString());
        Assert.Equal("ECDSA P-256", details.GetProperty("keyType").GetString());
        Assert.False(string.IsNullOrEmpty(details.GetProperty("softwareVersion").GetString()));

        var approved = JsonDocument.Parse(await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode, site: "Line 3"), HttpStatusCode.OK)).RootElement;
        var id = approved.GetProperty("applianceId").GetString()!;
        Assert.Equal(PairingStack.ApplianceName, id);
        await stack.WaitOnlineAsync(id, Timeout);

        // Paired: one identity file, owner-only, whose certificate is the CA's for this id and the key that never left.
        var identity = stack.Identity()!;
        Assert.Equal(id, identity.ApplianceId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(stack.StateDirectory, "identity.json")));
        Assert.False(File.Exists(Path.Combine(stack.StateDirectory, "pairing.json")));
        using (var certificate = identity.LoadCertificate())
        {
            Assert.Equal("CN=" + id, certificate.Subject);
            Assert.Equal(pending.KeySha256, Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo())));
            Assert.Contains(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
        }

        var list = await engineer.GetFromJsonAsync<List<PairedApplianceView>>(new Uri("/api/pairing/appliances", UriKind.Relative), Web);
        var row = Assert.Single(list!, a => a.Id == id);
        Assert.True(row.Online);
        Assert.Equal("Line 3", row.Site);
        Assert.True(row.CertificateNotAfter > DateTimeOffset.UtcNow.AddDays(89));

        status = PairStatus(stack);
        Assert.Equal(0, status.Exit);
        Assert.Contains($"Paired: appliance {id}", status.Text, StringComparison.Ordinal);

        // The code is spent: approving it again and looking it up fail; the device code replayed gets nothing.
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode), HttpStatusCode.NotFound);
        var replay = await PollAsync(stack, pending.DeviceCode);
        Assert.Equal("invalid_grant", replay.GetProperty("error").GetString());

        // Restart: connects with the stored identity, no new pairing request.
        var requests = stack.Logs.Entries.Count(e => e.Message.Contains("Pairing code:", StringComparison.Ordinal));
        await stack.StopApplianceAsync();
        await stack.WaitOnlineAsync(id, Timeout, online: false);
        await stack.StartApplianceAsync();
        await stack.WaitOnlineAsync(id, Timeout);
        Assert.Equal(requests, stack.Logs.Entries.Count(e => e.Message.Contains("Pairing code:", StringComparison.Ordinal)));
        Assert.Contains(stack.Logs.Entries, e => e.Message.Contains($"Identity loaded: appliance {id}", StringComparison.Ordinal));
        Assert.Empty(stack.Logs.Errors());
        Assert.DoesNotContain(stack.Logs.Entries, e => e.Message.Contains(pending.DeviceCode, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_revoked_appliance_is_disconnected_at_once_refused_by_the_broker_and_can_be_re_paired_under_its_id()
    {
        await using var stack = await PairingStack.StartAsync(device.Server);
        using var engineer = await stack.LoginAsync();
        using var admin = await stack.LoginAsync(Roles.DomainAdmin);
        var first = await stack.WaitForCodeAsync(Timeout);
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, first.UserCode), HttpStatusCode.OK);
        await stack.WaitOnlineAsync(PairingStack.ApplianceName, Timeout);
        var oldIdentity = stack.Identity()!;

        // A field engineer may not revoke; an admin may, and the appliance drops at once.
        await PairingStack.ExpectAsync(await engineer.PostAsync(new Uri($"/api/pairing/appliances/{PairingStack.ApplianceName}/revoke", UriKind.Relative), null), HttpStatusCode.Forbidden);
        await PairingStack.ExpectAsync(await admin.PostAsync(new Uri($"/api/pairing/appliances/{PairingStack.ApplianceName}/revoke", UriKind.Relative), null), HttpStatusCode.NoContent);
        await stack.WaitOnlineAsync(PairingStack.ApplianceName, TimeSpan.FromSeconds(5), online: false);

        // The broker refuses it (it tried again), and it went back to pairing with a new code.
        var second = await stack.WaitForCodeAsync(Timeout, not: first.UserCode);
        Assert.Contains(stack.Logs.Entries, e => e.Message.Contains($"Appliance {PairingStack.ApplianceName} refused: its certificate", StringComparison.Ordinal) && e.Message.Contains("Revoked", StringComparison.Ordinal));
        Assert.False(stack.Cloud.Services.GetRequiredService<ApplianceRegistry>().IsOnline(PairingStack.ApplianceName));

        // The old certificate stays refused, whoever presents it.
        using (var old = oldIdentity.LoadCertificate())
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectMqttAsync(stack, old, PairingStack.ApplianceName));
            Assert.Contains("Banned", refused.Message, StringComparison.Ordinal);
        }

        // Re-pair under the same id: only an admin does it; the appliance comes back as itself.
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, second.UserCode, applianceId: PairingStack.ApplianceName), HttpStatusCode.Forbidden);
        var repaired = JsonDocument.Parse(await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(admin, second.UserCode, applianceId: PairingStack.ApplianceName), HttpStatusCode.OK)).RootElement;
        Assert.Equal(PairingStack.ApplianceName, repaired.GetProperty("applianceId").GetString());
        await stack.WaitOnlineAsync(PairingStack.ApplianceName, Timeout);
        var audit = stack.Cloud.Services.GetRequiredService<AuditLog>().Read(new AuditQuery(Limit: 1000)).Select(e => e.Action + "/" + e.Outcome).ToList();
        Assert.Contains("appliance.revoke/allowed", audit);
        Assert.Contains("appliance.revoke/refused", audit);
        Assert.Empty(stack.Logs.Errors());
    }

    [Fact]
    public async Task A_pairing_started_on_one_cloud_node_completes_on_another_and_a_revocation_there_disconnects_it_here()
    {
        await using var stack = await PairingStack.StartAsync(device.Server, cloudOverrides: new Dictionary<string, string?> { ["Cloud:Pairing:RevocationSweep"] = "00:00:01" });
        var (node, nodeClient) = await stack.StartSecondNodeAsync();
        try
        {
            // The appliance asked node A; the engineer approves at node B (one database).
            var pending = await stack.WaitForCodeAsync(Timeout);
            using var engineer = await stack.LoginAsync(node: nodeClient);
            await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode), HttpStatusCode.OK);
            await stack.WaitOnlineAsync(PairingStack.ApplianceName, Timeout); // fetched at A, connected to A's broker

            // Revoked at B, where it is not connected: A's sweep drops it, and it is refused and pairs again.
            using var admin = await stack.LoginAsync(Roles.DomainAdmin, nodeClient);
            await PairingStack.ExpectAsync(await admin.PostAsync(new Uri($"/api/pairing/appliances/{PairingStack.ApplianceName}/revoke", UriKind.Relative), null), HttpStatusCode.NoContent);
            await stack.WaitOnlineAsync(PairingStack.ApplianceName, TimeSpan.FromSeconds(10), online: false);
            await stack.WaitForCodeAsync(Timeout, not: pending.UserCode);
        }
        finally
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Wrong_codes_get_a_clear_error_are_audited_without_the_code_and_guessing_is_rate_limited()
    {
        await using var stack = await PairingStack.StartAsync(startAppliance: false);
        using var engineer = await stack.LoginAsync();
        var response = await engineer.GetAsync(new Uri("/api/pairing/requests/BCDF-GHJK", UriKind.Relative));
        var body = await PairingStack.ExpectAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("No appliance is waiting with this code", body, StringComparison.Ordinal);
        await PairingStack.ExpectAsync(await engineer.GetAsync(new Uri("/api/pairing/requests/not-a-code!", UriKind.Relative)), HttpStatusCode.NotFound);

        for (var i = 2; i < 10; i++)
        {
            await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, $"BCDF-GHJ{"KLMNPQRST"[i - 2]}"), HttpStatusCode.NotFound);
        }

        // The 11th try is refused before any code is looked at, even a right one.
        var (deviceCode, userCode) = await RequestCodesAsync(stack);
        _ = deviceCode;
        body = await PairingStack.ExpectAsync(await engineer.GetAsync(new Uri($"/api/pairing/requests/{userCode}", UriKind.Relative)), HttpStatusCode.TooManyRequests);
        Assert.Contains("Too many wrong pairing codes", body, StringComparison.Ordinal);

        // Someone else from another account (same address here) is limited by address too.
        using var other = await stack.LoginAsync();
        await PairingStack.ExpectAsync(await other.GetAsync(new Uri($"/api/pairing/requests/{userCode}", UriKind.Relative)), HttpStatusCode.TooManyRequests);

        var audit = stack.Cloud.Services.GetRequiredService<AuditLog>().Read(new AuditQuery(Limit: 1000));
        Assert.Equal(10, audit.Count(e => e.Reason == "unknown-code"));
        Assert.DoesNotContain(audit, e => (e.Detail ?? string.Empty).Contains("BCDF", StringComparison.Ordinal) || (e.Detail ?? string.Empty).Contains(userCode, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_code_fails_for_the_engineer_and_the_appliance_and_polling_too_fast_is_slowed_down()
    {
        await using var stack = await PairingStack.StartAsync(startAppliance: false, cloudOverrides: new Dictionary<string, string?> { ["Cloud:Pairing:CodeLifetime"] = "00:00:03" });
        var (deviceCode, userCode) = await RequestCodesAsync(stack);

        var first = await PollAsync(stack, deviceCode);
        Assert.Equal("authorization_pending", first.GetProperty("error").GetString());
        var second = await PollAsync(stack, deviceCode);
        Assert.Equal("slow_down", second.GetProperty("error").GetString());
        Assert.Equal(7, second.GetProperty("interval").GetInt32()); // 2 s + 5 s (RFC 8628 §3.5)

        JsonElement answer = default;
        await Conditions.WaitUntilAsync(() => (answer = PollAsync(stack, deviceCode).GetAwaiter().GetResult()).GetProperty("error").GetString() == "expired_token", TimeSpan.FromSeconds(20), "the code to expire");
        Assert.Contains("expired", answer.GetProperty("error_description").GetString(), StringComparison.Ordinal);

        using var engineer = await stack.LoginAsync();
        await PairingStack.ExpectAsync(await engineer.GetAsync(new Uri($"/api/pairing/requests/{userCode}", UriKind.Relative)), HttpStatusCode.NotFound);
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, userCode), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_bad_request_is_refused_with_its_reason_and_nothing_it_asked_for_is_signed()
    {
        await using var stack = await PairingStack.StartAsync(startAppliance: false);
        using var http = stack.Client.CreateClient().Client;
        var garbage = await http.PostAsync(new Uri("/api/pairing/device_authorization", UriKind.Relative), new FormUrlEncodedContent([new("csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----")]));
        Assert.Contains("not a valid PKCS#10", await PairingStack.ExpectAsync(garbage, HttpStatusCode.BadRequest), StringComparison.Ordinal);

        using var rsa = RSA.Create(2048);
        var rsaRequest = new CertificateRequest("CN=x", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
        var wrongKey = await http.PostAsync(new Uri("/api/pairing/device_authorization", UriKind.Relative), new FormUrlEncodedContent([new("csr", rsaRequest)]));
        Assert.Contains("ECDSA on P-256 or P-384", await PairingStack.ExpectAsync(wrongKey, HttpStatusCode.BadRequest), StringComparison.Ordinal);

        // A request that asks to be a CA for another name gets the CA's profile for the id the engineer chose.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var greedy = new CertificateRequest("CN=edgegateway-cloud", key, HashAlgorithmName.SHA256);
        greedy.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        greedy.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var (deviceCode, userCode) = await RequestCodesAsync(stack, greedy.CreateSigningRequestPem());
        using var engineer = await stack.LoginAsync();
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, userCode, name: "Greedy box"), HttpStatusCode.OK);
        var issued = await PollAsync(stack, deviceCode);
        using var certificate = X509Certificate2.CreateFromPem(issued.GetProperty("certificate_chain").GetString());
        Assert.Equal("CN=greedy-box", certificate.Subject);
        Assert.False(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
    }

    [Fact]
    public async Task A_paired_appliance_presenting_another_appliances_identity_in_topics_is_refused_by_the_broker()
    {
        await using var stack = await PairingStack.StartAsync(device.Server);
        using var engineer = await stack.LoginAsync();
        var pending = await stack.WaitForCodeAsync(Timeout);
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode), HttpStatusCode.OK);
        await stack.WaitOnlineAsync(PairingStack.ApplianceName, Timeout);

        // A second appliance pairs by hand (the test holds its key) and tries to speak for the first.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (deviceCode, userCode) = await RequestCodesAsync(stack, new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequestPem());
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, userCode, name: "Intruder"), HttpStatusCode.OK);
        var issued = await PollAsync(stack, deviceCode);
        using var pem = X509Certificate2.CreateFromPem(issued.GetProperty("certificate_chain").GetString(), key.ExportPkcs8PrivateKeyPem());
        using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        using var intruder = await ConnectMqttAsync(stack, certificate, "intruder");

        var victim = PairingStack.ApplianceName;
        var subscribe = await intruder.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(TopicMap.DownFilter(victim)).Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, subscribe.Items.Single().ResultCode);
        var forged = await intruder.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(TopicMap.UpControl(victim))
            .WithPayload(ControlCodec.Encode(new Hello("evil", [new EndpointInfo("evil", "Evil", "ssh", "10.0.0.1", 22)], [])))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, forged.ReasonCode);
        var renew = await intruder.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(TopicMap.UpControl(victim))
            .WithPayload(ControlCodec.Encode(new RenewCertificate(new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequestPem())))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, renew.ReasonCode);

        // The intruder's certificate under the victim's client id does not even connect.
        var wrongId = await Assert.ThrowsAnyAsync<Exception>(() => ConnectMqttAsync(stack, certificate, victim));
        Assert.Contains("ClientIdentifierNotValid", wrongId.Message, StringComparison.Ordinal);
        Assert.True(stack.Cloud.Services.GetRequiredService<ApplianceRegistry>().IsOnline(victim));
        Assert.DoesNotContain(stack.Cloud.Services.GetRequiredService<ApplianceRegistry>().List().Single(a => a.Id == victim).Endpoints, e => e.Id == "evil");
    }

    [Fact]
    public async Task An_appliance_given_only_the_CAs_fingerprint_pairs_and_one_given_a_wrong_fingerprint_sends_nothing()
    {
        await using var stack = await PairingStack.StartAsync(device.Server, startAppliance: false);
        var fingerprint = Convert.ToHexString(SHA256.HashData(stack.Authority.RawData));
        stack.Configure("Appliance:Cloud:AuthorityPath", string.Empty);
        stack.Configure("Appliance:Cloud:AuthoritySha256", string.Join(':', Enumerable.Range(0, 32).Select(i => fingerprint.Substring(i * 2, 2))));
        await stack.StartApplianceAsync();
        using var engineer = await stack.LoginAsync();
        var pending = await stack.WaitForCodeAsync(Timeout);
        await PairingStack.ExpectAsync(await PairingStack.ApproveAsync(engineer, pending.UserCode), HttpStatusCode.OK);
        await stack.WaitOnlineAsync(PairingStack.ApplianceName, Timeout);

        await using var wrong = await PairingStack.StartAsync(startAppliance: false);
        wrong.Configure("Appliance:Cloud:AuthorityPath", string.Empty);
        wrong.Configure("Appliance:Cloud:AuthoritySha256", new string('a', 64));
        await wrong.StartApplianceAsync();
        await Conditions.WaitUntilAsync(() => wrong.Logs.Entries.Any(e => e.Message.Contains("not the configured Appliance:Cloud:AuthoritySha256", StringComparison.Ordinal)), Timeout, "the fingerprint refusal");
        Assert.Null(new Appliance.Pairing.IdentityStore(wrong.StateDirectory).LoadPending());
        Assert.DoesNotContain(wrong.Cloud.Services.GetRequiredService<AuditLog>().Read(new AuditQuery(Limit: 100)), e => e.Action == "pairing.request");
    }

    /// <summary><c>pair --status</c> against the stack's state directory: its exit code and what it printed.</summary>
    private static (int Exit, string Text) PairStatus(PairingStack stack)
    {
        using var output = new StringWriter();
        var exit = Appliance.Pairing.PairCommand.Run(["--status", $"--Appliance:StateDirectory={stack.StateDirectory}"], output);
        return (exit, output.ToString());
    }

    /// <summary>Asks for codes as an appliance would, with a fresh key unless a request is given.</summary>
    internal static async Task<(string DeviceCode, string UserCode)> RequestCodesAsync(PairingStack stack, string? csr = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = stack.Client.CreateClient().Client;
        var response = await http.PostAsync(new Uri("/api/pairing/device_authorization", UriKind.Relative), new FormUrlEncodedContent(
            [new("csr", csr ?? new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequestPem()), new("hardware", "test"), new("software_version", "1")]));
        var answer = JsonDocument.Parse(await PairingStack.ExpectAsync(response, HttpStatusCode.OK)).RootElement;
        return (answer.GetProperty("device_code").GetString()!, answer.GetProperty("user_code").GetString()!);
    }

    /// <summary>One poll of the token endpoint, as the appliance does it; the JSON answer (error or result).</summary>
    internal static async Task<JsonElement> PollAsync(PairingStack stack, string deviceCode)
    {
        using var http = stack.Client.CreateClient().Client;
        var response = await http.PostAsync(new Uri("/api/pairing/token", UriKind.Relative), new FormUrlEncodedContent([new("grant_type", PairingService.DeviceCodeGrant), new("device_code", deviceCode)]));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static Task<IMqttClient> ConnectMqttAsync(PairingStack stack, X509Certificate2 certificate, string clientId) =>
        MqttTestClient.ConnectAsync(stack.Cloud.Services.GetRequiredService<IOptions<CloudOptions>>().Value.Broker.Port, stack.Authority, certificate, clientId);
}
