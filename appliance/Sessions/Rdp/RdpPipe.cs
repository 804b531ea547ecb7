using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Appliance.Sessions.Rdp;

/// <summary>Message types on the pipe between the appliance and its <c>edgegateway-rdp</c> helper (docs/ARCHITECTURE.md "The pipe").</summary>
internal enum RdpMessageType : byte
{
    // appliance → helper

    /// <summary>u16 port, u16 width, u16 height, u8 flags, u32 connect timeout (ms), then host, user, domain, password (u16 length + UTF-8 each).</summary>
    Start = 0x01,

    /// <summary>u8: 1 accept the certificate, 0 refuse it.</summary>
    CertificateAnswer = 0x02,

    /// <summary>u16 RDP pointer flags (MS-RDPBCGR 2.2.8.1.1.3.1.1.3), u16 x, u16 y.</summary>
    Pointer = 0x10,

    /// <summary>u16 keyboard flags (release 0x8000, extended 0x0100), u16 scancode (MS-RDPBCGR 2.2.8.1.1.3.1.1.1).</summary>
    Scancode = 0x11,

    /// <summary>u16 flags (release 0x8000), u16 UTF-16 code unit (MS-RDPBCGR 2.2.8.1.1.3.1.1.2).</summary>
    Unicode = 0x12,

    /// <summary>u16 width, u16 height: ask the server for this desktop size (display control channel, MS-RDPEDISP).</summary>
    Resize = 0x13,

    /// <summary>Empty: disconnect and exit.</summary>
    Stop = 0x14,

    /// <summary>Empty: the liveness probe — a Refresh Rect PDU (MS-RDPBCGR 2.2.11.2) for the top-left pixel, which the server repaints whether it changed or not.</summary>
    Refresh = 0x15,

    // helper → appliance

    /// <summary>The server's TLS certificate, PEM: the helper waits for <see cref="CertificateAnswer"/> before any credential is sent.</summary>
    Certificate = 0x81,

    /// <summary>u16 width, u16 height, u32 selected protocol, u32 RDP version, u8 Unicode input, u8 display control, u8 Refresh Rect.</summary>
    Connected = 0x82,

    /// <summary>u16 x, u16 y, u16 w, u16 h, then w × h × 4 bytes B G R X, row by row.</summary>
    Paint = 0x83,

    /// <summary>u64 bytes the helper has read from the server so far: the painted rectangles make a consistent picture.</summary>
    PaintEnd = 0x84,

    /// <summary>u16 width, u16 height: the desktop changed size (black until repainted).</summary>
    Resized = 0x85,

    /// <summary>u16 hotX, u16 hotY, u16 w, u16 h, then w × h × 4 bytes B G R A (0 × 0: no pointer drawn).</summary>
    Cursor = 0x86,

    /// <summary>u8 category (<see cref="RdpEndCategory"/>), u32 FreeRDP error code, text (ASCII, FreeRDP's description).</summary>
    Ended = 0x87,
}

/// <summary>Why the helper ended the connection (the <see cref="RdpMessageType.Ended"/> category).</summary>
internal enum RdpEndCategory : byte
{
    /// <summary>The server ended the session (logoff, disconnect), or the appliance asked the helper to stop.</summary>
    Closed = 0,

    /// <summary>The server refused the credentials (NLA failed, wrong password, account locked).</summary>
    AuthenticationFailed = 1,

    /// <summary>No connection: DNS, TCP refused or timed out.</summary>
    Unreachable = 2,

    /// <summary>The connection broke after the desktop was up.</summary>
    Dropped = 3,

    /// <summary>The server's licensing refused the client.</summary>
    Licensing = 4,

    /// <summary>The appliance refused the server's certificate.</summary>
    Certificate = 5,

    /// <summary>Security negotiation or another protocol failure.</summary>
    Protocol = 6,

    /// <summary>The appliance sent the helper something malformed.</summary>
    BadInput = 7,
}

