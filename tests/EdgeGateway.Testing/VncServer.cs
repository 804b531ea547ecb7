using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeGateway.Testing;

/// <summary>How a test VNC server authenticates clients.</summary>
public enum VncSecurity
{
    /// <summary>No authentication (security type 1).</summary>
    None,

    /// <summary>VNC authentication (security type 2) with <see cref="VncServer.Password"/>.</summary>
    VncAuth,

    /// <summary>VeNCrypt X509Vnc: TLS with the server's self-signed certificate, then VNC authentication (TigerVNC only).</summary>
    X509Vnc,

    /// <summary>VeNCrypt X509None: TLS with the server's certificate, no authentication (TigerVNC only).</summary>
    X509None,

    /// <summary>VeNCrypt TLSVnc only: anonymous TLS, then VNC authentication (TigerVNC only; the appliance refuses it).</summary>
    TlsVncOnly,

    /// <summary>VeNCrypt TLSVnc, then plain VncAuth: TigerVNC's default without a certificate.</summary>
    TlsVncOrVncAuth,
}

/// <summary>
/// A real VNC server on 127.0.0.1 for tests, on a free X display number and a free TCP port: TigerVNC's Xvnc (an X
/// server with RFB built in), or x11vnc serving an Xvfb screen (a different RFB implementation, which can be forced to
/// RFB 3.3). X clients run on its display (<see cref="StartClient"/>, <see cref="RunAsync"/>); <see cref="CaptureAsync"/>
/// reads the X server's own pixels for comparison. Every process it started is killed on dispose.
/// </summary>
public sealed class VncServer : XDisplayHost
{
    /// <summary>The password of servers started with authentication.</summary>
    public const string DefaultPassword = "plant-vnc1";

    private VncServer(string directory)
        : base(directory)
    {
    }

    /// <summary>The VNC password, or empty for <see cref="VncSecurity.None"/>.</summary>
    public string Password { get; private set; } = string.Empty;

    /// <summary>The server's TLS certificate (VeNCrypt X509 only).</summary>
    public X509Certificate2? Certificate { get; private set; }

    /// <summary>"Xvnc" or "x11vnc".</summary>
    public string Implementation { get; private set; } = string.Empty;


    /// <summary>Starts TigerVNC's Xvnc at 800×600, depth 24.</summary>
    public static Task<VncServer> StartTigerVncAsync(VncSecurity security, int width = 800, int height = 600) =>
        StartAsync("Xvnc", server => server.LaunchXvncAsync(security, width, height));

    /// <summary>Starts Xvfb at 800×600×24 and x11vnc on it; <paramref name="rfb33"/> makes x11vnc speak RFB 3.3 only.</summary>
    public static Task<VncServer> StartX11VncAsync(bool withPassword, bool rfb33 = false) =>
        StartAsync("x11vnc", server => server.LaunchX11VncAsync(withPassword, rfb33));

    private static async Task<VncServer> StartAsync(string implementation, Func<VncServer, Task> launch)
    {
        for (var attempt = 0; ; attempt++)
        {
            var server = new VncServer(Directory.CreateTempSubdirectory("eg-vnc-").FullName) { Implementation = implementation };
            try
            {
                await launch(server);
                return server;
            }
            catch (Exception ex)
            {
                // Nothing is left running whatever failed; a display or port taken meanwhile is tried again on another number.
                await server.DisposeAsync();
                if (ex is not InvalidOperationException || attempt >= 3)
                {
                    throw;
                }
            }
        }
    }

    private async Task LaunchXvncAsync(VncSecurity security, int width, int height)
    {
        var (number, port) = (FreeDisplay(), FreePort.Get());
        var arguments = new List<string>
        {
            $":{number}", "-rfbport", port.ToString(CultureInfo.InvariantCulture), "-localhost", "-nolisten", "tcp",
            "-UseBlacklist=0", "-geometry", $"{width}x{height}", "-depth", "24", "-AlwaysShared", "-desktop", "eg-test",
        };
        if (security != VncSecurity.None)
        {
            Password = DefaultPassword;
            var passwd = Path.Combine(_directory, "passwd");
            // vncpasswd -f writes 8 binary bytes: straight to the file (a text pipe would mangle them).
            await ProcessRunner.RunCheckedAsync("sh", ["-c", "vncpasswd -f > \"$0\"", passwd], Password + "\n");
            arguments.AddRange(["-PasswordFile", passwd]);
        }

        switch (security)
        {
            case VncSecurity.None:
                arguments.AddRange(["-SecurityTypes", "None"]);
                break;
            case VncSecurity.VncAuth:
                arguments.AddRange(["-SecurityTypes", "VncAuth"]);
                break;
            case VncSecurity.TlsVncOnly:
                arguments.AddRange(["-SecurityTypes", "TLSVnc"]);
                break;
            case VncSecurity.TlsVncOrVncAuth:
                arguments.AddRange(["-SecurityTypes", "TLSVnc,VncAuth"]);
                break;
            default:
                var (cert, key) = WriteCertificate();
                arguments.AddRange(["-SecurityTypes", security == VncSecurity.X509Vnc ? "X509Vnc" : "X509None", "-X509Cert", cert, "-X509Key", key]);
                break;
        }

        Display = $":{number}";
        Port = port;
        Launch("Xvnc", arguments, "xvnc.log");
        await WaitForBannerAsync();
    }

    private async Task LaunchX11VncAsync(bool withPassword, bool rfb33)
    {
        await StartXvfbAsync(800, 600);
        var port = FreePort.Get();
        Port = port;

        var arguments = new List<string>
        {
            "-display", Display, "-rfbport", port.ToString(CultureInfo.InvariantCulture), "-localhost", "-forever", "-shared",
            "-noxdamage", "-nocursor", "-noipv6", "-nolookup", "-quiet",
            // No MIT-SHM: x11vnc's shared-memory copy of the screen outlives it when it is killed (one 1.9 MB SysV
            // segment per run, until the machine's segment table is full and x11vnc no longer starts).
            "-noshm",
        };
        if (withPassword)
        {
            Password = DefaultPassword;
            var passwd = Path.Combine(_directory, "passwd");
            await ProcessRunner.RunCheckedAsync("x11vnc", ["-storepasswd", Password, passwd]);
            arguments.AddRange(["-rfbauth", passwd]);
        }
        else
        {
            arguments.Add("-nopw");
        }

        if (rfb33)
        {
            arguments.AddRange(["-rfbversion", "3.3"]);
        }

        Launch("x11vnc", arguments, "x11vnc.log");
        await WaitForBannerAsync();
    }
    private async Task WaitForBannerAsync()
    {
        var server = _processes[^1];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"{Implementation} exited at start: {Log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                var banner = new byte[12];
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.GetStream().ReadExactlyAsync(banner, timeout.Token);
                if (banner.AsSpan().StartsWith("RFB "u8))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or EndOfStreamException)
            {
                // Not listening yet.
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"{Implementation} did not answer on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s: {Log}");
    }

    protected override void OnDisposed() => Certificate?.Dispose();

    private (string Cert, string Key) WriteCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=eg-test-vnc", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Path.Combine(_directory, "cert.pem");
        var keyPath = Path.Combine(_directory, "key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        Certificate = X509CertificateLoader.LoadCertificate(certificate.RawData);
        certificate.Dispose();
        return (certPath, keyPath);
    }
}
