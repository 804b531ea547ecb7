using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Appliance.Pairing;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeGateway.Testing;

/// <summary>
/// The cloud in-process and a factory-fresh appliance that pairs: it knows only the cloud's address and CA, and keeps
/// its state in <see cref="StateDirectory"/>. A test plays the field engineer through the API
/// (<see cref="ApproveAsync"/>), can stop and start the appliance on the same state, and runs it as a real process
/// (<see cref="ApplianceArguments"/>) for <c>kill -9</c>. The appliance's one endpoint is a real sshd when one is given.
/// </summary>
public sealed class PairingStack : IAsyncDisposable
{
    /// <summary>The name the tests approve with; its id is the same (the cloud makes ids from names).</summary>
    public const string ApplianceName = EdgeGatewayStack.ApplianceId;

    private readonly string _directory;
    private readonly Dictionary<string, string?> _applianceSettings;
    private CloudClient? _client;
    private ServerProcess? _process;

    private PairingStack(string directory, WebApplication cloud, Uri baseAddress, X509Certificate2 authority, string adminPassword, LogCollector logs, Dictionary<string, string?> applianceSettings)
    {
        _directory = directory;
        Cloud = cloud;
        BaseAddress = baseAddress;
        Authority = authority;
        AdminPassword = adminPassword;
        Logs = logs;
        _applianceSettings = applianceSettings;
    }

    public WebApplication Cloud { get; }

    public Uri BaseAddress { get; }

    public X509Certificate2 Authority { get; }

    public string AdminPassword { get; }

    public LogCollector Logs { get; }

    /// <summary>The appliance's state directory (key, pending pairing, identity).</summary>
    public string StateDirectory => _applianceSettings["Appliance:StateDirectory"]!;

    /// <summary>The in-process appliance, while it runs.</summary>
    public IHost? Appliance { get; private set; }

    public CloudClient Client => _client ??= new CloudClient(BaseAddress, Authority);

    /// <summary>The appliance's settings as command-line arguments, for running it as a process.</summary>
    public IEnumerable<string> ApplianceArguments => _applianceSettings.Select(s => $"--{s.Key}={s.Value}");

    /// <summary>Starts the cloud and (with <paramref name="startAppliance"/>) the unpaired appliance; returns before it pairs.</summary>
    public static async Task<PairingStack> StartAsync(SshServer? device = null, IDictionary<string, string?>? cloudOverrides = null, IDictionary<string, string?>? applianceOverrides = null, bool startAppliance = true)
    {
        var directory = Directory.CreateTempSubdirectory("eg-pair-").FullName;
        var logs = new LogCollector();
        var data = Path.Combine(directory, "cloud");
        var (cloud, address) = await EdgeGatewayStack.StartCloudAsync(data, FreePort.Get(), logs, cloudOverrides, null);
        var authority = cloud.Services.GetRequiredService<CertificateAuthority>();
        var caPath = Path.Combine(directory, "cloud-ca.pem");
        File.Copy(authority.CertificatePath, caPath);

        var settings = new Dictionary<string, string?>
        {
            ["Appliance:Cloud:Address"] = address,
            ["Appliance:Cloud:AuthorityPath"] = caPath,
            ["Appliance:StateDirectory"] = Path.Combine(directory, "appliance-state"),
            ["Appliance:Hardware"] = "Test rig (x64)",
            ["Appliance:Cloud:ReconnectMinDelay"] = "00:00:00.200",
            ["Appliance:Cloud:ReconnectMaxDelay"] = "00:00:01",
        };
        if (device is not null)
        {
            settings["Appliance:Endpoints:0:Id"] = EdgeGatewayStack.EndpointId;
            settings["Appliance:Endpoints:0:Name"] = "Test device";
            settings["Appliance:Endpoints:0:Protocol"] = "ssh";
            settings["Appliance:Endpoints:0:Host"] = device.Host;
            settings["Appliance:Endpoints:0:Port"] = device.Port.ToString(CultureInfo.InvariantCulture);
            settings["Appliance:Endpoints:0:HostKeySha256"] = device.HostKeyFingerprint;
        }

        foreach (var (k, v) in applianceOverrides ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var adminPassword = (await File.ReadAllTextAsync(Path.Combine(data, AdminBootstrap.FileName))).Trim();
        var stack = new PairingStack(directory, cloud, new Uri(address), X509CertificateLoader.LoadCertificate(authority.Certificate.RawData), adminPassword, logs, settings);
        if (startAppliance)
        {
            await stack.StartApplianceAsync();
        }

        return stack;
    }

    /// <summary>
    /// A second cloud node on the same data folder (database, CA) with its own HTTPS and MQTT ports, as nodes behind a
    /// load balancer share one database. The caller stops and disposes it.
    /// </summary>
    public async Task<(WebApplication Cloud, CloudClient Client)> StartSecondNodeAsync(IDictionary<string, string?>? cloudOverrides = null)
    {
        var (cloud, address) = await EdgeGatewayStack.StartCloudAsync(Path.Combine(_directory, "cloud"), FreePort.Get(), Logs, cloudOverrides, null);
        return (cloud, new CloudClient(new Uri(address), Authority));
    }

    /// <summary>Changes one of the appliance's settings for its next start (empty: as if not set).</summary>
    public void Configure(string key, string? value) => _applianceSettings[key] = value;

    /// <summary>Starts the appliance in-process on the state directory as it is.</summary>
    public async Task StartApplianceAsync() => Appliance = await EdgeGatewayStack.StartApplianceAsync(_applianceSettings, Logs);

    /// <summary>Starts the appliance as its own process (the build's binary, as <c>scripts/demo.sh</c> runs it) on the same state.</summary>
    public async Task StartApplianceProcessAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        var environment = new Dictionary<string, string> { ["SSL_CERT_FILE"] = _applianceSettings["Appliance:Cloud:AuthorityPath"]!, ["SSL_CERT_DIR"] = string.Empty };
        _process = ServerProcess.Start(ProductBinaries.ApplianceDll, ApplianceArguments, environment, _directory);
    }

