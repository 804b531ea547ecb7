namespace EdgeGateway.Protocol.Stream;

/// <summary>
/// The kind of a session-stream frame. Values below <c>0x80</c> flow from the device to viewers (output);
/// values from <c>0x80</c> flow from the Controller to the device (input).
/// </summary>
public enum FrameType : byte
{
    /// <summary>Bytes a terminal printed (VT/xterm escape sequences included).</summary>
    TerminalOutput = 0x01,

    /// <summary>The terminal's size changed: <see cref="TerminalSize"/> payload.</summary>
    TerminalResize = 0x02,

    /// <summary>
    /// A self-contained terminal screen: <see cref="TerminalSize"/> then VT bytes that paint the whole screen
    /// on a freshly reset terminal. Always carries <see cref="FrameFlags.Keyframe"/>.
    /// </summary>
    TerminalSnapshot = 0x03,

    /// <summary>The session ended: <see cref="SessionEnd"/> payload. The last frame of every stream.</summary>
    End = 0x0F,

    /// <summary>
    /// A remote display's size and pixel format; the viewer clears its canvas and its inflate context. The first frame
    /// of a display stream and of every display keyframe (then with <see cref="FrameFlags.Keyframe"/>). Payload: see
    /// <c>Display.DisplayFrames</c>.
    /// </summary>
    DisplayInit = 0x10,

    /// <summary>One batch of changed rectangles of a remote display (solid, copy-rect, pixel and palette tiles).</summary>
    DisplayUpdate = 0x11,

    /// <summary>The remote pointer's shape (hot spot, size, RGBA pixels).</summary>
    DisplayCursor = 0x12,

    /// <summary>Where the Controller's pointer is on the remote display, for viewers.</summary>
    DisplayPointer = 0x13,

    /// <summary>Text the device put on its clipboard (only when the endpoint's policy allows device → browser).</summary>
    DisplayClipboard = 0x14,

    /// <summary>Keystrokes or pasted text for a terminal, as the terminal would send them to the host.</summary>
    TerminalInput = 0x80,

    /// <summary>The Controller's terminal was resized: <see cref="TerminalSize"/> payload.</summary>
    TerminalResizeRequest = 0x81,

    /// <summary>A pointer event for a remote display: button mask (RFB bits) and position in framebuffer pixels.</summary>
    PointerInput = 0x82,

    /// <summary>A key press or release for a remote display, as an X keysym (RFB KeyEvent, RFC 6143 §7.5.4).</summary>
    KeyInput = 0x83,

    /// <summary>Clipboard text the Controller sends to the device (only when the endpoint's policy allows it).</summary>
    ClipboardInput = 0x84,

    /// <summary>
    /// The Controller's viewer has room for a desktop of this size (RDP: the appliance asks the server to resize, where
    /// it supports the display control channel): <see cref="Display.DisplayFrames.WriteResizeRequest"/> payload.
    /// </summary>
    DisplayResizeRequest = 0x85,
}

/// <summary>Frame flags (16 bits, big-endian on the wire).</summary>
[Flags]
public enum FrameFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>A late joiner can render from this frame without any earlier frame.</summary>
    Keyframe = 1 << 0,

    /// <summary>
    /// Input only: this <see cref="FrameType.TerminalInput"/> frame is one slice of a paste that the cloud cut into
    /// frames of at most <see cref="InputFlow.MaxChunk"/> bytes. Set on every slice, together with
    /// <see cref="PasteStart"/> on the first and <see cref="PasteEnd"/> on the last (both on a paste of one slice).
    /// The appliance delivers a paste as a prefix: once one slice is refused, the rest of that paste is refused too,
    /// so the device never gets a paste with a hole. Only the cloud sets these flags; it clears them on what a browser sends.
    /// </summary>
    Paste = 1 << 1,

    /// <summary>Input only: the first slice of a paste (with <see cref="Paste"/>).</summary>
    PasteStart = 1 << 2,

    /// <summary>Input only: the last slice of a paste (with <see cref="Paste"/>).</summary>
    PasteEnd = 1 << 3,
}
