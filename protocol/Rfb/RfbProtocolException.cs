namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// The VNC server sent something the RFB decoders refuse: malformed, out of bounds, over a limit in
/// <see cref="RfbLimits"/>, or a feature the client did not ask for. <see cref="Exception.Message"/> is shown to the user
/// as it is and says what the device sent. The session cannot continue after it.
/// </summary>
public sealed class RfbProtocolException : Exception
{
    /// <summary>Creates the exception with the sentence shown to the user.</summary>
    public RfbProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the sentence shown to the user and the failure beneath it.</summary>
    public RfbProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic sentence.</summary>
    public RfbProtocolException()
        : base("The VNC server sent a malformed message.")
    {
    }
}
