namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// The device broke the RFB protocol (RFC 6143) or exceeded a limit. <see cref="Exception.Message"/> is shown to
/// the user as it is: it says what the device did.
/// </summary>
public sealed class RfbProtocolException : Exception
{
    /// <summary>Creates the exception with the sentence the user sees.</summary>
    public RfbProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the sentence the user sees and its cause.</summary>
    public RfbProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public RfbProtocolException()
        : base("The device broke the RFB protocol.")
    {
    }
}
