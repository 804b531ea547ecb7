using System.Globalization;
using EdgeGateway.Appliance;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Appliance.Sessions.Ssh;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Appliance.Sessions.Vnc;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Protocol.Topics;
using EdgeGateway.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Bench.Harness;

/// <summary>The device an in-process appliance's one endpoint points at.</summary>
/// <param name="Protocol">"ssh", "vnc" or "rdp".</param>
/// <param name="HostKeySha256">The SSH host key fingerprint (ssh only).</param>
public sealed record BenchEndpoint(string Protocol, string Host, int Port, string? HostKeySha256 = null)
{
    public static BenchEndpoint Ssh(SshServer device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new("ssh", device.Host, device.Port, device.HostKeyFingerprint);
    }

    public static BenchEndpoint Vnc(VncServer device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new("vnc", "127.0.0.1", device.Port);
    }

    public static BenchEndpoint Rdp(RdpServer device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new("rdp", "127.0.0.1", device.Port);
    }
}

/// <summary>
/// The real appliance (AddAppliance: MqttUplink, SessionManager, SSH.NET, libvterm) hosted in the harness process,
/// connected to the cloud process over MQTT 5 / mutual TLS with a certificate from the cloud's CA. The only
/// addition is <see cref="RecordingUplink"/> in front of the uplink, to timestamp and count upstream frames.
/// </summary>
public sealed class InProcessAppliance : IAsyncDisposable
{
    public const string EndpointId = "device-ssh";

    private readonly IHost _host;

    private InProcessAppliance(string id, IHost host, WarningCounter warnings)
    {
        Id = id;
        _host = host;
        Warnings = warnings;
        Uplink = host.Services.GetRequiredService<RecordingUplink>();
        Downlink = host.Services.GetRequiredService<RecordingDownlink>();
    }

    public string Id { get; }

    public RecordingUplink Uplink { get; }

    public RecordingDownlink Downlink { get; }

    /// <summary>Warnings and errors the appliance logged (a run that logs errors is suspect).</summary>
    public WarningCounter Warnings { get; }

    /// <summary>The upstream log of one session.</summary>
    public TopicLog Stream(string sessionId) => Uplink.Topic(TopicMap.UpStream(Id, sessionId));

    /// <summary>The terminal streamer of a running session (its mode and counters), or null.</summary>
    public TerminalStreamer? Streamer(string sessionId) =>
        (_host.Services.GetRequiredService<SessionManager>().Find(sessionId) as SshDeviceSession)?.Streamer;

    /// <summary>A running VNC session (its RFB byte count and display streamer), or null.</summary>
    internal VncDeviceSession? VncSession(string sessionId) =>
        _host.Services.GetRequiredService<SessionManager>().Find(sessionId) as VncDeviceSession;

    /// <summary>A running RDP session (its helper, FreeRDP's byte count, the display streamer), or null.</summary>
    internal RdpDeviceSession? RdpSession(string sessionId) =>
        _host.Services.GetRequiredService<SessionManager>().Find(sessionId) as RdpDeviceSession;

