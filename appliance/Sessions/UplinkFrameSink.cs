using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Protocol.Topics;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>
/// Numbers a session's output frames and publishes each once upstream, whatever the number of viewers.
/// Not thread-safe by contract: the session sends one frame at a time.
/// </summary>
internal sealed class UplinkFrameSink(IUplink uplink, string applianceId, string sessionId) : IFrameSink
{
    private readonly string _topic = TopicMap.UpStream(applianceId, sessionId);
    private byte[] _buffer = new byte[16 * 1024];
    private ulong _sequence;

    /// <summary>Set when a frame could not go up; the session sends a keyframe when the uplink is back.</summary>
    public bool LostFrames { get; set; }

    /// <summary>Frames and bytes handed to the uplink (for metrics and the benchmark).</summary>
    public long FramesSent { get; private set; }

    public long BytesSent { get; private set; }

    public async ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var size = FrameCodec.GetEncodedSize(payload.Length);
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }

        // The buffer is reused: the uplink's publish has written the bytes out by the time it completes.
        FrameCodec.Write(_buffer, type, flags, _sequence++, payload.Span);
        if (await uplink.PublishFrameAsync(_topic, _buffer.AsMemory(0, size), cancellationToken))
        {
            FramesSent++;
            BytesSent += size;
        }
        else
        {
            LostFrames = true;
        }
    }
}
