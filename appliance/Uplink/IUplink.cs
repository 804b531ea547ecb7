using System.Buffers;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Appliance.Uplink;

/// <summary>The appliance's one connection to the cloud.</summary>
public interface IUplink
{
    /// <summary>True while connected and subscribed.</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Publishes one encoded frame (QoS 0). Returns false when the uplink is down: the frame is dropped, and
    /// the session sends a keyframe once the uplink is back.
    /// </summary>
    ValueTask<bool> PublishFrameAsync(string topic, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);

    /// <summary>Publishes a control message (QoS 1); while disconnected it waits in a bounded queue.</summary>
    ValueTask PublishControlAsync(ControlMessage message, CancellationToken cancellationToken);
}

/// <summary>What the uplink hands the rest of the appliance.</summary>
public interface IDownlinkHandler
{
    /// <summary>Ids of the sessions running now (announced in <see cref="Hello"/>).</summary>
    IReadOnlyList<string> ActiveSessionIds { get; }

    /// <summary>A control message from the cloud.</summary>
    ValueTask OnControlAsync(ControlMessage message, CancellationToken cancellationToken);

    /// <summary>One input frame for a session, with the user the cloud says sent it.</summary>
    ValueTask OnInputAsync(string sessionId, string? senderUserId, ReadOnlySequence<byte> frame, CancellationToken cancellationToken);

    /// <summary>
    /// The uplink is (again) connected and the cloud has the appliance's <see cref="Hello"/>: running sessions
    /// resend a keyframe, and the cloud-loss grace period stops.
    /// </summary>
    ValueTask OnConnectedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The uplink to the cloud dropped: sessions keep running for the grace period, then end. Called on the uplink's
    /// event thread; must not block.
    /// </summary>
    void OnDisconnected();
}