    /// <param name="log">Where the appliance's Information lines and above go (shared by a stack's appliances), or null for none.</param>
    public static async Task<InProcessAppliance> StartAsync(CloudProcess cloud, string id, BenchEndpoint device, string directory, IDictionary<string, string?>? overrides, TextWriter? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        ArgumentNullException.ThrowIfNull(device);
        var pki = Path.Combine(directory, id);
        Directory.CreateDirectory(pki);
        var (cert, key) = cloud.Authority.IssueAppliance(id, TimeSpan.FromDays(1));
        await File.WriteAllTextAsync(Path.Combine(pki, "appliance.pem"), cert, cancellationToken);
        CertificateAuthority.WritePrivate(Path.Combine(pki, "appliance.key"), key);
        File.Copy(cloud.Authority.CertificatePath, Path.Combine(pki, "ca.pem"), overwrite: true);

        var settings = new Dictionary<string, string?>
        {
            ["Appliance:Id"] = id,
            ["Appliance:Cloud:Host"] = "127.0.0.1",
            ["Appliance:Cloud:MqttPort"] = cloud.BrokerPort.ToString(CultureInfo.InvariantCulture),
            ["Appliance:Cloud:CertificatePath"] = Path.Combine(pki, "appliance.pem"),
            ["Appliance:Cloud:KeyPath"] = Path.Combine(pki, "appliance.key"),
            ["Appliance:Cloud:AuthorityPath"] = Path.Combine(pki, "ca.pem"),
            ["Appliance:Cloud:ReconnectMinDelay"] = "00:00:00.200",
            ["Appliance:Endpoints:0:Id"] = EndpointId,
            ["Appliance:Endpoints:0:Name"] = "Bench device",
            ["Appliance:Endpoints:0:Protocol"] = device.Protocol,
            ["Appliance:Endpoints:0:Host"] = device.Host,
            ["Appliance:Endpoints:0:Port"] = device.Port.ToString(CultureInfo.InvariantCulture),
            ["Appliance:Endpoints:0:HostKeySha256"] = device.HostKeySha256,

            // The bench's Xvnc uses plain VNC authentication, which an endpoint must allow (refused by default).
            ["Appliance:Endpoints:0:AllowLegacyAlgorithms"] = device.Protocol == "vnc" ? "true" : null,
        };
        foreach (var (k, v) in overrides ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var warnings = new WarningCounter(log);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddProvider(warnings).SetMinimumLevel(log is null ? LogLevel.Warning : LogLevel.Information);

        // Registered before AddAppliance, whose TryAdd then keeps it: every IUplink consumer gets the recorder.
        builder.Services.AddSingleton(sp => new RecordingUplink(sp.GetRequiredService<MqttUplink>()));
        builder.Services.AddSingleton<IUplink>(sp => sp.GetRequiredService<RecordingUplink>());
        builder.Services.AddSingleton(sp => new RecordingDownlink(sp.GetRequiredService<SessionManager>()));
        builder.Services.AddSingleton<IDownlinkHandler>(sp => sp.GetRequiredService<RecordingDownlink>());
        builder.Services.AddAppliance(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var appliance = new InProcessAppliance(id, host, warnings);
        await appliance.WaitConnectedAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return appliance;
    }

    private async Task WaitConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // IsConnected turns true once the cloud acknowledged the appliance's Hello.
            while (!Uplink.IsConnected)
            {
                await Task.Delay(10, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Appliance {Id} did not connect within {timeout.TotalSeconds:0} s: {Warnings.Last}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            try
            {
                _host.Dispose();
            }
            catch (ObjectDisposedException)
            {
                // In the product, SessionManager is registered as itself and as IDownlinkHandler, so the container
                // disposes it twice and the second DisposeAsync throws (reported). Here IDownlinkHandler is the
                // recorder, so this should not happen; kept so a teardown problem never hides the figures.
            }
        }
    }
}

/// <summary>Counts warnings and errors a host logged, keeping the last few; writes Information and above to <paramref name="log"/> if given.</summary>
public sealed class WarningCounter(TextWriter? log = null) : ILoggerProvider
{
    private readonly TextWriter? _log = log;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _recent = new();
    private int _errors;
    private int _warnings;

    public int Errors => Volatile.Read(ref _errors);

    public int WarningsLogged => Volatile.Read(ref _warnings);

    public string Last => string.Join(" | ", _recent);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(WarningCounter owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= (owner._log is null ? LogLevel.Warning : LogLevel.Information);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (owner._log is { } writer && logLevel >= LogLevel.Information)
            {
                lock (writer)
                {
                    try
                    {
                        writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
                        writer.Flush();
                    }
                    catch (ObjectDisposedException)
                    {
                        // A line after the stack's teardown closed the file.
                    }
                }
            }

            if (logLevel >= LogLevel.Error)
            {
                Interlocked.Increment(ref owner._errors);
            }
            else if (logLevel == LogLevel.Warning)
            {
                Interlocked.Increment(ref owner._warnings);
            }
            else
            {
                return;
            }

            owner._recent.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetBaseException().Message}");
            while (owner._recent.Count > 5)
            {
                owner._recent.TryDequeue(out _);
            }
        }
    }
}
