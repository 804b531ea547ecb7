using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>What <see cref="StreamViewer.Offer"/> did with a frame.</summary>
public enum OfferResult
{
    /// <summary>Queued for sending.</summary>
    Queued,

    /// <summary>Not needed (a keyframe for a viewer in sync) or not usable yet (waiting for a keyframe).</summary>
    Skipped,

    /// <summary>The viewer's queue is full: it must be skipped forward to a keyframe.</summary>
    Overflowed,
}

/// <summary>
/// One browser connection watching a session. Its queue is bounded in frames and bytes; when it overflows the
/// viewer is skipped forward to a keyframe instead of slowing anyone else down. Text messages (hello, viewer count,
/// the end) survive a skip; a connection that lets <see cref="MaxQueuedTexts"/> of them pile up is not reading at
/// all, and is dropped (<see cref="Dropped"/>) rather than left to grow.
/// </summary>
public sealed class StreamViewer
{
    /// <summary>Text messages a viewer may have waiting before it counts as stuck and is dropped.</summary>
    public const int MaxQueuedTexts = 256;

    private readonly Channel<Outgoing> _queue = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly Lock _gate = new();
    private readonly int _maxFrames;
    private readonly int _maxBytes;
    private readonly TaskCompletionSource _dropped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _queuedFrames;
    private int _queuedTexts;
    private long _queuedBytes;
    private bool _needsKeyframe;
    private bool _completed;

    public StreamViewer(string userId, string userName, bool isController, int maxFrames, int maxBytes)
    {
        UserId = userId;
        UserName = userName;
        _isController = isController;
        _canInput = isController;
        _maxFrames = maxFrames;
        _maxBytes = maxBytes;
    }

    public string UserId { get; }

    public string UserName { get; }

    private volatile bool _isController;
    private volatile bool _canInput;

    /// <summary>
    /// True for the one connection that holds the session's control (the Controller's first tab): its resizes set the
    /// device's terminal size. Set by <see cref="SessionStream"/> as control moves.
    /// </summary>
    public bool IsController
    {
        get => _isController;
        internal set => _isController = value;
    }

    /// <summary>
    /// True while this connection's input is forwarded: the Controller's connection or a co-controller's, while input
    /// is not paused for supervision. Set by <see cref="SessionStream"/>.
    /// </summary>
    public bool CanInput
    {
        get => _canInput;
        internal set => _canInput = value;
    }

    /// <summary>True while this viewer waits for a keyframe (joined with no cached one, skipped, or told to expect one).</summary>
    public bool NeedsKeyframe
    {
        get
        {
            lock (_gate)
            {
                return _needsKeyframe && !_completed;
            }
        }
    }

    /// <summary>Times this viewer was skipped forward.</summary>
    public int Skips { get; private set; }

    /// <summary>Completes when the viewer was dropped for not reading: its connection should be aborted.</summary>
    public Task Dropped => _dropped.Task;

    /// <summary>
    /// Queues one frame for this viewer. A keyframe is skipped by a viewer already in sync (it shows what the keyframe
    /// shows), unless <paramref name="resetsDecoder"/>: a display's DisplayInit starts a new inflate context and is
    /// followed by updates that only decode after it, so every viewer takes it, in sync or not.
    /// </summary>
    public OfferResult Offer(byte[] frame, bool isKeyframe, bool resetsDecoder = false)
    {
        ArgumentNullException.ThrowIfNull(frame);
        lock (_gate)
        {
            if (_completed)
            {
                return OfferResult.Skipped;
            }

            if (_needsKeyframe)
            {
                if (!isKeyframe)
                {
                    return OfferResult.Skipped;
                }

                _needsKeyframe = false;
                Enqueue(frame, isText: false);
                return OfferResult.Queued;
            }

            if (isKeyframe && !resetsDecoder)
            {
                return OfferResult.Skipped; // in sync already: the keyframe shows what it has
            }

            if (_queuedFrames + 1 > _maxFrames || _queuedBytes + frame.Length > _maxBytes)
            {
                Skips++;
                return OfferResult.Overflowed;
            }

            Enqueue(frame, isText: false);
            return OfferResult.Queued;
        }
    }

