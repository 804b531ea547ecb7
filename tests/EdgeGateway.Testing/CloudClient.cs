using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Trust;

namespace EdgeGateway.Testing;

/// <summary>
/// What a browser does against a running cloud, whichever way the cloud runs (in-process or its own process): log in,
/// start a session, open a session stream — trusting the cloud's CA alone.
/// </summary>
public sealed class CloudClient(Uri baseAddress, X509Certificate2 authority)
{
    public Uri BaseAddress { get; } = baseAddress;

    public (HttpClient Client, CookieContainer Cookies) CreateClient()
    {
        var cookies = new CookieContainer();
        var handler = new HttpClientHandler
        {
            CookieContainer = cookies,
            UseCookies = true,
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => PinnedCertificateAuthority.Validate(cert, authority, PinnedCertificateAuthority.ServerAuthOid, out _),
        };
        return (new HttpClient(handler) { BaseAddress = BaseAddress }, cookies);
    }

    public async Task<(HttpClient Client, CookieContainer Cookies)> LoginAsync(string user, string password)
    {
        var (client, cookies) = CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password });
        response.EnsureSuccessStatusCode();
        return (client, cookies);
    }

    /// <summary><c>POST /api/sessions</c> with the device's real credentials, whatever the answer.</summary>
    public static Task<HttpResponseMessage> PostStartAsync(HttpClient client, SshServer device, string applianceId, string endpointId, int columns = 100, int rows = 30)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(device);
        return client.PostAsJsonAsync("/api/sessions", new
        {
            applianceId,
            endpointId,
            username = device.UserName,
            password = device.Password,
            columns,
            rows,
        });
    }

    /// <summary>Starts a session on an endpoint with the device's real credentials; asserts 201 Created.</summary>
    public static async Task<SessionView> StartSessionAsync(HttpClient client, SshServer device, string applianceId, string endpointId, int columns = 100, int rows = 30)
    {
        var response = await PostStartAsync(client, device, applianceId, endpointId, columns, rows);
        var text = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == HttpStatusCode.Created, $"start failed: {(int)response.StatusCode} {text}");
        return System.Text.Json.JsonSerializer.Deserialize<SessionView>(text, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
    }

    public async Task<StreamClient> OpenStreamAsync(CookieContainer cookies, string sessionId)
    {
        var socket = new ClientWebSocket();
        socket.Options.Cookies = cookies;
        socket.Options.SetRequestHeader("Origin", BaseAddress.GetLeftPart(UriPartial.Authority));
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => PinnedCertificateAuthority.Validate(cert, authority, PinnedCertificateAuthority.ServerAuthOid, out _);
        var uri = new UriBuilder(BaseAddress) { Scheme = "wss", Path = $"/api/sessions/{sessionId}/stream" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return new StreamClient(socket);
    }

    /// <summary>
    /// A session stream over a TCP connection with a receive buffer of about <paramref name="receiveBufferBytes"/>
    /// (the kernel doubles it): a viewer on a thin link. Paused (<see cref="StreamClient.Pause"/>), it stops the cloud's
    /// sends within a few frames instead of the megabytes loopback would otherwise absorb.
    /// </summary>
    public async Task<StreamClient> OpenThinStreamAsync(CookieContainer cookies, string sessionId, int receiveBufferBytes = 8 * 1024)
    {
        var handler = new SocketsHttpHandler
        {
            CookieContainer = cookies,
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => PinnedCertificateAuthority.Validate(cert, authority, PinnedCertificateAuthority.ServerAuthOid, out _) },
            ConnectCallback = async (context, cancellationToken) =>
            {
                var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = receiveBufferBytes };
                try
                {
                    await tcp.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
                }
                catch
                {
                    tcp.Dispose();
                    throw;
                }
            },
        };
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", BaseAddress.GetLeftPart(UriPartial.Authority));
        var uri = new UriBuilder(BaseAddress) { Scheme = "wss", Path = $"/api/sessions/{sessionId}/stream" }.Uri;
        await socket.ConnectAsync(uri, new HttpMessageInvoker(handler), CancellationToken.None);
        return new StreamClient(socket);
    }
}
