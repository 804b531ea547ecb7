using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeGateway.Testing;

/// <summary>
/// A real RDP server on 127.0.0.1 for tests: FreeRDP's shadow server (<c>freerdp-shadow-cli</c>) serving an Xvfb screen
/// on a free display, on a free port, with NLA (CredSSP) checking a throwaway account through a SAM file made by
/// <c>winpr-hash</c> — a wrong password fails the connect as on a Windows host. Its HOME is a temp folder (it writes its
/// certificate there on first start). X clients run on its display; every process is killed on dispose.
/// </summary>
public sealed class RdpServer : XDisplayHost
{
    /// <summary>The account's user name.</summary>
    public const string DefaultUser = "plant-operator";

    /// <summary>The account's password.</summary>
    public const string DefaultPassword = "rdp-Pass-1";

    private RdpServer(string directory)
        : base(directory)
    {
    }

    /// <summary>The user name NLA accepts.</summary>
    public string User => DefaultUser;

    /// <summary>The password NLA accepts.</summary>
    public string Password => DefaultPassword;

    /// <summary>The server's TLS certificate, as the test's own TLS handshake read it.</summary>
    public X509Certificate2 Certificate { get; private set; } = null!;

    /// <summary>SHA-256 of the certificate's DER, 64 upper-case hex digits (the form the appliance reports and pins).</summary>
    public string CertificateFingerprint => Convert.ToHexString(SHA256.HashData(Certificate.RawData));

    /// <summary>Starts Xvfb (<paramref name="width"/> × <paramref name="height"/>) and the shadow server with NLA.</summary>
    public static async Task<RdpServer> StartAsync(int width = 1024, int height = 768)
    {
        for (var attempt = 0; ; attempt++)
        {
            var server = new RdpServer(Directory.CreateTempSubdirectory("eg-rdp-").FullName);
            try
            {
                await server.LaunchAsync(width, height);
                return server;
            }
            catch (Exception ex)
            {
                await server.DisposeAsync();
                if (ex is not InvalidOperationException || attempt >= 3)
                {
                    throw;
                }
            }
        }
    }

    private async Task LaunchAsync(int width, int height)
    {
        await StartXvfbAsync(width, height);
        var sam = Path.Combine(_directory, "sam");
        var hash = await ProcessRunner.RunCheckedAsync("winpr-hash", ["-u", DefaultUser, "-p", DefaultPassword, "-f", "sam"]);
        await File.WriteAllTextAsync(sam, hash.Output.Trim() + "\n");
        Port = FreePort.Get();
        Launch("freerdp-shadow-cli", ["/bind-address:127.0.0.1", $"/port:{Port.ToString(CultureInfo.InvariantCulture)}", "+auth", "/sec:nla", $"/sam-file:{sam}"], "shadow.log");
        Certificate = await WaitForCertificateAsync();
    }

    /// <summary>Waits until the server speaks TLS (after RDP's X.224 negotiation) and returns its certificate.</summary>
    private async Task<X509Certificate2> WaitForCertificateAsync()
    {
        var server = _processes[^1];
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"freerdp-shadow-cli exited at start: {Log}");
            }

            try
            {
                return await ReadCertificateAsync(Port);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                await Task.Delay(50); // not listening yet
            }
        }

        throw new InvalidOperationException($"freerdp-shadow-cli did not answer on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s: {Log}");
    }

    /// <summary>An X.224 Connection Request asking for TLS and CredSSP (MS-RDPBCGR 2.2.1.1), then a TLS handshake for the certificate.</summary>
    private static async Task<X509Certificate2> ReadCertificateAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        byte[] request = [0x03, 0x00, 0x00, 0x13, 0x0E, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00];
        await stream.WriteAsync(request, timeout.Token);
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, timeout.Token);
        var rest = new byte[((header[2] << 8) | header[3]) - 4];
        await stream.ReadExactlyAsync(rest, timeout.Token);
        X509Certificate2? certificate = null;
        await using var tls = new System.Net.Security.SslStream(stream, false, (_, cert, _, _) =>
        {
            certificate = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
            return true;
        });
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, timeout.Token);
        return certificate ?? throw new IOException("no certificate");
    }

    protected override void OnDisposed() => Certificate?.Dispose();
}