/// <summary>How reading one message from the helper went.</summary>
internal enum RdpReadStatus
{
    /// <summary>A whole, well-formed message.</summary>
    Ok,

    /// <summary>More bytes are needed.</summary>
    NeedMore,

    /// <summary>A length of 0 or over <see cref="RdpPipe.MaxHelperMessage"/>.</summary>
    BadLength,

    /// <summary>A type the appliance does not take from the helper, or a known type out of place (pixels before CONNECTED, a second certificate).</summary>
    UnknownType,

    /// <summary>A body whose size does not match its type.</summary>
    BadSize,

    /// <summary>A rectangle outside the desktop, a desktop or pointer size out of range.</summary>
    BadGeometry,
}

/// <summary>What <see cref="RdpMessageType.Connected"/> says about the connection.</summary>
/// <param name="Width">Desktop width in pixels.</param>
/// <param name="Height">Desktop height in pixels.</param>
/// <param name="SelectedProtocol">The security protocol the server chose (MS-RDPBCGR 2.2.1.2.1: 0 RDP, 1 TLS, 2 CredSSP, 8 CredSSP with Early User Authorization).</param>
/// <param name="RdpVersion">The RDP version both sides use (FreeRDP's RDP_VERSION, 0x00080004 = 5+, 0x00080005 = 10.0, …).</param>
/// <param name="UnicodeInput">The server takes Unicode keyboard events.</param>
/// <param name="DisplayControl">The client offered the display control channel (whether the server opens it shows later).</param>
/// <param name="RefreshRect">The server takes Refresh Rect PDUs (its General Capability Set): the appliance can probe it.</param>
internal readonly record struct RdpConnected(int Width, int Height, uint SelectedProtocol, uint RdpVersion, bool UnicodeInput, bool DisplayControl, bool RefreshRect)
{
    /// <summary>The security the server chose, as users read it.</summary>
    public string Security => SelectedProtocol switch
    {
        0 => "RDP security (RC4)",
        1 => "TLS",
        2 => "NLA (CredSSP)",
        8 => "NLA (CredSSP, early user authorization)",
        _ => $"protocol 0x{SelectedProtocol:X}",
    };

    /// <summary>True for standard RDP security (RC4, no TLS): legacy.</summary>
    public bool IsLegacy => SelectedProtocol == 0;

    /// <summary>"RDP 10.7", "RDP 5.x", …</summary>
    public string Version => RdpVersion switch
    {
        0x00080001 => "RDP 4.0",
        0x00080004 => "RDP 5.x",
        >= 0x00080005 and <= 0x000800FF => $"RDP 10.{RdpVersion - 0x00080005}",
        _ => $"RDP (version 0x{RdpVersion:X})",
    };
}

/// <summary>
/// The pipe protocol between the appliance and its RDP helper: every message is a u32 big-endian length (of the type
/// byte and the body), a u8 type and the body; integers big-endian. The helper is another trust zone (it parses what
/// the RDP server sends): everything it says is checked here — lengths before bodies are buffered, sizes exactly,
/// rectangles inside the desktop. Readers never throw on what the helper sent; they return a status.
/// </summary>
internal static class RdpPipe
{
    /// <summary>Bytes before a body: length (4) and type (1).</summary>
    public const int HeaderSize = 5;

    /// <summary>Largest body the helper may send: a 1 MiB band of pixels and its 8-byte header, or a certificate.</summary>
    public const int MaxHelperMessage = (1024 * 1024) + 16;

    /// <summary>Largest body the appliance sends (the helper refuses more).</summary>
    public const int MaxApplianceMessage = 64 * 1024;

    /// <summary>Longest string in <see cref="RdpMessageType.Start"/>, in UTF-8 bytes.</summary>
    public const int MaxStartString = 1024;

    /// <summary>Largest desktop side the helper may report.</summary>
    public const int MaxDesktopSide = 8192;

    /// <summary>Largest pointer side the helper may report.</summary>
    public const int MaxCursorSide = 384;

