namespace EdgeGateway.Protocol.Rfb;

/// <summary>The RFB protocol version both sides speak after the ProtocolVersion exchange (RFC 6143 §7.1.1).</summary>
public enum RfbVersion
{
    /// <summary>3.3: the server chooses one security type; no SecurityResult after None; no failure reason after one.</summary>
    Rfb33 = 3,

    /// <summary>3.7: the client chooses from a list; no SecurityResult after None; no failure reason after one.</summary>
    Rfb37 = 7,

    /// <summary>3.8: as 3.7, plus a SecurityResult after every type and a reason string with a failure.</summary>
    Rfb38 = 8,
}

/// <summary>RFB security types the client knows (RFC 6143 §7.2; VeNCrypt: the RFB community registry).</summary>
public static class RfbSecurityType
{
    /// <summary>0: the server refuses the connection; a reason string follows.</summary>
    public const uint Invalid = 0;

    /// <summary>1: no authentication.</summary>
    public const uint None = 1;

    /// <summary>2: VNC authentication, a DES challenge-response (RFC 6143 §7.2.2).</summary>
    public const uint VncAuth = 2;

    /// <summary>19: VeNCrypt, TLS with a sub-type that says how to authenticate inside it.</summary>
    public const uint VeNCrypt = 19;

    /// <summary>A short name for messages ("VNC authentication", "type 16").</summary>
    public static string Describe(uint type) => type switch
    {
        None => "None",
        VncAuth => "VNC authentication",
        5 => "RA2",
        6 => "RA2ne",
        16 => "Tight",
        18 => "TLS",
        VeNCrypt => "VeNCrypt",
        30 => "Apple Remote Desktop",
        _ => $"type {type}",
    };
}

/// <summary>VeNCrypt sub-types (VeNCrypt 0.2).</summary>
public static class VeNCryptSubtype
{
    /// <summary>256: user name and password in the clear (refused: the appliance never sends a password unencrypted).</summary>
    public const uint Plain = 256;

    /// <summary>257: anonymous TLS (Diffie-Hellman without certificates), no authentication.</summary>
    public const uint TlsNone = 257;

    /// <summary>258: anonymous TLS, then VNC authentication.</summary>
    public const uint TlsVnc = 258;

    /// <summary>259: anonymous TLS, then user name and password.</summary>
    public const uint TlsPlain = 259;

    /// <summary>260: TLS with the server's X.509 certificate, no authentication.</summary>
    public const uint X509None = 260;

    /// <summary>261: TLS with the server's X.509 certificate, then VNC authentication.</summary>
    public const uint X509Vnc = 261;

    /// <summary>262: TLS with the server's X.509 certificate, then user name and password.</summary>
    public const uint X509Plain = 262;

    /// <summary>True for the sub-types that authenticate the server with an X.509 certificate.</summary>
    public static bool IsX509(uint subtype) => subtype is X509None or X509Vnc or X509Plain;

    /// <summary>True for the anonymous-TLS sub-types (they need anonymous Diffie-Hellman cipher suites).</summary>
    public static bool IsAnonymousTls(uint subtype) => subtype is TlsNone or TlsVnc or TlsPlain;

    /// <summary>The name TigerVNC uses ("X509Vnc", …) or the number.</summary>
    public static string Describe(uint subtype) => subtype switch
    {
        Plain => "Plain",
        TlsNone => "TLSNone",
        TlsVnc => "TLSVnc",
        TlsPlain => "TLSPlain",
        X509None => "X509None",
        X509Vnc => "X509Vnc",
        X509Plain => "X509Plain",
        _ => $"sub-type {subtype}",
    };
}
