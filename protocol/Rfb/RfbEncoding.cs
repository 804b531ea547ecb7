namespace EdgeGateway.Protocol.Rfb;

/// <summary>RFB encoding numbers (RFC 6143 §7.7, §7.8; rfbproto "Encodings" and "Pseudo-encodings"), as sent in SetEncodings and rectangle headers.</summary>
public static class RfbEncoding
{
    /// <summary>Raw (RFC 6143 §7.7.1).</summary>
    public const int Raw = 0;

    /// <summary>CopyRect (RFC 6143 §7.7.2).</summary>
    public const int CopyRect = 1;

    /// <summary>RRE (RFC 6143 §7.7.3).</summary>
    public const int Rre = 2;

    /// <summary>Hextile (RFC 6143 §7.7.4).</summary>
    public const int Hextile = 5;

    /// <summary>Tight (rfbproto "Tight Encoding").</summary>
    public const int Tight = 7;

    /// <summary>ZRLE (RFC 6143 §7.7.6).</summary>
    public const int Zrle = 16;

    /// <summary>DesktopSize pseudo-encoding (RFC 6143 §7.8.2).</summary>
    public const int DesktopSize = -223;

    /// <summary>LastRect pseudo-encoding (rfbproto).</summary>
    public const int LastRect = -224;

    /// <summary>Cursor pseudo-encoding (RFC 6143 §7.8.1).</summary>
    public const int Cursor = -239;

    /// <summary>ExtendedDesktopSize pseudo-encoding (rfbproto).</summary>
    public const int ExtendedDesktopSize = -308;

    /// <summary>A readable name for an encoding number, for error messages.</summary>
    public static string Name(int encoding) => encoding switch
    {
        Raw => "Raw",
        CopyRect => "CopyRect",
        Rre => "RRE",
        Hextile => "Hextile",
        Tight => "Tight",
        Zrle => "ZRLE",
        DesktopSize => "DesktopSize",
        LastRect => "LastRect",
        Cursor => "Cursor",
        ExtendedDesktopSize => "ExtendedDesktopSize",
        _ => $"encoding {encoding}",
    };
}
