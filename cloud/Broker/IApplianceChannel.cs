using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Cloud.Broker;

/// <summary>The cloud's way down to appliances, whichever broker profile carries it.</summary>
public interface IApplianceChannel
{
    /// <summary>Sends a control message to one appliance (QoS 1). False when the appliance is not connected.</summary>
    Task<bool> SendControlAsync(string applianceId, ControlMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Sends one Controller input frame (QoS 0), tagged with the sender for the appliance's own check. False (and
    /// counted) when it could not be queued to the appliance: not connected, or its queue is full.
    /// </summary>
    Task<bool> SendInputAsync(string applianceId, string sessionId, string senderUserId, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);
}

/// <summary>What arrives from appliances, handed over once per frame whatever the number of viewers.</summary>
public interface IUpstreamHandler
{
    /// <summary>An appliance's control message (its id proven by its certificate).</summary>
    void OnControl(string applianceId, ControlMessage message);

    /// <summary>
    /// One session-stream frame. Called on the broker's receive path: must not block. The span is only valid
    /// during the call.
    /// </summary>
    void OnFrame(string applianceId, string sessionId, ReadOnlySpan<byte> frame);

    /// <summary>The appliance's connection closed.</summary>
    void OnDisconnected(string applianceId);
}