    /// <summary>START flag: standard RDP security (no TLS) may be used (the endpoint allows legacy algorithms).</summary>
    public const byte StartAllowRdpSecurity = 0x01;

    /// <summary>
    /// Reads the next message's frame: its type and body. Looks at the length first: a length over the limit is
    /// <see cref="RdpReadStatus.BadLength"/> before its body is waited for.
    /// </summary>
    /// <param name="buffer">What the helper sent that was not consumed yet.</param>
    /// <param name="type">The message's type byte (unchecked).</param>
    /// <param name="body">The body (a slice of <paramref name="buffer"/>).</param>
    /// <param name="consumed">Bytes of <paramref name="buffer"/> the message takes.</param>
    public static RdpReadStatus TryReadFrame(in ReadOnlySequence<byte> buffer, out byte type, out ReadOnlySequence<byte> body, out long consumed)
    {
        (type, body, consumed) = (0, default, 0);
        if (buffer.Length < HeaderSize)
        {
            return RdpReadStatus.NeedMore;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length is < 1 or > MaxHelperMessage + 1)
        {
            return RdpReadStatus.BadLength;
        }

        if (buffer.Length < 4 + length)
        {
            return RdpReadStatus.NeedMore;
        }

        type = header[4];
        body = buffer.Slice(HeaderSize, length - 1);
        consumed = 4 + length;
        return RdpReadStatus.Ok;
    }

    /// <summary>Checks a body's size for its type: fixed sizes exactly, variable ones against their header.</summary>
    public static RdpReadStatus Check(byte type, ReadOnlySpan<byte> body, int desktopWidth, int desktopHeight) => (RdpMessageType)type switch
    {
        RdpMessageType.Certificate => body.Length > 0 ? RdpReadStatus.Ok : RdpReadStatus.BadSize,
        RdpMessageType.Connected => TryReadConnected(body, out _),
        RdpMessageType.Paint => TryReadPaint(body, desktopWidth, desktopHeight, out _, out _),
        RdpMessageType.PaintEnd => TryReadPaintEnd(body, out _),
        RdpMessageType.Resized => TryReadResized(body, out _, out _),
        RdpMessageType.Cursor => TryReadCursor(body, out _, out _, out _, out _, out _),
        RdpMessageType.Ended => TryReadEnded(body, out _, out _, out _),
        _ => RdpReadStatus.UnknownType,
    };

    /// <summary>Reads <see cref="RdpMessageType.Connected"/>.</summary>
    public static RdpReadStatus TryReadConnected(ReadOnlySpan<byte> body, out RdpConnected connected)
    {
        connected = default;
        if (body.Length != 15)
        {
            return RdpReadStatus.BadSize;
        }

        int w = BinaryPrimitives.ReadUInt16BigEndian(body), h = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        if (!IsDesktopSize(w, h))
        {
            return RdpReadStatus.BadGeometry;
        }

        connected = new RdpConnected(w, h, BinaryPrimitives.ReadUInt32BigEndian(body[4..]), BinaryPrimitives.ReadUInt32BigEndian(body[8..]), body[12] != 0, body[13] != 0, body[14] != 0);
        return RdpReadStatus.Ok;
    }

    /// <summary>Reads <see cref="RdpMessageType.Paint"/>: a rectangle inside the <paramref name="desktopWidth"/> × <paramref name="desktopHeight"/> desktop and exactly its BGRX pixels.</summary>
    public static RdpReadStatus TryReadPaint(ReadOnlySpan<byte> body, int desktopWidth, int desktopHeight, out PixelRect rect, out ReadOnlySpan<byte> bgrx)
    {
        rect = default;
        bgrx = default;
        if (body.Length < 8)
        {
            return RdpReadStatus.BadSize;
        }

        var r = new PixelRect(BinaryPrimitives.ReadUInt16BigEndian(body), BinaryPrimitives.ReadUInt16BigEndian(body[2..]), BinaryPrimitives.ReadUInt16BigEndian(body[4..]), BinaryPrimitives.ReadUInt16BigEndian(body[6..]));
        if (r.IsEmpty || !r.FitsIn(desktopWidth, desktopHeight))
        {
            return RdpReadStatus.BadGeometry;
        }

        if (body.Length - 8 != r.Area * 4)
        {
            return RdpReadStatus.BadSize;
        }

        rect = r;
        bgrx = body[8..];
        return RdpReadStatus.Ok;
    }

