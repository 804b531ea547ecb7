using System.Text;
using System.Text.Unicode;

namespace EdgeGateway.Protocol.Stream;

/// <summary>Why a session ended. Wire form of an <see cref="FrameType.End"/> payload: reason (u8), UTF-8 message.</summary>
public enum EndReason : byte
{
    /// <summary>The device closed the connection (the shell exited).</summary>
    DeviceClosed = 1,

    /// <summary>The Controller ended the session.</summary>
    ControllerEnded = 2,

    /// <summary>An administrator terminated the session.</summary>
    Terminated = 3,

    /// <summary>The device refused the credentials.</summary>
    AuthenticationFailed = 4,

    /// <summary>The device could not be reached.</summary>
    Unreachable = 5,

    /// <summary>The appliance refused: policy, key switch or an unknown endpoint.</summary>
    Refused = 6,

    /// <summary>The connection to the device failed for another reason.</summary>
    Error = 7,

    /// <summary>The session ran past its time limit.</summary>
    Expired = 8,

    /// <summary>
    /// The device stopped answering: its connection is still open but nothing came back to the appliance's
    /// keep-alive probes within the liveness time (a frozen or hung device).
    /// </summary>
    DeviceUnresponsive = 9,

    /// <summary>
    /// The appliance and the cloud lost each other for longer than the grace period (either side's crash, restart
    /// or network cut), or one of them no longer knew the session when they met again: the session was ended
    /// rather than left running where no one could see or stop it.
    /// </summary>
    ConnectionLost = 10,

    /// <summary>
    /// The device presented a TLS certificate other than the one pinned for its endpoint (trust on first use): refused
    /// before any credential was sent, until an administrator accepts the new certificate.
    /// </summary>
    CertificateChanged = 11,
}

/// <summary>Encodes and decodes <see cref="FrameType.End"/> payloads.</summary>
public static class SessionEnd
{
    /// <summary>Longest message kept, in bytes; longer ones are cut on a character boundary.</summary>
    public const int MaxMessageBytes = 512;

    /// <summary>Encodes an end payload.</summary>
    public static byte[] Encode(EndReason reason, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = Encoding.UTF8.GetBytes(message);
        var length = Math.Min(text.Length, MaxMessageBytes);
        while (length > 0 && length < text.Length && (text[length] & 0xC0) == 0x80)
        {
            length--; // do not cut a multi-byte character in half
        }

        var payload = new byte[1 + length];
        payload[0] = (byte)reason;
        text.AsSpan(0, length).CopyTo(payload.AsSpan(1));
        return payload;
    }

    /// <summary>Decodes an end payload; false when empty, the reason is unknown or the text is not UTF-8.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out EndReason reason, out string message)
    {
        reason = default;
        message = string.Empty;
        if (payload.Length is < 1 or > 1 + MaxMessageBytes || !Enum.IsDefined((EndReason)payload[0]))
        {
            return false;
        }

        reason = (EndReason)payload[0];
        if (!Utf8.IsValid(payload[1..]))
        {
            return false;
        }

        message = Encoding.UTF8.GetString(payload[1..]);
        return true;
    }
}
