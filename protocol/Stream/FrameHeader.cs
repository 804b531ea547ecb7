namespace EdgeGateway.Protocol.Stream;

/// <summary>The fixed 16-byte header in front of every session-stream frame.</summary>
/// <param name="Type">What the payload holds.</param>
/// <param name="Flags">Frame flags, <see cref="FrameFlags.Keyframe"/> among them.</param>
/// <param name="PayloadLength">Bytes of payload that follow the header.</param>
/// <param name="Sequence">Position of the frame in its stream; output and input count separately.</param>
public readonly record struct FrameHeader(FrameType Type, FrameFlags Flags, int PayloadLength, ulong Sequence)
{
    /// <summary>True when a late joiner can render from this frame alone.</summary>
    public bool IsKeyframe => (Flags & FrameFlags.Keyframe) != 0;

    /// <summary>True for frames that flow from the Controller to the device.</summary>
    public bool IsInput => (byte)Type >= 0x80;
}
