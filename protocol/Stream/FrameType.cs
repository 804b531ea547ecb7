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

    /// <summary>Keystrokes or pasted text for a terminal, as the terminal would send them to the host.</summary>
    TerminalInput = 0x80,

    /// <summary>The Controller's terminal was resized: <see cref="TerminalSize"/> payload.</summary>
    TerminalResizeRequest = 0x81,
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