    /// <summary>
    /// Frames may have been lost upstream (the appliance's link dropped): what is queued still goes out, and the next
    /// keyframe is sent even though the viewer looks in sync, with nothing in between.
    /// </summary>
    public void ExpectKeyframe()
    {
        lock (_gate)
        {
            _needsKeyframe = !_completed;
        }
    }

    /// <summary>
    /// Restarts the viewer from <paramref name="keyframeAndTail"/> (dropping what it had queued, if anything),
    /// or marks it as waiting for the next keyframe when there is none. Returns false in the latter case.
    /// </summary>
    public bool StartFrom(IReadOnlyList<byte[]>? keyframeAndTail)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return true;
            }

            // Drop queued frames (they belong to the state being skipped), keep text messages.
            var keep = new List<Outgoing>();
            while (_queue.Reader.TryRead(out var item))
            {
                Dequeued(item);
                if (item.IsText)
                {
                    keep.Add(item);
                }
            }

            foreach (var item in keep)
            {
                Enqueue(item.Data, isText: true);
            }

            // A keyframe and tail that do not fit the queue would overflow it again on the next frame, and restart the
            // viewer from the same old keyframe on every frame after: wait for a fresh keyframe instead.
            if (keyframeAndTail is null || keyframeAndTail.Count == 0 || !Fits(keyframeAndTail))
            {
                _needsKeyframe = true;
                return false;
            }

            foreach (var frame in keyframeAndTail)
            {
                Enqueue(frame, isText: false);
            }

            _needsKeyframe = false;
            return true;
        }
    }

    public void OfferText(string json)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            if (_queuedTexts < MaxQueuedTexts)
            {
                Enqueue(Encoding.UTF8.GetBytes(json), isText: true);
                return;
            }

            // Nothing has left the queue for as long as it took this many texts to arrive: let it all go. Dropped is
            // set first, so that a pump finishing on the completed channel is never taken for a session that ended
            // (its continuations run asynchronously, not under this lock).
            _dropped.TrySetResult();
            _completed = true;
            while (_queue.Reader.TryRead(out var item))
            {
                Dequeued(item);
            }

            _queue.Writer.TryComplete();
        }
    }

    /// <summary>Sends <paramref name="finalJson"/> after what is queued, then lets the pump close the socket.</summary>
    public void Complete(string finalJson)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            Enqueue(Encoding.UTF8.GetBytes(finalJson), isText: true);
            _completed = true;
            _queue.Writer.TryComplete();
        }
    }

    /// <summary>Writes queued messages to the socket until the session completes or the socket fails.</summary>
    public async Task PumpAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        await foreach (var item in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            lock (_gate)
            {
                Dequeued(item);
            }

            await socket.SendAsync(item.Data, item.IsText ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, cancellationToken);
        }
    }

    private void Enqueue(byte[] data, bool isText)
    {
        _queuedFrames++;
        _queuedTexts += isText ? 1 : 0;
        _queuedBytes += data.Length;
        _queue.Writer.TryWrite(new Outgoing(data, isText));
    }

    private bool Fits(IReadOnlyList<byte[]> frames)
    {
        if (_queuedFrames + frames.Count > _maxFrames)
        {
            return false;
        }

        var bytes = _queuedBytes;
        foreach (var frame in frames)
        {
            bytes += frame.Length;
        }

        return bytes <= _maxBytes;
    }

    private void Dequeued(Outgoing item)
    {
        _queuedFrames--;
        _queuedTexts -= item.IsText ? 1 : 0;
        _queuedBytes -= item.Data.Length;
    }

    private readonly record struct Outgoing(byte[] Data, bool IsText);
}