    /// <summary>Reads <see cref="RdpMessageType.PaintEnd"/>.</summary>
    public static RdpReadStatus TryReadPaintEnd(ReadOnlySpan<byte> body, out ulong bytesFromServer)
    {
        bytesFromServer = 0;
        if (body.Length != 8)
        {
            return RdpReadStatus.BadSize;
        }

        bytesFromServer = BinaryPrimitives.ReadUInt64BigEndian(body);
        return RdpReadStatus.Ok;
    }

    /// <summary>Reads <see cref="RdpMessageType.Resized"/>.</summary>
    public static RdpReadStatus TryReadResized(ReadOnlySpan<byte> body, out int width, out int height)
    {
        (width, height) = (0, 0);
        if (body.Length != 4)
        {
            return RdpReadStatus.BadSize;
        }

        int w = BinaryPrimitives.ReadUInt16BigEndian(body), h = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        if (!IsDesktopSize(w, h))
        {
            return RdpReadStatus.BadGeometry;
        }

        (width, height) = (w, h);
        return RdpReadStatus.Ok;
    }

    /// <summary>Reads <see cref="RdpMessageType.Cursor"/>: hot spot inside the shape (or 0 × 0), exactly its BGRA pixels.</summary>
    public static RdpReadStatus TryReadCursor(ReadOnlySpan<byte> body, out int hotX, out int hotY, out int width, out int height, out ReadOnlySpan<byte> bgra)
    {
        (hotX, hotY, width, height) = (0, 0, 0, 0);
        bgra = default;
        if (body.Length < 8)
        {
            return RdpReadStatus.BadSize;
        }

        int x = BinaryPrimitives.ReadUInt16BigEndian(body), y = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        int w = BinaryPrimitives.ReadUInt16BigEndian(body[4..]), h = BinaryPrimitives.ReadUInt16BigEndian(body[6..]);
        if (w > MaxCursorSide || h > MaxCursorSide || (w == 0) != (h == 0) || (w > 0 && (x >= w || y >= h)))
        {
            return RdpReadStatus.BadGeometry;
        }

        if (body.Length - 8 != w * h * 4)
        {
            return RdpReadStatus.BadSize;
        }

        (hotX, hotY, width, height) = (x, y, w, h);
        bgra = body[8..];
        return RdpReadStatus.Ok;
    }

    /// <summary>Reads <see cref="RdpMessageType.Ended"/>; the text keeps printable ASCII only, at most 1,024 characters.</summary>
    public static RdpReadStatus TryReadEnded(ReadOnlySpan<byte> body, out RdpEndCategory category, out uint code, out string text)
    {
        (category, code, text) = (default, 0, string.Empty);
        if (body.Length < 5 || body.Length > 5 + MaxStartString)
        {
            return RdpReadStatus.BadSize;
        }

        category = Enum.IsDefined((RdpEndCategory)body[0]) ? (RdpEndCategory)body[0] : RdpEndCategory.Protocol;
        code = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
        var chars = new StringBuilder(body.Length - 5);
        foreach (var b in body[5..])
        {
            chars.Append(b is >= 0x20 and < 0x7F ? (char)b : ' ');
        }

        text = chars.ToString().Trim();
        return RdpReadStatus.Ok;
    }

