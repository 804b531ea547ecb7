namespace EdgeGateway.Protocol.Stream;

/// <summary>Names of MQTT 5 user properties used beside stream frames.</summary>
public static class StreamProperties
{
    /// <summary>
    /// On input frames the cloud sends down: the id of the user whose input it is. The appliance drops input
    /// from anyone but the session's Controller, as a second check after the cloud's own.
    /// </summary>
    public const string Sender = "eg-user";
}
