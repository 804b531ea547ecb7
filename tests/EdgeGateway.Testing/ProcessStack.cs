using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Testing;

/// <summary>
/// The cloud and one appliance as real processes — the build's own binaries, started as <c>scripts/demo.sh</c> starts
/// them — on loopback ports chosen once, so that a test can <c>kill -9</c> either and start it again on the same
/// ports and data (the appliance reconnects by itself). The appliance's endpoint points at a real sshd. Before the
/// first start the fixture creates the cloud's CA (to issue the appliance's certificate) and two users with known
/// passwords; the cloud then skips its first-start admin bootstrap. Everything is removed after.
/// </summary>
public sealed class ProcessStack : IAsyncDisposable
{
    public const string ApplianceId = EdgeGatewayStack.ApplianceId;
    public const string EndpointId = EdgeGatewayStack.EndpointId;
    public const string AdminName = "admin";
    public const string ViewerName = "viewer";

    private readonly string _directory;
    private readonly string _data;
    private readonly string _pki;
    private readonly int _httpsPort;
    private readonly int _brokerPort;
    private readonly SshServer _device;
    private readonly IReadOnlyDictionary<string, string> _cloudSettings;
    private readonly IReadOnlyDictionary<string, string> _applianceSettings;
    private readonly X509Certificate2 _authority;
    private ServerProcess? _cloud;
    private ServerProcess? _appliance;