    /// <summary><c>kill -9</c> of the appliance process; returns once it is gone.</summary>
    public Task KillApplianceProcessAsync() => _process?.KillAsync() ?? Task.CompletedTask;

    /// <summary>The appliance process's output so far.</summary>
    public string ApplianceProcessLog => _process?.Output ?? string.Empty;

    /// <summary>Empties the state directory: the next start is a factory-fresh appliance again.</summary>
    public void ResetState()
    {
        if (Directory.Exists(StateDirectory))
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }

    /// <summary>Stops the in-process appliance (a clean shutdown).</summary>
    public async Task StopApplianceAsync()
    {
        if (Appliance is { } appliance)
        {
            Appliance = null;
            await appliance.StopAsync();
            appliance.Dispose();
        }
    }

    /// <summary>Waits until the appliance shows a pairing code other than <paramref name="not"/> (from its state, as <c>pair --status</c> reads it).</summary>
    public async Task<PendingPairing> WaitForCodeAsync(TimeSpan timeout, string? not = null)
    {
        var store = new IdentityStore(StateDirectory);
        PendingPairing? pending = null;
        await Conditions.WaitUntilAsync(() => (pending = store.LoadPending()) is { Status: "waiting" } p && p.UserCode != not, timeout, "the appliance to show a pairing code");
        return pending!;
    }

    /// <summary>Creates a technician with access to every endpoint of <paramref name="applianceId"/> and signs them in (cookies for the session stream).</summary>
    public async Task<(HttpClient Client, CookieContainer Cookies)> LoginTechnicianAsync(string applianceId = ApplianceName)
    {
        var name = "tech-" + Guid.NewGuid().ToString("N")[..6];
        var password = Guid.NewGuid().ToString("N");
        var user = Cloud.Services.GetRequiredService<UserStore>().Create(name, password, Roles.Technician)!;
        Cloud.Services.GetRequiredService<PolicyStore>().Grant("user", user.Id, applianceId, "*", "test");
        return await Client.LoginAsync(name, password);
    }

    /// <summary>Creates a user of <paramref name="role"/> (a field engineer by default) and signs them in (at <paramref name="node"/>, else this stack's cloud).</summary>
    public async Task<HttpClient> LoginAsync(string role = Roles.FieldEngineer, CloudClient? node = null)
    {
        var name = role + "-" + Guid.NewGuid().ToString("N")[..6];
        var password = Guid.NewGuid().ToString("N");
        Cloud.Services.GetRequiredService<UserStore>().Create(name, password, role);
        return (await (node ?? Client).LoginAsync(name, password)).Client;
    }

    /// <summary>Approves a code as the engineer would (<c>POST …/approve</c>), whatever the answer.</summary>
    public static Task<HttpResponseMessage> ApproveAsync(HttpClient engineer, string userCode, string name = ApplianceName, string site = "Plant 1", string? applianceId = null)
    {
        ArgumentNullException.ThrowIfNull(engineer);
        return engineer.PostAsJsonAsync(new Uri($"/api/pairing/requests/{Uri.EscapeDataString(userCode)}/approve", UriKind.Relative), new { domainId = PolicyStore.DefaultDomain, site, name, applianceId });
    }

    /// <summary>Waits until the appliance is connected and announced.</summary>
    public Task WaitOnlineAsync(string applianceId, TimeSpan timeout, bool online = true) =>
        Conditions.WaitUntilAsync(() => Cloud.Services.GetRequiredService<ApplianceRegistry>().IsOnline(applianceId) == online, timeout, $"appliance {applianceId} to be {(online ? "online" : "offline")}");

    /// <summary>The stored identity, or null.</summary>
    public ApplianceIdentity? Identity() => new IdentityStore(StateDirectory).ReadIdentity();

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        await StopApplianceAsync();
        await Cloud.StopAsync();
        await Cloud.DisposeAsync();
        Authority.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Asserts an HTTP answer's status, showing the body when it is not.</summary>
    public static async Task<string> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return body;
    }
}
