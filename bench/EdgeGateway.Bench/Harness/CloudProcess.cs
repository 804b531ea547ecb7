using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Trust;
using EdgeGateway.Testing;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// The real cloud binary (cloud/bin/…/EdgeGateway.Cloud.dll, its own process, its own GC settings) on loopback
/// ports chosen at run time, so its CPU time and memory are its own. Before it starts, the harness creates its CA
/// (to issue appliance certificates) and two users with known passwords in its database — the cloud then skips
/// its first-start admin bootstrap.
/// </summary>
public sealed class CloudProcess : IAsyncDisposable
{
    public const string AdminName = "admin";
    public const string ViewerName = "bench-viewer";

    /// <summary>Harness environment variables with this prefix are passed to the cloud process without it.</summary>
    public const string CloudEnvironmentPrefix = "EG_BENCH_CLOUD_";

    private readonly ChildProcess _process;

    private CloudProcess(ChildProcess process, string dataDirectory, int httpsPort, int brokerPort, CertificateAuthority authority, string adminPassword, string viewerPassword)
    {
        _process = process;
        DataDirectory = dataDirectory;
        HttpsPort = httpsPort;
        BrokerPort = brokerPort;
        Authority = authority;
        AuthorityCertificate = X509CertificateLoader.LoadCertificate(authority.Certificate.RawData);
        AdminPassword = adminPassword;
        ViewerPassword = viewerPassword;
    }

    public string DataDirectory { get; }

    public int HttpsPort { get; }

    public int BrokerPort { get; }

    public Uri BaseAddress => new($"https://127.0.0.1:{HttpsPort}");

    /// <summary>The cloud's CA, loaded in the harness: it issues the appliances' client certificates.</summary>
    public CertificateAuthority Authority { get; }

    /// <summary>The CA certificate alone (public part), for validating the cloud's server certificate.</summary>
    public X509Certificate2 AuthorityCertificate { get; }

    public string AdminPassword { get; }

    public string ViewerPassword { get; }

    public int ProcessId => _process.Id;

    /// <summary>Stopwatch timestamp just before the process started.</summary>
    public long StartedAt => _process.StartedAt;

    public ProcSample Sample() => _process.Sample();

    public static async Task<CloudProcess> StartAsync(string directory, string logPath, CancellationToken cancellationToken)
    {
        var data = Path.Combine(directory, "cloud");
        var authority = CertificateAuthority.LoadOrCreate(Path.Combine(data, "pki"));
        var database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = data }));
        var users = new UserStore(database, TimeProvider.System);
        var adminPassword = RandomNumberGenerator.GetHexString(24);
        var viewerPassword = RandomNumberGenerator.GetHexString(24);
        users.Create(AdminName, adminPassword, Roles.DomainAdmin);
        var viewer = users.Create(ViewerName, viewerPassword, Roles.Technician)!;
        new PolicyStore(database, TimeProvider.System).Grant("user", viewer.Id, "*", "*", "bench"); // every appliance the bench starts
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // the cloud owns the database from here on

        var httpsPort = FreePort.Get();
        var brokerPort = FreePort.Get();
        var environment = new Dictionary<string, string>
        {
            ["Cloud__DataDirectory"] = data,
            ["Cloud__Broker__BindAddress"] = "127.0.0.1",
            ["Cloud__Broker__Port"] = brokerPort.ToString(CultureInfo.InvariantCulture),
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var (name, value) in EnvironmentOverrides())
        {
            environment[name] = value;
        }

        var cloudDir = Path.Combine(RepoPaths.Root, "cloud");
        var process = ChildProcess.Start(
            RepoPaths.DotnetHost,
            // --urls on the command line: appsettings.json's "Urls" would win over ASPNETCORE_URLS.
            [RepoPaths.CloudDll, "--urls", $"https://127.0.0.1:{httpsPort}", "--contentRoot", cloudDir, "--webroot", Path.Combine(cloudDir, "wwwroot")],
            environment,
            cloudDir,
            logPath);
        var cloud = new CloudProcess(process, data, httpsPort, brokerPort, authority, adminPassword, viewerPassword);
        try
        {
            await cloud.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await cloud.DisposeAsync();
            throw;
        }

        return cloud;
    }

    /// <summary>An HTTP client that trusts only the cloud's CA, with its own cookie jar.</summary>
    public HttpClient CreateHttpClient(System.Net.CookieContainer? cookies = null)
    {
        var authority = AuthorityCertificate;
        var handler = new HttpClientHandler
        {
            CookieContainer = cookies ?? new System.Net.CookieContainer(),
            UseCookies = true,
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => PinnedCertificateAuthority.Validate(cert, authority, PinnedCertificateAuthority.ServerAuthOid, out _),
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>
    /// What <c>EG_BENCH_CLOUD_&lt;NAME&gt;=&lt;value&gt;</c> in the harness's environment sets for the cloud alone, by
    /// name: runtime knobs (DOTNET_GCgen0size, …) tried on the cloud without touching the harness, which hosts the
    /// appliances.
    /// </summary>
    public static SortedDictionary<string, string> EnvironmentOverrides()
    {
        var overrides = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string key && key.StartsWith(CloudEnvironmentPrefix, StringComparison.Ordinal) && variable.Value is string value)
            {
                overrides[key[CloudEnvironmentPrefix.Length..]] = value;
            }
        }

        return overrides;
    }

    /// <summary>The cloud's /metrics page (Prometheus text format), one scrape.</summary>
    public async Task<string> ReadMetricsAsync(CancellationToken cancellationToken)
    {
        using var client = CreateHttpClient();
        return await client.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
    }

    /// <summary>
    /// The sum of every sample of one metric in a /metrics scrape whose labels contain <paramref name="label"/>
    /// (e.g. <c>gc_heap_generation="gen2"</c>), or null if there is none.
    /// </summary>
    public static double? SumMetric(string text, string name, string? label)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        double? sum = null;
        foreach (var line in text.Split('\n'))
        {
            // "name value [timestamp]" or "name{labels} value [timestamp]"
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{'
                && (label is null || line.Contains(label, StringComparison.Ordinal)))
            {
                var value = line[(line.LastIndexOf('}') is >= 0 and var close ? close + 1 : name.Length)..].Trim().Split(' ')[0];
                sum = (sum ?? 0) + double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = CreateHttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException("The cloud process exited during start-up; see its log.");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"The cloud was not ready within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Authority.Dispose();
        AuthorityCertificate.Dispose();
    }
}
