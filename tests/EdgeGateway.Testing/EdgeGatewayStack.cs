using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Appliance;
using EdgeGateway.Cloud;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Testing;

/// <summary>
/// The whole product on loopback: the cloud (embedded broker, SQLite) and one appliance, in-process, with the
/// appliance's endpoint pointing at a real sshd. Ports are chosen at run time; everything is removed after.
/// </summary>
public sealed class EdgeGatewayStack : IAsyncDisposable
{
    public const string ApplianceId = "test-appliance";
    public const string EndpointId = "device-ssh";

    private readonly string _directory;
    private CloudClient? _client;

    private EdgeGatewayStack(string directory, WebApplication cloud, IHost appliance, Uri baseAddress, X509Certificate2 authority, string adminPassword, LogCollector logs)
    {
        _directory = directory;
        Cloud = cloud;
        Appliance = appliance;
        BaseAddress = baseAddress;
        Authority = authority;
        AdminPassword = adminPassword;
        Logs = logs;
    }

    public WebApplication Cloud { get; }

    public IHost Appliance { get; }

    public Uri BaseAddress { get; }

    public X509Certificate2 Authority { get; }

    public string AdminPassword { get; }

    public LogCollector Logs { get; }

    /// <param name="device">The sshd the appliance's endpoint points at.</param>
    /// <param name="applianceOverrides">Appliance settings by key (<c>Appliance:Cloud:SessionGrace</c>).</param>
    /// <param name="cloudOverrides">Cloud settings by key (<c>Cloud:Sessions:ApplianceGrace</c>).</param>
    /// <param name="cloudTime">The cloud's clock (a <see cref="ShiftedClock"/> to let expiries pass); default the system's.</param>
    public static Task<EdgeGatewayStack> StartAsync(SshServer device, IDictionary<string, string?>? applianceOverrides = null, IDictionary<string, string?>? cloudOverrides = null, TimeProvider? cloudTime = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        return StartForEndpointAsync("ssh", device.Host, device.Port, new Dictionary<string, string?> { ["Appliance:Endpoints:0:HostKeySha256"] = device.HostKeyFingerprint }, applianceOverrides, cloudOverrides, cloudTime);
    }

