using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Rfb;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Vnc;

/// <summary>A connection attempt that failed in a way the user is told about: the reason and the sentence they see.</summary>
internal sealed class VncConnectException(EndReason reason, string message) : Exception(message)
{
    public EndReason Reason { get; } = reason;
}

/// <summary>
/// One RFB connection to a device (RFC 6143), from the TCP connect through the handshake to ServerInit, then the
/// transport for the session: <see cref="Input"/> (a <see cref="PipeReader"/> over the TCP or TLS stream) for the read
/// loop, and <see cref="SendAsync"/> for client messages, one writer at a time.
/// </summary>
/// <remarks>
/// Security, most preferred first: VeNCrypt with an X.509 sub-type (TLS; the device's certificate pinned per endpoint
/// on first use), VNC authentication, None (when the password is empty, or the device offers nothing else). The last two
/// are unencrypted (VNC authentication is a DES challenge–response, the screen and keys cross in clear): they are
/// refused unless the endpoint allows legacy security (<c>AllowLegacyAlgorithms</c>), and the session is marked legacy. The
/// anonymous-TLS VeNCrypt sub-types need anonymous Diffie-Hellman cipher suites that .NET does not offer: when a device
/// offers only those, the connection is made again with the device's other types, or refused with that explanation.
/// The password is used for the DES response or the Plain credentials and nowhere else.
/// </remarks>
internal sealed class VncConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _writeBuffer = new(256);

    private VncConnection(TcpClient tcp, Stream stream, PipeReader input, RfbVersion version, string security, string? tlsCipher, string? certificate, RfbServerInit init)
    {
        _tcp = tcp;
        _stream = stream;
        Input = input;
        Version = version;
        Security = security;
        TlsCipher = tlsCipher;
        CertificateFingerprint = certificate;
        ServerInit = init;
    }

    private delegate bool Parser<T>(ref SequenceReader<byte> reader, out T value);

    /// <summary>Server-to-client messages after ServerInit.</summary>
    public PipeReader Input { get; }

    /// <summary>The RFB version both sides speak.</summary>
    public RfbVersion Version { get; }

    /// <summary>"None", "VNC authentication", "VeNCrypt X509Vnc", …</summary>
    public string Security { get; }

    /// <summary>The TLS cipher suite (VeNCrypt), or null without TLS.</summary>
    public string? TlsCipher { get; }

    /// <summary>The device's X.509 certificate SHA-256 (VeNCrypt), or null.</summary>
    public string? CertificateFingerprint { get; }

    /// <summary>The device's screen size, pixel format and desktop name at connect.</summary>
    public RfbServerInit ServerInit { get; }

    /// <summary>
    /// Connects and runs the handshake through ServerInit, then sends SetPixelFormat (RGB888) and SetEncodings.
    /// </summary>
    /// <exception cref="VncConnectException">The device is unreachable, refused, broke the protocol or took too long.</exception>
    public static async Task<VncConnection> ConnectAsync(
        string endpointId, string host, int port, string username, Secret password, VncOptions options, VncCertificatePins pins,
        bool allowUnencrypted, IReadOnlyList<int> encodings, TimeProvider time, CancellationToken cancellationToken)
    {
        var where = $"{host}:{port}";
        var avoidVeNCrypt = false;
        for (var attempt = 0; ; attempt++)
        {
            var tcp = new TcpClient { NoDelay = true };
            try
            {
                using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connectTimeout.CancelAfter(options.ConnectTimeout);
                    try
                    {
                        await tcp.ConnectAsync(host, port, connectTimeout.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new VncConnectException(EndReason.Unreachable, $"The device at {where} did not answer within {options.ConnectTimeout.TotalSeconds:0} s.");
                    }
                    catch (SocketException se)
                    {
                        throw new VncConnectException(EndReason.Unreachable, $"Could not reach the device at {where}: {se.SocketErrorCode}.");
                    }
                }

                using var handshakeTimeout = new CancellationTokenSource(options.HandshakeTimeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handshakeTimeout.Token);
                try
                {
                    var handshake = new Handshake(tcp, endpointId, host, username, password, pins, avoidVeNCrypt, allowUnencrypted);
                    return await handshake.RunAsync(encodings, linked.Token);
                }
                catch (OperationCanceledException) when (handshakeTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new VncConnectException(EndReason.Unreachable, $"The device at {where} did not complete the VNC handshake within {options.HandshakeTimeout.TotalSeconds:0} s.");
                }
                catch (RetryWithoutVeNCrypt) when (attempt == 0)
                {
                    avoidVeNCrypt = true;
                    tcp.Dispose();
                    continue;
                }
                catch (RfbProtocolException ex)
                {
                    throw new VncConnectException(EndReason.Error, ex.Message);
                }
                catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException)
                {
                    throw new VncConnectException(EndReason.Error, $"The device at {where} closed the connection during the VNC handshake.");
                }
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        }
    }

    /// <summary>Asks for a framebuffer update of the whole screen (incremental: only what changed).</summary>
    public ValueTask RequestUpdateAsync(bool incremental, int width, int height, CancellationToken cancellationToken) =>
        SendAsync(b => RfbClientMessages.WriteFramebufferUpdateRequest(b, incremental, 0, 0, width, height), cancellationToken);

    /// <summary>Writes one client message; writers take turns (the read loop's update requests and the Controller's input).</summary>
    public async ValueTask SendAsync(Action<IBufferWriter<byte>> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            _writeBuffer.ResetWrittenCount();
            write(_writeBuffer);
            await _stream.WriteAsync(_writeBuffer.WrittenMemory, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Closes the connection; a pending read ends.</summary>
    public void Abort()
    {
        try
        {
            _tcp.Client?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed already.
        }

        _tcp.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        await Input.CompleteAsync();
        await _stream.DisposeAsync();
        _writeLock.Dispose();
    }

    /// <summary>Thrown inside the handshake when the device's VeNCrypt offers only anonymous TLS and it has other types.</summary>
    private sealed class RetryWithoutVeNCrypt : Exception;

    /// <summary>The client side of RFC 6143 §7.1–7.3 on one TCP connection.</summary>
    private sealed class Handshake(TcpClient tcp, string endpointId, string host, string username, Secret password, VncCertificatePins pins, bool avoidVeNCrypt, bool allowUnencrypted)
    {
        private Stream _stream = tcp.GetStream();
        private PipeReader _input = PipeReader.Create(tcp.GetStream(), new StreamPipeReaderOptions(leaveOpen: true));
        private string? _cipher;
        private string? _fingerprint;

        public async Task<VncConnection> RunAsync(IReadOnlyList<int> encodings, CancellationToken cancellationToken)
        {
            var version = await ReadAsync<RfbVersion>(RfbHandshake.TryReadProtocolVersion, cancellationToken);
            await WriteAsync(RfbHandshake.WriteProtocolVersion(version), cancellationToken);

            var offer = await ReadAsync((ref SequenceReader<byte> r, out RfbSecurityOffer o) => RfbHandshake.TryReadSecurityTypes(ref r, version, out o), cancellationToken);
            if (offer.Types.Count == 0)
            {
                throw new VncConnectException(EndReason.Refused, $"The device refused the connection: {Clean(offer.FailureReason)}");
            }

            var type = Choose(offer.Types, version);
            if (type is RfbSecurityType.None or RfbSecurityType.VncAuth && !allowUnencrypted)
            {
                // Secure by default, as for SSH's legacy algorithms: an admin allows it for one endpoint.
                throw new VncConnectException(EndReason.Refused,
                    $"The device offers no encrypted VNC security ({string.Join(", ", offer.Types.Select(RfbSecurityType.Describe))}): the session, and a VNC password, would cross the plant network unprotected. " +
                    "Configure the device for VeNCrypt with an X.509 certificate, or let an administrator allow unencrypted VNC for this endpoint (AllowLegacyAlgorithms).");
            }

            if (version != RfbVersion.Rfb33)
            {
                await WriteAsync(RfbHandshake.WriteSecurityChoice(type), cancellationToken);
            }

            string security;
            switch (type)
            {
                case RfbSecurityType.None:
                    security = "None";
                    if (version == RfbVersion.Rfb38)
                    {
                        await ReadResultAsync(version, "The device refused the connection", cancellationToken);
                    }

                    break;
                case RfbSecurityType.VncAuth:
                    security = "VNC authentication";
                    await VncAuthAsync(version, cancellationToken);
                    break;
                default:
                    security = "VeNCrypt " + VeNCryptSubtype.Describe(await VeNCryptAsync(offer.Types, version, cancellationToken));
                    break;
            }

            await WriteAsync(RfbHandshake.WriteClientInit(shared: true), cancellationToken);
            var init = await ReadAsync<RfbServerInit>(RfbHandshake.TryReadServerInit, cancellationToken);
            if ((long)init.Width * init.Height > RfbLimits.Default.MaxPixels)
            {
                throw new VncConnectException(EndReason.Refused, $"The device's screen is {init.Width}×{init.Height}, more than the {RfbLimits.Default.MaxPixels:N0} pixels the appliance accepts.");
            }

            var connection = new VncConnection(tcp, _stream, _input, version, security, _cipher, _fingerprint, init);
            await connection.SendAsync(b => RfbClientMessages.WriteSetPixelFormat(b, RfbPixelFormat.Rgb888), cancellationToken);
            await connection.SendAsync(b => RfbClientMessages.WriteSetEncodings(b, encodings), cancellationToken);
            return connection;
        }

        private uint Choose(IReadOnlyList<uint> offered, RfbVersion version)
        {
            if (version == RfbVersion.Rfb33)
            {
                var only = offered[0];
                return only is RfbSecurityType.None or RfbSecurityType.VncAuth ? only
                    : throw new VncConnectException(EndReason.Refused, $"The device (RFB 3.3) requires {RfbSecurityType.Describe(only)} security, which the appliance does not support.");
            }

            var hasPassword = password.Reveal().Length > 0;
            uint[] preference = hasPassword
                ? [RfbSecurityType.VeNCrypt, RfbSecurityType.VncAuth, RfbSecurityType.None]
                : [RfbSecurityType.VeNCrypt, RfbSecurityType.None, RfbSecurityType.VncAuth];
            foreach (var candidate in preference)
            {
                if (offered.Contains(candidate) && !(candidate == RfbSecurityType.VeNCrypt && avoidVeNCrypt))
                {
                    return candidate;
                }
            }

            throw new VncConnectException(EndReason.Refused,
                $"The device offers only {string.Join(", ", offered.Select(RfbSecurityType.Describe))} security, which the appliance does not support (it supports VeNCrypt X.509, VNC authentication and None).");
        }

        private async Task VncAuthAsync(RfbVersion version, CancellationToken cancellationToken)
        {
            var challenge = await ReadAsync<byte[]>(RfbHandshake.TryReadVncChallenge, cancellationToken);
            await WriteAsync(VncAuthentication.Respond(challenge, password.Reveal()), cancellationToken);
            await ReadResultAsync(version, "The device refused the VNC password", cancellationToken);
        }

        private async Task ReadResultAsync(RfbVersion version, string refusal, CancellationToken cancellationToken)
        {
            var result = await ReadAsync((ref SequenceReader<byte> r, out RfbSecurityResult s) => RfbHandshake.TryReadSecurityResult(ref r, version, out s), cancellationToken);
            if (!result.Succeeded)
            {
                throw new VncConnectException(EndReason.AuthenticationFailed, result.Reason is { Length: > 0 } reason ? $"{refusal}: {Clean(reason)}" : refusal + ".");
            }
        }

        private async Task<uint> VeNCryptAsync(IReadOnlyList<uint> offeredTypes, RfbVersion version, CancellationToken cancellationToken)
        {
            await ReadAsync<(byte, byte)>(RfbHandshake.TryReadVeNCryptVersion, cancellationToken);
            await WriteAsync(RfbHandshake.WriteVeNCryptVersion(), cancellationToken);
            var subtypes = await ReadAsync<IReadOnlyList<uint>>(RfbHandshake.TryReadVeNCryptSubtypes, cancellationToken);
            if (subtypes.Count == 0)
            {
                throw new VncConnectException(EndReason.Refused, "The device refused VeNCrypt version 0.2.");
            }

            var hasUser = username.Length > 0;
            uint[] preference = hasUser
                ? [VeNCryptSubtype.X509Plain, VeNCryptSubtype.X509Vnc, VeNCryptSubtype.X509None]
                : [VeNCryptSubtype.X509Vnc, VeNCryptSubtype.X509None, VeNCryptSubtype.X509Plain];
            var chosen = preference.FirstOrDefault(subtypes.Contains);
            if (chosen == 0)
            {
                var offered = string.Join(", ", subtypes.Select(VeNCryptSubtype.Describe));
                if (offeredTypes.Any(t => t is RfbSecurityType.VncAuth or RfbSecurityType.None))
                {
                    throw new RetryWithoutVeNCrypt();
                }

                throw new VncConnectException(EndReason.Refused, subtypes.Any(VeNCryptSubtype.IsAnonymousTls)
                    ? $"The device offers only anonymous TLS ({offered}), which needs anonymous Diffie-Hellman ciphers the appliance does not use: configure the device with an X.509 certificate (VeNCrypt X509Vnc, X509Plain or X509None)."
                    : $"The device offers VeNCrypt {offered}, which the appliance does not support (it needs X509Vnc, X509Plain or X509None).");
            }

            await WriteAsync(RfbHandshake.WriteVeNCryptSubtype(chosen), cancellationToken);
            var accepted = await ReadAsync<bool>(RfbHandshake.TryReadVeNCryptSubtypeAck, cancellationToken);
            if (!accepted)
            {
                throw new VncConnectException(EndReason.Refused, $"The device refused VeNCrypt {VeNCryptSubtype.Describe(chosen)}, which it had offered.");
            }

            await StartTlsAsync(cancellationToken);
            switch (chosen)
            {
                case VeNCryptSubtype.X509Vnc:
                    await VncAuthAsync(RfbVersion.Rfb38, cancellationToken);
                    break;
                case VeNCryptSubtype.X509Plain:
                    await WriteAsync(RfbHandshake.WritePlainCredentials(username, password.Reveal()), cancellationToken);
                    await ReadResultAsync(RfbVersion.Rfb38, "The device refused the user name or password", cancellationToken);
                    break;
                default:
                    await ReadResultAsync(version == RfbVersion.Rfb33 ? RfbVersion.Rfb38 : version, "The device refused the connection", cancellationToken);
                    break;
            }

            return chosen;
        }

        private async Task StartTlsAsync(CancellationToken cancellationToken)
        {
            // The device waits for our ClientHello: nothing may be buffered beyond the sub-type acknowledgement.
            if (_input.TryRead(out var rest))
            {
                var extra = rest.Buffer.Length;
                _input.AdvanceTo(rest.Buffer.Start);
                if (extra > 0)
                {
                    throw new RfbProtocolException("The device sent data before the TLS handshake of VeNCrypt.");
                }
            }

            await _input.CompleteAsync();
            X509Certificate2? presented = null;
            var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,

                    // Self-signed device certificates are the rule: trust is the pin checked below, before anything is sent.
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        presented = certificate is null ? null : new X509Certificate2(certificate);
                        return certificate is not null;
                    },
                }, cancellationToken);
            }
            catch (AuthenticationException ex)
            {
                await tls.DisposeAsync();
                throw new VncConnectException(EndReason.Refused, $"The TLS handshake with the device failed: {ex.Message}");
            }

            using (presented)
            {
                var fingerprint = VncCertificatePins.Fingerprint(presented!);
                var pinned = pins.CheckOrPin(endpointId, fingerprint, out _);
                if (pinned is not null)
                {
                    await tls.DisposeAsync();
                    throw new VncConnectException(EndReason.Refused,
                        $"The device's TLS certificate (SHA-256 {fingerprint}) is not the one pinned for this endpoint on first use (SHA-256 {pinned}). If the device's certificate was replaced on purpose, an administrator removes the endpoint's entry from {pins.Path}.");
                }

                _fingerprint = fingerprint;
            }

            _cipher = tls.NegotiatedCipherSuite.ToString();
            _stream = tls;
            _input = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        }

        private async Task<T> ReadAsync<T>(Parser<T> parse, CancellationToken cancellationToken)
        {
            while (true)
            {
                var result = await _input.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                if (TryParse(buffer, parse, out var value, out var consumed))
                {
                    _input.AdvanceTo(consumed);
                    return value;
                }

                if (result.IsCompleted)
                {
                    throw new EndOfStreamException();
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
            }
        }

        private static bool TryParse<T>(ReadOnlySequence<byte> buffer, Parser<T> parse, out T value, out SequencePosition consumed)
        {
            var reader = new SequenceReader<byte>(buffer);
            var ok = parse(ref reader, out value);
            consumed = reader.Position;
            return ok;
        }

        private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            await _stream.WriteAsync(bytes, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }

        /// <summary>A device's reason is shown to people: printable characters only, at most 256.</summary>
        private static string Clean(string? reason)
        {
            var text = new string([.. (reason ?? string.Empty).Where(c => !char.IsControl(c)).Take(256)]).Trim();
            return text.Length == 0 ? "no reason given." : text.EndsWith('.') ? text : text + ".";
        }
    }
}