    private ProcessStack(string directory, SshServer device, IReadOnlyDictionary<string, string> cloudSettings, IReadOnlyDictionary<string, string> applianceSettings)
    {
        _directory = directory;
        _data = Path.Combine(directory, "cloud");
        _pki = Path.Combine(directory, "appliance");
        _httpsPort = FreePort.Get();
        _brokerPort = FreePort.Get();
        _device = device;
        _cloudSettings = cloudSettings;
        _applianceSettings = applianceSettings;

        using var authority = CertificateAuthority.LoadOrCreate(Path.Combine(_data, "pki"));
        _authority = X509CertificateLoader.LoadCertificate(authority.Certificate.RawData);
        var (cert, key) = authority.IssueAppliance(ApplianceId, TimeSpan.FromDays(1));
        Directory.CreateDirectory(_pki);
        File.WriteAllText(Path.Combine(_pki, "appliance.pem"), cert);
        CertificateAuthority.WritePrivate(Path.Combine(_pki, "appliance.key"), key);
        File.Copy(authority.CertificatePath, Path.Combine(_pki, "ca.pem"));

        var database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _data }));
        var users = new UserStore(database, TimeProvider.System);
        AdminPassword = RandomNumberGenerator.GetHexString(24);
        ViewerPassword = RandomNumberGenerator.GetHexString(24);
        users.Create(AdminName, AdminPassword, Roles.DomainAdmin);
        var viewer = users.Create(ViewerName, ViewerPassword, Roles.Technician)!;
        new PolicyStore(database, TimeProvider.System).Grant("user", viewer.Id, "*", "*", "test");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // the cloud process owns the database from here on

        Client = new CloudClient(new Uri($"https://127.0.0.1:{_httpsPort}"), _authority);
    }

    /// <summary>The browser's side of the cloud (its address and port stay the same across restarts).</summary>
    public CloudClient Client { get; }

    public string AdminPassword { get; }

    public string ViewerPassword { get; }

    /// <summary>The cloud process's output so far (its log), for assertions and failure messages.</summary>
    public string CloudLog => _cloud?.Output ?? string.Empty;

    /// <summary>The appliance process's output so far (its log).</summary>
    public string ApplianceLog => _appliance?.Output ?? string.Empty;

    /// <summary>Starts both processes and returns once the appliance is online in the cloud.</summary>
    /// <param name="device">The sshd the appliance's endpoint points at.</param>
    /// <param name="cloudSettings">Cloud settings by key (<c>Cloud:Sessions:ApplianceGrace</c>).</param>
    /// <param name="applianceSettings">Appliance settings by key (<c>Appliance:Cloud:SessionGrace</c>).</param>
    public static async Task<ProcessStack> StartAsync(SshServer device, IDictionary<string, string>? cloudSettings = null, IDictionary<string, string>? applianceSettings = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var directory = Directory.CreateTempSubdirectory("eg-proc-").FullName;
        var stack = new ProcessStack(directory, device, new Dictionary<string, string>(cloudSettings ?? new Dictionary<string, string>()), new Dictionary<string, string>(applianceSettings ?? new Dictionary<string, string>()));
        try
        {
            await stack.StartCloudAsync();
            await stack.StartApplianceAsync();
            await stack.WaitForApplianceAsync(online: true, TimeSpan.FromSeconds(30));
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }

        return stack;
    }

    /// <summary>Starts the cloud (again) on the same ports and data; returns once it answers /readyz.</summary>
    public async Task StartCloudAsync()
    {
        if (_cloud is { HasExited: false })
        {
            throw new InvalidOperationException("The cloud is already running.");
        }

        var cloudDir = EdgeGatewayStack.RepositoryPath("cloud");
        string[] arguments =
        [
            // --urls on the command line: appsettings.json's "Urls" would win over ASPNETCORE_URLS.
            "--urls", $"https://127.0.0.1:{_httpsPort}", "--contentRoot", cloudDir, "--webroot", Path.Combine(cloudDir, "wwwroot"),
            $"--Cloud:DataDirectory={_data}", "--Cloud:Broker:BindAddress=127.0.0.1", $"--Cloud:Broker:Port={_brokerPort}",
            .. _cloudSettings.Select(s => $"--{s.Key}={s.Value}"),
        ];
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }

        _cloud = ServerProcess.Start(ProductBinaries.CloudDll, arguments, new Dictionary<string, string>(), cloudDir);
        using var client = Client.CreateClient().Client;
        await WaitAsync(
            async () =>
            {
                if (_cloud.HasExited)
                {
                    throw new InvalidOperationException($"The cloud exited during start-up. Its output:\n{_cloud.Output}");
                }

                try
                {
                    using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            TimeSpan.FromSeconds(60),
            "the cloud to answer /readyz");
    }

    /// <summary>Starts the appliance (again); it connects to the cloud by itself.</summary>
    public async Task StartApplianceAsync()
    {
        if (_appliance is { HasExited: false })
        {
            throw new InvalidOperationException("The appliance is already running.");
        }

        var settings = new Dictionary<string, string>
        {
            ["Appliance:Id"] = ApplianceId,
            ["Appliance:Cloud:Host"] = "127.0.0.1",
            ["Appliance:Cloud:MqttPort"] = _brokerPort.ToString(CultureInfo.InvariantCulture),
            ["Appliance:Cloud:CertificatePath"] = Path.Combine(_pki, "appliance.pem"),
            ["Appliance:Cloud:KeyPath"] = Path.Combine(_pki, "appliance.key"),
            ["Appliance:Cloud:AuthorityPath"] = Path.Combine(_pki, "ca.pem"),
            ["Appliance:Cloud:ReconnectMinDelay"] = "00:00:00.200",
            ["Appliance:Cloud:ReconnectMaxDelay"] = "00:00:00.500",
            ["Appliance:Endpoints:0:Id"] = EndpointId,
            ["Appliance:Endpoints:0:Name"] = "Test device",
            ["Appliance:Endpoints:0:Protocol"] = "ssh",
            ["Appliance:Endpoints:0:Host"] = _device.Host,
            ["Appliance:Endpoints:0:Port"] = _device.Port.ToString(CultureInfo.InvariantCulture),
            ["Appliance:Endpoints:0:HostKeySha256"] = _device.HostKeyFingerprint,
        };
        foreach (var (key, value) in _applianceSettings)
        {
            settings[key] = value;
        }

        if (_appliance is not null)
        {
            await _appliance.DisposeAsync();
        }

        // As scripts/demo.sh runs it: OpenSSL's default trust is the cloud's CA alone (docs/ARCHITECTURE.md).
        var environment = new Dictionary<string, string> { ["SSL_CERT_FILE"] = Path.Combine(_pki, "ca.pem"), ["SSL_CERT_DIR"] = string.Empty };
        _appliance = ServerProcess.Start(ProductBinaries.ApplianceDll, settings.Select(s => $"--{s.Key}={s.Value}"), environment, _directory);
    }

    /// <summary><c>kill -9</c> of the cloud: the appliance's connection and every browser's WebSocket drop at once.</summary>
    public Task KillCloudAsync() => _cloud?.KillAsync() ?? Task.CompletedTask;

    /// <summary><c>kill -9</c> of the appliance: its MQTT connection and its SSH connections drop at once.</summary>
    public Task KillApplianceAsync() => _appliance?.KillAsync() ?? Task.CompletedTask;

    /// <summary>Waits until the cloud's appliance list shows the appliance online (or offline).</summary>
    public async Task WaitForApplianceAsync(bool online, TimeSpan timeout)
    {
        var (client, _) = await Client.LoginAsync(AdminName, AdminPassword);
        using (client)
        {
            await WaitAsync(
                async () =>
                {
                    var appliances = await client.GetFromJsonAsync<List<ApplianceView>>(new Uri("/api/appliances", UriKind.Relative));
                    return appliances?.Any(a => a.Id == ApplianceId && a.Online == online) == true;
                },
                timeout,
                $"the appliance to be {(online ? "online" : "offline")}");
        }
    }

    /// <summary>Re-checks <paramref name="condition"/> every 50 ms until it holds; fails with both processes' logs after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalSeconds} s waiting for {what}.\n--- cloud ---\n{Tail(CloudLog)}\n--- appliance ---\n{Tail(ApplianceLog)}");
            }

            await Task.Delay(50);
        }
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        if (_appliance is not null)
        {
            await _appliance.DisposeAsync();
        }

        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }

        _authority.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temporary folder is cleaned by the system.
        }
    }
}
