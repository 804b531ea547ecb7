using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Testing;

namespace EdgeGateway.Bench.Harness;

/// <summary>A logged-in browser user: HTTP client for the API, cookie header for WebSockets.</summary>
public sealed record WebUser(string Name, HttpClient Http, string CookieHeader);

/// <summary>
/// One measuring set-up: the cloud process, N appliances in this process, all pointed at the one real sshd.
/// Each scenario makes its own (nothing warm is shared between scenarios but the sshd and the JIT of the harness).
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    public const int Columns = 100;
    public const int Rows = 30;

    /// <summary>
    /// Sent once to every shell, gateway and direct alike: a short prompt, the two load generators (pure bash) and a
    /// marker. <c>f</c> is the output burst of scenario 1b (a start marker on its own, then <c>seq</c>); <c>g N [S]</c> prints N fixed 100-byte lines, one every S seconds (default 0.05: 20 lines/s)
    /// (a <c>read -t</c> on a pipe nobody writes: no fork per line).
    /// </summary>
    public const string ShellSetup =
        "PS1='$ '; f(){ printf '%s%s\\n' BURST START; sleep 0.05; seq 1 200000; printf '%s%s\\n' BURST END; }; "
        + "g(){ exec 3<> <(:); local i=0; while [ $i -lt $1 ]; do printf 'fan-out %06d 0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\\n' $i; i=$((i+1)); read -t ${2:-0.05} -u 3; done; exec 3<&-; printf '%s%s\\n' FAN DONE; }; "
        + "clear; echo READY-$((6*7))\r";

    public const string ReadyMarker = "READY-42";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly List<WebUser> _users = [];

    private readonly StreamWriter _applianceLog;

    private BenchStack(BenchContext context, CloudProcess cloud, List<InProcessAppliance> appliances, string directory, StreamWriter applianceLog)
    {
        _applianceLog = applianceLog;
        Context = context;
        Cloud = cloud;
        Appliances = appliances;
        Directory = directory;
    }

    public BenchContext Context { get; }

    public CloudProcess Cloud { get; }

    public IReadOnlyList<InProcessAppliance> Appliances { get; }

    public string Directory { get; }

    public SshServer Device => Context.Device;

    /// <summary>The cloud process and <paramref name="appliances"/> in-process appliances whose endpoint is <paramref name="endpoint"/> (default: the shared sshd).</summary>
    public static async Task<BenchStack> StartAsync(BenchContext context, string name, int appliances, IDictionary<string, string?>? applianceOverrides = null, BenchEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        endpoint ??= BenchEndpoint.Ssh(context.Device);
        var directory = System.IO.Directory.CreateTempSubdirectory("eg-bench-" + name + "-").FullName;
        var cloud = await CloudProcess.StartAsync(directory, Path.Combine(context.OutputDirectory, "logs", name + "-cloud.log"), context.Cancellation);
        var list = new List<InProcessAppliance>();
        var log = new StreamWriter(Path.Combine(context.OutputDirectory, "logs", name + "-appliances.log"));
        try
        {
            for (var i = 0; i < appliances; i++)
            {
                list.Add(await InProcessAppliance.StartAsync(cloud, $"bench-{name}-{i}", endpoint, Path.Combine(directory, "appliances"), applianceOverrides, log, context.Cancellation));
            }
        }
        catch
        {
            foreach (var a in list)
            {
                await a.DisposeAsync();
            }

            await cloud.DisposeAsync();
            await log.DisposeAsync();
            throw;
        }

        return new BenchStack(context, cloud, list, directory, log);
    }

    public Task<WebUser> LoginAdminAsync() => LoginAsync(CloudProcess.AdminName, Cloud.AdminPassword);

    public Task<WebUser> LoginViewerAsync() => LoginAsync(CloudProcess.ViewerName, Cloud.ViewerPassword);

    public async Task<WebUser> LoginAsync(string name, string password)
    {
        var cookies = new CookieContainer();
        var http = Cloud.CreateHttpClient(cookies);
        using var response = await http.PostAsJsonAsync(new Uri("/api/auth/login", UriKind.Relative), new { username = name, password }, Context.Cancellation);
        response.EnsureSuccessStatusCode();
        var user = new WebUser(name, http, cookies.GetCookieHeader(Cloud.BaseAddress));
        _users.Add(user);
        return user;
    }

    /// <summary>
    /// Starts a session through the API as the Controller with the sshd's account (or the given credentials, e.g. a VNC
    /// password and no user name); returns its id and how long the API call took.
    /// </summary>
    public async Task<(string SessionId, TimeSpan Took)> StartSessionAsync(WebUser controller, string applianceId, string? username = null, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        var started = Stopwatch.GetTimestamp();
        using var response = await controller.Http.PostAsJsonAsync(
            new Uri("/api/sessions", UriKind.Relative),
            new { applianceId, endpointId = InProcessAppliance.EndpointId, username = username ?? Device.UserName, password = password ?? Device.Password, columns = Columns, rows = Rows },
            Context.Cancellation);
        var took = Stopwatch.GetElapsedTime(started);
        var text = await response.Content.ReadAsStringAsync(Context.Cancellation);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Session start failed: {(int)response.StatusCode} {text}");
        }

        return (JsonSerializer.Deserialize<SessionView>(text, Json)!.Id, took);
    }

    public async Task StopSessionAsync(WebUser controller, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(controller);
        using var response = await controller.Http.DeleteAsync(new Uri($"/api/sessions/{sessionId}", UriKind.Relative), Context.Cancellation);
    }

    public Task<ViewerClient> OpenStreamAsync(WebUser user, string sessionId, FrameObserver? observer, TextObserver? textObserver = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        return ViewerClient.ConnectAsync(Cloud.BaseAddress, user.CookieHeader, Cloud.AuthorityCertificate, observer, Context.Cancellation, sessionId, textObserver);
    }

    /// <summary>A session on <paramref name="appliance"/> driven through the browser protocol, its shell prepared.</summary>
    public async Task<GatewayTerminal> OpenGatewayTerminalAsync(WebUser controller, InProcessAppliance appliance)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        var (sessionId, took) = await StartSessionAsync(controller, appliance.Id);
        var probe = new TerminalProbe();
        var stream = await OpenStreamAsync(controller, sessionId, (in header, payload, at) =>
        {
            if (header.Type == Protocol.Stream.FrameType.TerminalOutput)
            {
                probe.Observe(payload, at);
            }
        });
        var terminal = new GatewayTerminal(this, controller, appliance, sessionId, stream, probe, took);
        await terminal.PrepareAsync();
        return terminal;
    }

    /// <summary>The baseline: SSH.NET straight to the same sshd, its shell prepared the same way.</summary>
    public async Task<DirectTerminal> OpenDirectTerminalAsync()
    {
        var probe = new TerminalProbe();
        var (shell, localPort) = DirectShell.Connect(Device, Columns, Rows, (data, at) => probe.Observe(data.Span, at));
        var terminal = new DirectTerminal(shell, probe, localPort, Device.Port);
        await terminal.PrepareAsync();
        return terminal;
    }

    /// <summary>The appliance's MQTT/TLS connection (a stack with one appliance and no other MQTT clients).</summary>
    public TcpConnection? UpstreamSocket()
    {
        var connections = SocketStats.ToPeerPort(Cloud.BrokerPort);
        return connections.Count == 1 ? connections[0] : null;
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever fails on the way, the cloud process is stopped and the folder removed.
        try
        {
            foreach (var user in _users)
            {
                user.Http.Dispose();
            }

            foreach (var appliance in Appliances)
            {
                try
                {
                    await appliance.DisposeAsync();
                }
                catch (Exception ex)
                {
                    Context.Say($"  (appliance {appliance.Id} teardown: {ex.GetType().Name}: {ex.Message})");
                }
            }
        }
        finally
        {
            await Cloud.DisposeAsync();
            lock (_applianceLog)
            {
                _applianceLog.Dispose();
            }

            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>One side of a side-by-side comparison: a terminal we type into and watch.</summary>
public interface ITerminalSide : IAsyncDisposable
{
    string Name { get; }

    TerminalProbe Probe { get; }

    ValueTask SendAsync(ReadOnlyMemory<byte> input);

    /// <summary>Bytes this side's terminal path produced so far: upstream frame bytes (gateway) or terminal bytes (direct).</summary>
    long PayloadBytes { get; }

    /// <summary>Bytes on the measured TCP connection so far: the appliance's MQTT/TLS upstream, or the direct SSH download; null when unknown.</summary>
    long? SocketBytes { get; }
}

public static class TerminalSideExtensions
{
    public static ValueTask SendTextAsync(this ITerminalSide side, string text)
    {
        ArgumentNullException.ThrowIfNull(side);
        return side.SendAsync(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Sends the shell set-up and waits until it has run (the marker printed).</summary>
    public static async Task PrepareAsync(this ITerminalSide side)
    {
        ArgumentNullException.ThrowIfNull(side);
        var ready = side.Probe.ExpectMarker(BenchStack.ReadyMarker);
        await side.SendTextAsync(BenchStack.ShellSetup);
        try
        {
            await ready.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{side.Name}: the shell set-up did not finish within 20 s. Last text: {side.Probe.RecentText.ReplaceLineEndings("⏎")}");
        }
    }

    /// <summary>Runs <paramref name="command"/> and waits for the marker it prints (computed, so the echoed command line cannot match).</summary>
    public static async Task<long> RunAsync(this ITerminalSide side, string command, string marker, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(side);
        var done = side.Probe.ExpectMarker(marker);
        await side.SendTextAsync(command);
        try
        {
            return await done.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{side.Name}: no '{marker}' within {timeout.TotalSeconds:0} s after '{command.Trim()}'. Last text: {side.Probe.RecentText.ReplaceLineEndings("⏎")}");
        }
    }
}

/// <summary>The gateway side: a session through cloud and appliance, typed into and watched as the Controller.</summary>
public sealed class GatewayTerminal(BenchStack stack, WebUser controller, InProcessAppliance appliance, string sessionId, ViewerClient stream, TerminalProbe probe, TimeSpan startTook) : ITerminalSide
{
    public string Name => "gateway";

    public string SessionId => sessionId;

    public InProcessAppliance Appliance => appliance;

    public ViewerClient Stream => stream;

    public TimeSpan StartTook => startTook;

    public TerminalProbe Probe => probe;

    public long PayloadBytes => appliance.Stream(sessionId).Totals.Bytes;

    public long? SocketBytes => stack.UpstreamSocket()?.BytesSent;

    public ValueTask SendAsync(ReadOnlyMemory<byte> input) => stream.SendInputAsync(input);

    public async ValueTask DisposeAsync()
    {
        await stack.StopSessionAsync(controller, sessionId);
        await stream.Ended.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(static _ => { }, TaskScheduler.Default);
        await stream.DisposeAsync();
    }
}

/// <summary>The baseline side: SSH.NET straight to the sshd.</summary>
public sealed class DirectTerminal(DirectShell shell, TerminalProbe probe, int localPort, int sshPort) : ITerminalSide
{
    public string Name => "direct SSH";

    public TerminalProbe Probe => probe;

    public long PayloadBytes => shell.BytesReceived;

    public long? SocketBytes => localPort > 0 ? SocketStats.Find(localPort, sshPort)?.BytesReceived : null;

    public ValueTask SendAsync(ReadOnlyMemory<byte> input)
    {
        shell.Send(input.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        shell.Dispose();
        return ValueTask.CompletedTask;
    }
}
