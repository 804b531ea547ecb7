using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// Receives what <see cref="RfbUpdateDecoder"/> applied, in wire order. Every call is made on the decoding thread, inside
/// <see cref="RfbUpdateDecoder.Decode"/>; the framebuffer already holds the change when a member is called. Members must
/// not keep the spans they are given.
/// </summary>
public interface IRfbUpdateSink
{
    /// <summary>These pixels were written into the framebuffer (a whole rectangle or some of its rows or tiles).</summary>
    void OnPixels(PixelRect rect);

    /// <summary>
    /// A CopyRect (RFC 6143 §7.7.2) was applied: <paramref name="destination"/> now holds what the same-sized rectangle
    /// at (<paramref name="sourceX"/>, <paramref name="sourceY"/>) held before the copy.
    /// </summary>
    void OnCopyRect(int sourceX, int sourceY, PixelRect destination);

    /// <summary>
    /// The framebuffer was resized to <paramref name="width"/> × <paramref name="height"/> pixels and is black (DesktopSize
    /// or ExtendedDesktopSize pseudo-encoding); <paramref name="name"/> is the new desktop name when the server sent one.
    /// </summary>
    void OnResize(int width, int height, string? name);

    /// <summary>
    /// The device's cursor shape (Cursor pseudo-encoding): hotspot in pixels from the top-left, size, and
    /// <paramref name="width"/> × <paramref name="height"/> pixels row-major as <c>0xAARRGGBB</c> with A either 0
    /// (transparent, RGB 0) or 255. A 0 × 0 cursor means the device draws none.
    /// </summary>
    void OnCursor(int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb);

    /// <summary>The end of one FramebufferUpdate message (RFC 6143 §7.6.1): the framebuffer is a consistent picture.</summary>
    void OnUpdateComplete();

    /// <summary>The server rang the bell (RFC 6143 §7.6.3).</summary>
    void OnBell();

    /// <summary>
    /// The server's cut buffer (RFC 6143 §7.6.4), decoded as ISO 8859-1. <paramref name="truncated"/> is true when the
    /// server sent more than <see cref="RfbLimits.MaxCutTextBytes"/>: the text holds the first bytes only.
    /// </summary>
    void OnServerCutText(string text, bool truncated);
}
