namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// Bounds <see cref="RfbUpdateDecoder"/> enforces on what a VNC server sends. Anything beyond them is refused with an
/// <see cref="RfbProtocolException"/>, except cut text, which is truncated. Memory the decoder holds is bounded by these
/// values (its largest buffer is one framebuffer row, one cursor, or <see cref="MaxCutTextBytes"/>).
/// </summary>
public sealed class RfbLimits
{
    /// <summary>The shared default limits.</summary>
    public static RfbLimits Default { get; } = new();

    /// <summary>Largest framebuffer a resize may ask for, in pixels (width × height). Default 3840 × 2160.</summary>
    public int MaxPixels { get; init; } = 3840 * 2160;

    /// <summary>Largest desktop name accepted, in bytes (ServerInit, read by the handshake). Default 4096.</summary>
    public int MaxNameBytes { get; init; } = 4096;

    /// <summary>Longest ServerCutText kept, in bytes; the rest is read and dropped, and the text reported truncated. Default 256 KiB.</summary>
    public int MaxCutTextBytes { get; init; } = 256 * 1024;

    /// <summary>Largest compressed block of one rectangle (ZRLE data, a Tight chunk), in bytes. Default 16 MiB.</summary>
    public int MaxCompressedBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest cursor side (Cursor pseudo-encoding), in pixels; 1 to 4096. Default 256 (the display stream's cursor limit).</summary>
    public int MaxCursorSide { get; init; } = 256;
}