    /// <summary>A stack whose one endpoint (<see cref="EndpointId"/>) speaks <paramref name="protocol"/> to host:port.</summary>
    /// <param name="protocol">"ssh" or "vnc".</param>
    /// <param name="host">The device's address (127.0.0.1 in tests).</param>
    /// <param name="port">The device's TCP port.</param>
    /// <param name="endpoint">More endpoint settings by key (<c>Appliance:Endpoints:0:HostKeySha256</c>).</param>
    /// <param name="applianceOverrides">Appliance settings by key, applied last.</param>
    /// <param name="cloudOverrides">Cloud settings by key.</param>
    /// <param name="cloudTime">
    /// The cloud's clock (a <c>FakeTimeProvider</c> to move expiries forward); the appliance keeps the real one. Only for
    /// what the cloud schedules itself (invitations, waiting sessions, limits): a fake clock that is never advanced also
    /// stops whatever the cloud paces with it.
    /// </param>
    public static async Task<EdgeGatewayStack> StartForEndpointAsync(string protocol, string host, int port, IDictionary<string, string?>? endpoint = null, IDictionary<string, string?>? applianceOverrides = null, IDictionary<string, string?>? cloudOverrides = null, TimeProvider? cloudTime = null)
    {
        var directory = Directory.CreateTempSubdirectory("eg-e2e-").FullName;
        var logs = new LogCollector();
        var data = Path.Combine(directory, "cloud");
        var brokerPort = FreePort.Get();
        var (cloud, address) = await StartCloudAsync(data, brokerPort, logs, cloudOverrides, cloudTime);

        var authority = cloud.Services.GetRequiredService<CertificateAuthority>();
        var (cert, key) = authority.IssueAppliance(ApplianceId, TimeSpan.FromDays(1));
        var pki = Path.Combine(directory, "appliance");
        Directory.CreateDirectory(pki);
        await File.WriteAllTextAsync(Path.Combine(pki, "appliance.pem"), cert);
        CertificateAuthority.WritePrivate(Path.Combine(pki, "appliance.key"), key);
        File.Copy(authority.CertificatePath, Path.Combine(pki, "ca.pem"));

        var settings = new Dictionary<string, string?>
        {
            ["Appliance:Id"] = ApplianceId,
            ["Appliance:Cloud:Host"] = "127.0.0.1",
            ["Appliance:Cloud:MqttPort"] = brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Appliance:Cloud:CertificatePath"] = Path.Combine(pki, "appliance.pem"),
            ["Appliance:Cloud:KeyPath"] = Path.Combine(pki, "appliance.key"),
            ["Appliance:Cloud:AuthorityPath"] = Path.Combine(pki, "ca.pem"),
            ["Appliance:Cloud:ReconnectMinDelay"] = "00:00:00.200",
            ["Appliance:Endpoints:0:Id"] = EndpointId,
            ["Appliance:Endpoints:0:Name"] = "Test device",
            ["Appliance:Endpoints:0:Protocol"] = protocol,
            ["Appliance:Endpoints:0:Host"] = host,
            ["Appliance:Endpoints:0:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in (endpoint ?? new Dictionary<string, string?>()).Concat(applianceOverrides ?? new Dictionary<string, string?>()))
        {
            settings[k] = v;
        }

        var appliance = await StartApplianceAsync(settings, logs);

        var adminPassword = (await File.ReadAllTextAsync(Path.Combine(data, AdminBootstrap.FileName))).Trim();
        var stack = new EdgeGatewayStack(directory, cloud, appliance, new Uri(address), X509CertificateLoader.LoadCertificate(authority.Certificate.RawData), adminPassword, logs);
        await stack.WaitForApplianceOnlineAsync(TimeSpan.FromSeconds(20));
        return stack;
    }

    /// <summary>Starts the cloud in-process on loopback (HTTPS on a port the kernel picks, the broker on <paramref name="brokerPort"/>).</summary>
    internal static async Task<(WebApplication Cloud, string Address)> StartCloudAsync(string data, int brokerPort, LogCollector logs, IDictionary<string, string?>? cloudOverrides, TimeProvider? cloudTime)
    {
        var cloud = CloudApp.Create(
            new WebApplicationOptions
            {
                Args = ["--urls=https://127.0.0.1:0", $"--Cloud:DataDirectory={data}", "--Cloud:Broker:BindAddress=127.0.0.1", $"--Cloud:Broker:Port={brokerPort}",
                    "--Cloud:LoginsPerMinute=10000", // every test logs in from 127.0.0.1
                    .. (cloudOverrides ?? new Dictionary<string, string?>()).Select(o => $"--{o.Key}={o.Value}")],
                ContentRootPath = RepositoryPath("cloud"),
                WebRootPath = RepositoryPath("cloud", "wwwroot"),
                EnvironmentName = "Production",
            },
            builder =>
            {
                builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
                if (cloudTime is not null)
                {
                    builder.Services.AddSingleton(cloudTime);
                }
            });
        await cloud.StartAsync();
        var address = cloud.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (cloud, address);
    }

    /// <summary>Starts an appliance in-process with these settings, its log going to <paramref name="logs"/>.</summary>
    internal static async Task<IHost> StartApplianceAsync(IDictionary<string, string?> settings, LogCollector logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddAppliance(builder.Configuration);
        var appliance = builder.Build();
        await appliance.StartAsync();
        return appliance;
    }

    /// <summary>Waits for the appliance's Hello (a condition with a deadline, not a timing sleep).</summary>
    public async Task WaitForApplianceOnlineAsync(TimeSpan timeout)
    {
        var registry = Cloud.Services.GetRequiredService<ApplianceRegistry>();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (!registry.IsOnline(ApplianceId))
            {
                await Task.Delay(20, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The appliance did not come online within {timeout.TotalSeconds} s. Log:\n{string.Join('\n', Logs.Entries.Where(e => e.Level >= LogLevel.Information).TakeLast(40))}");
        }
    }

    /// <summary>
    /// Creates a user; with <paramref name="grantAccess"/> (the default) they may use every endpoint of the test
    /// appliance, as most tests need. Policy tests pass false and grant what they test.
    /// </summary>
    public UserInfo CreateUser(string name, string password, string role = Roles.Technician, bool grantAccess = true)
    {
        var user = Cloud.Services.GetRequiredService<UserStore>().Create(name, password, role)!;
        if (grantAccess)
        {
            Cloud.Services.GetRequiredService<PolicyStore>().Grant("user", user.Id, ApplianceId, "*", "test");
        }

        return user;
    }

    /// <summary>The browser's side of this stack's cloud.</summary>
    public CloudClient Client => _client ??= new CloudClient(BaseAddress, Authority);

    public (HttpClient Client, CookieContainer Cookies) CreateClient() => Client.CreateClient();

    public Task<(HttpClient Client, CookieContainer Cookies)> LoginAsync(string user, string password) => Client.LoginAsync(user, password);

    /// <summary>Starts a session on the test endpoint with the device's real credentials; asserts 201 Created.</summary>
    public static Task<EdgeGateway.Cloud.Sessions.SessionView> StartSessionAsync(HttpClient client, SshServer device, int columns = 100, int rows = 30) =>
        CloudClient.StartSessionAsync(client, device, ApplianceId, EndpointId, columns, rows);

    /// <summary>Creates a technician with a random name and password and logs in as them: a second person watching.</summary>
    public async Task<(HttpClient Client, CookieContainer Cookies)> LoginNewViewerAsync()
    {
        var name = "viewer-" + Guid.NewGuid().ToString("N")[..8];
        var password = Guid.NewGuid().ToString("N");
        CreateUser(name, password);
        return await LoginAsync(name, password);
    }

    public Task<StreamClient> OpenStreamAsync(CookieContainer cookies, string sessionId) => Client.OpenStreamAsync(cookies, sessionId);

    /// <inheritdoc cref="CloudClient.OpenThinStreamAsync"/>
    public Task<StreamClient> OpenThinStreamAsync(CookieContainer cookies, string sessionId) => Client.OpenThinStreamAsync(cookies, sessionId);

    internal static string RepositoryPath(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeGateway.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine([dir?.FullName ?? throw new InvalidOperationException("Repository root not found."), .. parts]);
    }

    public async ValueTask DisposeAsync()
    {
        await Appliance.StopAsync();
        Appliance.Dispose();
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
}