    /// <summary>
    /// The SHA-256 fingerprint (<c>CertificateFingerprints</c> form) of the first PEM certificate in a
    /// <see cref="RdpMessageType.Certificate"/> body; null when it holds none.
    /// </summary>
    public static string? Fingerprint(ReadOnlySpan<byte> pem)
    {
        if (pem.Length > MaxHelperMessage)
        {
            return null;
        }

        var text = Encoding.ASCII.GetString(pem);
        if (!PemEncoding.TryFind(text, out var fields) || !text.AsSpan(fields.Label).SequenceEqual("CERTIFICATE"))
        {
            return null;
        }

        var der = new byte[fields.DecodedDataLength];
        return Convert.TryFromBase64Chars(text.AsSpan(fields.Base64Data), der, out var written)
            ? CertificateFingerprints.Of(der.AsSpan(0, written))
            : null;
    }

    // ---- appliance → helper ----

    /// <summary>
    /// The START message. The caller must clear the returned array (it holds the password) once written: use
    /// <see cref="CryptographicOperations.ZeroMemory"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A string over <see cref="MaxStartString"/> bytes, or a size out of range.</exception>
    public static byte[] WriteStart(string host, int port, string user, string domain, ReadOnlySpan<char> password, int width, int height, byte flags, TimeSpan connectTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxDesktopSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxDesktopSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var lengths = new[] { Encoding.UTF8.GetByteCount(host), Encoding.UTF8.GetByteCount(user), Encoding.UTF8.GetByteCount(domain), Encoding.UTF8.GetByteCount(password) };
        if (lengths.Any(l => l > MaxStartString))
        {
            throw new ArgumentException($"A host, user, domain or password over {MaxStartString} bytes.");
        }

        var message = new byte[HeaderSize + 11 + lengths.Sum() + 8];
        var body = message.AsSpan(HeaderSize);
        BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)port);
        BinaryPrimitives.WriteUInt16BigEndian(body[2..], (ushort)width);
        BinaryPrimitives.WriteUInt16BigEndian(body[4..], (ushort)height);
        body[6] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(body[7..], (uint)Math.Clamp(connectTimeout.TotalMilliseconds, 1, uint.MaxValue));
        var at = 11;
        at += WriteString(body[at..], host);
        at += WriteString(body[at..], user);
        at += WriteString(body[at..], domain);
        WriteString(body[at..], password);
        WriteHeader(message, RdpMessageType.Start);
        return message;
    }

    /// <summary>The CERT_ANSWER message.</summary>
    public static byte[] WriteCertificateAnswer(bool accept) => Write(RdpMessageType.CertificateAnswer, [accept ? (byte)1 : (byte)0]);

    /// <summary>A POINTER message (RDP pointer flags and position).</summary>
    public static byte[] WritePointer(ushort flags, int x, int y) => Write(RdpMessageType.Pointer, U16(flags, (ushort)x, (ushort)y));

    /// <summary>A SCANCODE or UNICODE message.</summary>
    public static byte[] WriteKey(RdpKeyEvent key) => Write(key.Unicode ? RdpMessageType.Unicode : RdpMessageType.Scancode, U16(key.Flags, key.Code));

    /// <summary>A RESIZE message.</summary>
    public static byte[] WriteResize(int width, int height) => Write(RdpMessageType.Resize, U16((ushort)width, (ushort)height));

    /// <summary>The STOP message.</summary>
    public static byte[] WriteStop() => Write(RdpMessageType.Stop, []);

    /// <summary>The REFRESH message (the liveness probe).</summary>
    public static byte[] WriteRefresh() => Write(RdpMessageType.Refresh, []);

    private static bool IsDesktopSize(int width, int height) => width is >= 1 and <= MaxDesktopSide && height is >= 1 and <= MaxDesktopSide;

    private static byte[] U16(params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * 2), values[i]);
        }

        return bytes;
    }

    private static byte[] Write(RdpMessageType type, ReadOnlySpan<byte> body)
    {
        var message = new byte[HeaderSize + body.Length];
        body.CopyTo(message.AsSpan(HeaderSize));
        WriteHeader(message, type);
        return message;
    }

    private static void WriteHeader(byte[] message, RdpMessageType type)
    {
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)(message.Length - 4));
        message[4] = (byte)type;
    }

    private static int WriteString(Span<byte> destination, ReadOnlySpan<char> value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)written);
        return 2 + written;
    }
}
