namespace EdgeGateway.Protocol.Stream;

/// <summary>
/// Flow control for the Controller's input on its way down (cloud → appliance → device): the sizes both ends
/// agree on. The cloud sends input frames of at most <see cref="MaxChunk"/> payload bytes and keeps at most
/// <see cref="Window"/> units (<see cref="Cost"/>) unacknowledged; the appliance returns units with
/// <see cref="Control.InputAck"/> once the frames they paid for were written to the device (or refused),
/// whenever at least <see cref="AckThreshold"/> have gathered.
/// </summary>
/// <remarks>
/// Why credits and these numbers: the device's own SSH channel window is what finally paces a paste; the cloud
/// must neither read the browser's paste faster than that nor park it in the broker's per-appliance queue (which
/// drops at its limit) or in the appliance. With 256 KiB in flight, a 20 ms round trip still allows ~12 MiB/s,
/// far above what a device echoes; a keystroke costs about 1 KiB of credit and never waits for an ack. Both
/// ends bound their buffers by <see cref="Window"/> per session. A deadlock cannot happen: the appliance acks
/// whenever <see cref="AckThreshold"/> units have been written, and <see cref="AckThreshold"/> plus the cost of
/// the largest frame is below <see cref="Window"/>.
/// </remarks>
public static class InputFlow
{
    /// <summary>
    /// Largest payload of one input frame on the cloud → appliance path, in bytes (16 KiB): half of the usual
    /// SSH maximum packet (32 KiB), so one frame is one SSH data packet.
    /// </summary>
    public const int MaxChunk = 16 * 1024;

    /// <summary>
    /// What one frame costs on top of its payload, in credit units (bytes). It stands for the frame's share of
    /// the broker's queue (counted in messages) so that single keystrokes cannot pile up there either: at most
    /// <see cref="Window"/> / 1024 = 256 frames per session are ever in flight.
    /// </summary>
    public const int FrameOverhead = 1024;

    /// <summary>Credit units the cloud may have unacknowledged per session (256 KiB).</summary>
    public const int Window = 256 * 1024;

    /// <summary>The appliance acknowledges once this many units (64 KiB) were consumed since its last ack.</summary>
    public const int AckThreshold = Window / 4;

    /// <summary>The credit units a frame with <paramref name="payloadLength"/> payload bytes costs.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    public static int Cost(int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        return payloadLength + FrameOverhead;
    }
}
