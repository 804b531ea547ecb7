using System.Diagnostics.Metrics;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Sessions;

/// <summary>
/// Trust on first use for RDP devices, kept in the cloud's policy: the first certificate a device presents is pinned and
/// audited; later starts carry the pin to the appliance; a device that presents another certificate is refused with the
/// sentence the appliance gave, the new certificate waits for an administrator, and once accepted it is the pin.
/// </summary>
[Trait("Area", "Rdp")]
public sealed class RdpCertificatePinTests : IDisposable
{
    private static readonly UserInfo Tess = new("u1", "tess", Roles.Technician);
    private static readonly string First = new('A', 64);
    private static readonly string Second = new('B', 64);
    private const string Changed = "The device's RDP certificate changed; the connection was refused before any password was sent.";
    private readonly TempDirectory _temp = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ScriptedChannel _appliance;
    private readonly SessionService _sessions;
    private readonly EndpointCertificates _certificates;
    private readonly AuditLog _audit;
    private string _presented = First;

    public RdpCertificatePinTests()
    {
        // The appliance's side, as the RDP session does it: it compares what the device presents with the start's pin.
        _appliance = new ScriptedChannel(m => m is StartSession s
            ? s.PinnedCertificate is null || s.PinnedCertificate == _presented
                ? new SessionStarted(s.SessionId, new SessionDetails("RDP", "NLA (CredSSP)", null, "TLS 1.3", null, false, false, null, _presented))
                : new SessionEnded(s.SessionId, EndReason.CertificateChanged, Changed, _presented)
            : null);
        var options = Options.Create(new CloudOptions { DataDirectory = _temp.Path });
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var database = new CloudDatabase(options);
        _audit = new AuditLog(database, time, NullLogger<AuditLog>.Instance);
        _certificates = new EndpointCertificates(database, _audit, time);
        _sessions = new SessionService(_appliance, new ApplianceRegistry(database, time), database, options, new CloudMetrics(_services.GetRequiredService<IMeterFactory>()), time, NullLogger<SessionService>.Instance, _certificates);
        _appliance.Service = _sessions;
        _sessions.OnControl("plant-3", new Hello("1.0", [new EndpointInfo("hmi", "Line 2 HMI", "rdp", "10.0.0.9", 3389), new EndpointInfo("panel", "Panel", "vnc", "10.0.0.7", 5900)], []));
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _services.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task The_first_certificate_is_pinned_a_changed_one_is_refused_until_an_administrator_accepts_it()
    {
        var (first, failure, _) = await StartAsync();
        Assert.Null(failure);
        Assert.Null(Assert.Single(_appliance.Sent.OfType<StartSession>()).PinnedCertificate); // first use: nothing to compare
        Assert.Equal(First, _certificates.Find("plant-3", "hmi")!.Fingerprint);
        var pinned = Assert.Single(_audit.Read(new AuditQuery()), e => e.Action == "endpoint.certificate-pin");
        Assert.Equal(("allowed", first!.Id, "SHA-256 " + First), (pinned.Outcome, pinned.SessionId, pinned.Detail));

        // The device now shows another certificate (reinstalled, or someone in the middle): refused with the sentence.
        _presented = Second;
        var (second, refused, _) = await StartAsync();
        Assert.Null(second);
        Assert.Equal((502, Changed), (refused!.StatusCode, refused.Message));
        Assert.Equal(First, _appliance.Sent.OfType<StartSession>().Last().PinnedCertificate);
        var waiting = _certificates.Find("plant-3", "hmi")!;
        Assert.Equal((First, Second), (waiting.Fingerprint, waiting.Presented));
        var changed = Assert.Single(_audit.Read(new AuditQuery()), e => e.Action == "endpoint.certificate-changed");
        Assert.Equal(("denied", $"pinned SHA-256 {First}, presented SHA-256 {Second}"), (changed.Outcome, changed.Detail));

        // An administrator accepts only what the device presented; then the next start goes through with the new pin.
        Assert.Null(_certificates.Accept("plant-3", "hmi", new string('C', 64), "admin"));
        Assert.Equal(Second, _certificates.Accept("plant-3", "hmi", Second, "admin")!.Fingerprint);
        var (third, none, _) = await StartAsync();
        Assert.Null(none);
        Assert.NotNull(third);
        Assert.Equal(Second, _appliance.Sent.OfType<StartSession>().Last().PinnedCertificate);
        Assert.Null(_certificates.Find("plant-3", "hmi")!.Presented);
    }

    [Fact]
    public async Task Only_rdp_endpoints_are_pinned_and_the_desktop_size_reaches_the_appliance()
    {
        var (view, failure, _) = await _sessions.StartAsync(Tess, new StartRequest("plant-3", "panel", string.Empty, new Secret("pw"), 80, 24), CancellationToken.None);
        Assert.Null(failure);
        Assert.NotNull(view);
        Assert.Null(_certificates.Find("plant-3", "panel"));

        var (_, tooSmall, _) = await _sessions.StartAsync(Tess, new StartRequest("plant-3", "hmi", "tess", new Secret("pw"), 80, 24, DisplayWidth: 100, DisplayHeight: 80), CancellationToken.None);
        Assert.Equal((400, "The display size is out of range (200 to 8192 pixels each side)."), (tooSmall!.StatusCode, tooSmall.Message));

        await StartAsync();
        var start = _appliance.Sent.OfType<StartSession>().Last();
        Assert.Equal((1600, 900), (start.DisplayWidth, start.DisplayHeight));
    }

    private Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> StartAsync() =>
        _sessions.StartAsync(Tess, new StartRequest("plant-3", "hmi", @"PLANT\tess", new Secret("pw"), 80, 24, DisplayWidth: 1600, DisplayHeight: 900), CancellationToken.None);
}
