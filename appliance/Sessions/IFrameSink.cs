using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>
/// Where a session's output frames go (the uplink, and the local viewer). The sink numbers the frames;
/// callers send one frame at a time, in order, and await each send (that await is the back-pressure).
/// </summary>
public interface IFrameSink
{
    /// <summary>Sends one output frame.</summary>
    ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
