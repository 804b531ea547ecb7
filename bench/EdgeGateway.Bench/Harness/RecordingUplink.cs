using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// Wraps the appliance's real uplink (<c>MqttUplink</c>) and records, per topic, every frame it is handed: its
/// sequence number, the moment it was handed over (for publish-to-viewer latency) and its size (upstream frame
/// bytes). Adds a dictionary lookup and an array write per frame; the product is otherwise untouched.
/// </summary>
public sealed class RecordingUplink(IUplink inner) : IUplink
{
    private readonly ConcurrentDictionary<string, TopicLog> _topics = new(StringComparer.Ordinal);

    public bool IsConnected => inner.IsConnected;

    /// <summary>The log of one topic (created empty on first use).</summary>
    public TopicLog Topic(string topic) => _topics.GetOrAdd(topic, static _ => new TopicLog());

    public async ValueTask<bool> PublishFrameAsync(string topic, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        var handedAt = Stopwatch.GetTimestamp();
        var log = Topic(topic);
        var sequence = frame.Length >= 16 ? BinaryPrimitives.ReadUInt64BigEndian(frame.Span[8..]) : ulong.MaxValue;
        var sent = await inner.PublishFrameAsync(topic, frame, cancellationToken);
        log.Record(sequence, handedAt, frame.Length, sent);
        return sent;
    }

    public ValueTask PublishControlAsync(ControlMessage message, CancellationToken cancellationToken) =>
        inner.PublishControlAsync(message, cancellationToken);
}

/// <summary>Frames handed to the uplink on one topic.</summary>
public sealed class TopicLog
{
    private readonly Lock _gate = new();
    private long[] _handedAt = new long[1024];
    private long _frames;
    private long _bytes;
    private long _lost;
    private long _next;
    private long _lastHandedAt;

    /// <summary>Frames the uplink accepted, and their encoded bytes (header + payload).</summary>
    public (long Frames, long Bytes, long Lost) Totals
    {
        get
        {
            lock (_gate)
            {
                return (_frames, _bytes, _lost);
            }
        }
    }

    /// <summary>The sequence number the next frame will carry.</summary>
    public ulong NextSequence
    {
        get
        {
            lock (_gate)
            {
                return (ulong)_next;
            }
        }
    }

    /// <summary>When the newest frame was handed to the uplink (a Stopwatch timestamp), or 0.</summary>
    public long LastHandedAt => Interlocked.Read(ref _lastHandedAt);

    /// <summary>When the frame with <paramref name="sequence"/> was handed to the uplink (a Stopwatch timestamp), or 0.</summary>
    public long HandedAt(ulong sequence)
    {
        lock (_gate)
        {
            return sequence < (ulong)_handedAt.Length ? _handedAt[sequence] : 0;
        }
    }

    internal void Record(ulong sequence, long handedAt, int bytes, bool sent)
    {
        Interlocked.Exchange(ref _lastHandedAt, handedAt);
        lock (_gate)
        {
            if (sequence != ulong.MaxValue)
            {
                if (sequence >= (ulong)_handedAt.Length)
                {
                    Array.Resize(ref _handedAt, (int)Math.Max((long)sequence + 1, _handedAt.Length * 2L));
                }

                _handedAt[sequence] = handedAt;
                _next = Math.Max(_next, (long)sequence + 1);
            }

            if (sent)
            {
                _frames++;
                _bytes += bytes;
            }
            else
            {
                _lost++;
            }
        }
    }
}

/// <summary>
/// Wraps the appliance's downlink handler (SessionManager) and timestamps the last input frame it was given: the
/// moment a keystroke has crossed browser → cloud → MQTT → appliance, before it is written to the SSH channel.
/// </summary>
public sealed class RecordingDownlink(IDownlinkHandler inner) : IDownlinkHandler
{
    private long _lastInputAt;

    /// <summary>Stopwatch timestamp of the newest input frame handed to the session manager, or 0.</summary>
    public long LastInputAt => Interlocked.Read(ref _lastInputAt);

    public IReadOnlyList<string> ActiveSessionIds => inner.ActiveSessionIds;

    public ValueTask OnControlAsync(ControlMessage message, CancellationToken cancellationToken) => inner.OnControlAsync(message, cancellationToken);

    public ValueTask OnInputAsync(string sessionId, string? senderUserId, System.Buffers.ReadOnlySequence<byte> frame, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastInputAt, Stopwatch.GetTimestamp());
        return inner.OnInputAsync(sessionId, senderUserId, frame, cancellationToken);
    }

    public ValueTask OnConnectedAsync(CancellationToken cancellationToken) => inner.OnConnectedAsync(cancellationToken);

    public void OnDisconnected() => inner.OnDisconnected();
}
