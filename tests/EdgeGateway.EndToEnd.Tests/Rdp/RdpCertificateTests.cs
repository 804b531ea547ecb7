using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Rdp;

/// <summary>
/// Trust on first use for an RDP device, through cloud and appliance against two real shadow servers with different
/// certificates behind one address: the first certificate is pinned in the endpoint's policy; a device that presents
/// another is refused before any password reaches it, with the sentence in the start's answer and an audit event; once
/// a domain admin accepts the new certificate, the next start goes through.
/// </summary>
[Trait("Area", "Rdp")]
public sealed class RdpCertificateTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task A_changed_certificate_is_refused_and_audited_until_an_admin_accepts_it()
    {
        await using var first = await RdpServer.StartAsync(640, 480);
        await using var second = await RdpServer.StartAsync(640, 480);
        Assert.NotEqual(first.CertificateFingerprint, second.CertificateFingerprint);
        await using var address = new TcpForwarder(first.Port);
        await using var stack = await EdgeGatewayStack.StartForEndpointAsync("rdp", "127.0.0.1", address.Port);
        var (admin, _) = await stack.LoginAsync("admin", stack.AdminPassword);

        // First use: the session starts and the endpoint's policy now holds the first server's certificate.
        var started = await StartAsync(admin, first);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        await EndAsync(admin, started);
        var pinned = await CertificateAsync(admin);
        Assert.Equal(first.CertificateFingerprint, pinned.GetProperty("fingerprint").GetString());
        Assert.Equal(JsonValueKind.Null, pinned.GetProperty("presented").ValueKind);

        // Another device behind the same address: refused with a sentence that names the change, audited with both.
        address.TargetPort = second.Port;
        var refused = await StartAsync(admin, second);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("certificate", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        var waiting = await CertificateAsync(admin);
        Assert.Equal(first.CertificateFingerprint, waiting.GetProperty("fingerprint").GetString());
        Assert.Equal(second.CertificateFingerprint, waiting.GetProperty("presented").GetString());
        var events = await admin.GetFromJsonAsync<JsonElement[]>("/api/audit/events?limit=50", Json);
        var changed = Assert.Single(events!, e => e.GetProperty("action").GetString() == "endpoint.certificate-changed");
        Assert.Equal($"pinned SHA-256 {first.CertificateFingerprint}, presented SHA-256 {second.CertificateFingerprint}", changed.GetProperty("detail").GetString());

        // The admin accepts what the device presented; the next start goes through.
        var accept = await admin.PutAsJsonAsync($"/api/admin/appliances/{EdgeGatewayStack.ApplianceId}/endpoints/{EdgeGatewayStack.EndpointId}/certificate", new { fingerprint = second.CertificateFingerprint });
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var again = await StartAsync(admin, second);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        await EndAsync(admin, again);
        Assert.Equal(second.CertificateFingerprint, (await CertificateAsync(admin)).GetProperty("fingerprint").GetString());
    }

    private static Task<HttpResponseMessage> StartAsync(HttpClient client, RdpServer device) =>
        client.PostAsJsonAsync("/api/sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, username = device.User, password = device.Password, width = 640, height = 480 });

    private static async Task EndAsync(HttpClient client, HttpResponseMessage started)
    {
        var id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        await client.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative));
    }

    private static async Task<JsonElement> CertificateAsync(HttpClient admin)
    {
        var appliances = await admin.GetFromJsonAsync<JsonElement[]>("/api/admin/appliances", Json);
        var endpoint = appliances!.Single(a => a.GetProperty("id").GetString() == EdgeGatewayStack.ApplianceId)
            .GetProperty("endpoints").EnumerateArray().Single(e => e.GetProperty("id").GetString() == EdgeGatewayStack.EndpointId);
        return endpoint.GetProperty("certificate");
    }
}
