using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>
/// Writes one session's input to its device in arrival order without ever holding up the uplink's receive path,
/// and returns flow-control credit (<see cref="InputFlow"/>) as the device takes it.
/// </summary>
/// <remarks>
/// Invariants: frames are applied one at a time, in order; a frame is acknowledged once written or refused, never
/// before; at most <see cref="InputFlow.Window"/> units wait here (the cloud never sends more, and a frame beyond it
/// is refused with a warning rather than buffered). Cost: a keystroke arriving while nothing else is pending is
/// written on the caller's thread, as before this type existed — no hop, no copy. Anything larger, or anything that
/// arrives while earlier input is still being written, is copied once and written by a dedicated thread: an SSH
/// write blocks while the device's channel window is shut, and a thread-pool thread parked there would starve the
/// rest of the appliance on a two-core box.
/// </remarks>
internal sealed partial class InputPump
{
    /// <summary>Payloads up to this size are written inline when the pump is idle (keystrokes, short pastes).</summary>
    public const int InlineLimit = 1024;

    private readonly IDeviceSession _session;
    private readonly Action<long> _acknowledge;
    private readonly Action<PasteCut>? _pasteCut;
    private readonly ILogger _logger;
    private readonly Queue<Pending> _queue = new();
    private readonly Lock _gate = new();
    private long _queuedUnits;
    private long _unacknowledged;
    private bool _busy;
    private bool _closed;

    // The paste being applied (FrameFlags.Paste), touched only by the one caller of ApplyAsync at a time.
    private bool _inPaste;
    private bool _pasteBroken;
    private long _pasteDelivered;
    private long _pasteRefused;

    /// <param name="session">Where input goes.</param>
    /// <param name="acknowledge">Called (outside any lock) with the units to return to the cloud.</param>
    /// <param name="logger">For refused and failed input.</param>
    /// <param name="pasteCut">
    /// Called once per paste that was cut short (a slice refused, so the rest of it was too), when its last slice has
    /// been dealt with, with how much of it reached the device.
    /// </param>
    public InputPump(IDeviceSession session, Action<long> acknowledge, ILogger logger, Action<PasteCut>? pasteCut = null)
    {
        _session = session;
        _acknowledge = acknowledge;
        _pasteCut = pasteCut;
        _logger = logger;
    }

    /// <summary>Units accepted but not yet written (for tests and metrics).</summary>
    public long QueuedUnits
    {
        get
        {
            lock (_gate)
            {
                return _queuedUnits;
            }
        }
    }

    /// <summary>
    /// Takes one input frame. Completes once the frame is written (inline path) or queued; the payload is copied
    /// before this returns when it is queued, so the caller's buffer may be reused afterwards.
    /// </summary>
    public async ValueTask SubmitAsync(FrameHeader header, ReadOnlyMemory<byte> payload)
    {
        var cost = InputFlow.Cost(payload.Length);
        bool inline;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (!_busy && payload.Length <= InlineLimit)
            {
                _busy = true;
                inline = true;
            }
            else
            {
                if (_queuedUnits + cost > InputFlow.Window)
                {
                    // Only a cloud that ignores the window gets here. Refuse loudly, without keeping the payload; the
                    // refusal keeps its place in line (a paste is cut there, not holed) and returns the units then.
                    Log.OverWindow(_logger, _session.SessionId, payload.Length, _queuedUnits);
                    _queue.Enqueue(new Pending(header, [], cost, Held: 0, payload.Length, Refused: true));
                }
                else
                {
                    _queue.Enqueue(new Pending(header, payload.ToArray(), cost, Held: cost, payload.Length, Refused: false));
                    _queuedUnits += cost;
                }

                if (_busy)
                {
                    return;
                }

                _busy = true;
                inline = false;
            }
        }

        if (!inline)
        {
            StartDrain();
            return;
        }

        if (!await ApplyAsync(header, payload, cost))
        {
            DropQueued();
        }

        lock (_gate)
        {
            if (_queue.Count == 0 || _closed)
            {
                _busy = false;
                return;
            }
        }

        // Input arrived while this one was written: the drain thread takes over, in order.
        StartDrain();
    }

    /// <summary>Returns the credit of a frame that was refused before it reached the pump (bad frame, wrong sender).</summary>
    public void Refused(int payloadLength) => Consumed(InputFlow.Cost(Math.Max(0, payloadLength)));

    /// <summary>The session ended: what waits is dropped (there is no device to write it to) and nothing more is taken.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _queue.Clear();
            _queuedUnits = 0;
        }
    }

    private void StartDrain() =>
        _ = Task.Factory.StartNew(Drain, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    private void Drain()
    {
        while (true)
        {
            Pending item;
            lock (_gate)
            {
                if (_closed || !_queue.TryDequeue(out item))
                {
                    _busy = false;
                    return;
                }
            }

            var applied = ApplyAsync(item.Header, item.Payload, item.Cost, item);
            var written = applied.IsCompletedSuccessfully ? applied.Result : applied.AsTask().GetAwaiter().GetResult();
            if (!written)
            {
                DropQueued();
            }
        }
    }

    /// <summary>
    /// Writes one frame; false when the device did not take it (a failed write). A slice of a paste whose earlier
    /// slice was refused is refused too, without asking the device: a paste reaches the device as a prefix of itself,
    /// never with a hole (a device heard again after a silence would otherwise get the later slices without the
    /// refused ones).
    /// </summary>
    /// <param name="header">The frame's header.</param>
    /// <param name="payload">Its payload (empty for a refusal kept in line).</param>
    /// <param name="cost">Credit units to return once dealt with.</param>
    /// <param name="queued">The queue entry it came from, if any: its held units leave the count before the credit goes back.</param>
    private async ValueTask<bool> ApplyAsync(FrameHeader header, ReadOnlyMemory<byte> payload, int cost, Pending? queued = null)
    {
        var length = queued?.Length ?? payload.Length;
        var paste = header.Type == FrameType.TerminalInput && (header.Flags & FrameFlags.Paste) != 0;
        if (!paste || (header.Flags & FrameFlags.PasteStart) != 0)
        {
            // Anything that is not a slice of the current paste ends it (a paste whose end never came: its
            // connection closed halfway).
            BeginPaste(paste);
        }

        var written = false;
        try
        {
            if (queued is { Refused: true })
            {
                return true; // refused on arrival (over the window), logged then
            }

            if (paste && _pasteBroken)
            {
                Log.PasteSliceRefused(_logger, _session.SessionId, length);
                return true; // refused on purpose, not a failed write: what follows is the paste's rest, refused alike
            }

            written = await _session.HandleInputAsync(header, payload, CancellationToken.None);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A write the device did not take (its SSH window stayed shut past the library's timeout, say).
            Log.WriteFailed(_logger, _session.SessionId, payload.Length, ex.GetType().Name, ex.Message);
            return false;
        }
        finally
        {
            if (paste)
            {
                EndOfSlice(header, length, written);
            }

            if (queued is { Held: > 0 } held)
            {
                // Before the credit goes back: the cloud may send the next frame at once, and it must find room here.
                // (Close() may have emptied the count meanwhile.)
                lock (_gate)
                {
                    _queuedUnits = Math.Max(0, _queuedUnits - held.Held);
                }
            }

            Consumed(cost);
        }
    }

    private void BeginPaste(bool inPaste)
    {
        _inPaste = inPaste;
        _pasteBroken = false;
        _pasteDelivered = 0;
        _pasteRefused = 0;
    }

    private void EndOfSlice(FrameHeader header, int length, bool written)
    {
        if (written && _inPaste && !_pasteBroken)
        {
            _pasteDelivered += length;
        }
        else
        {
            _pasteBroken = _inPaste;
            _pasteRefused += length;
        }

        if ((header.Flags & FrameFlags.PasteEnd) == 0 || !_inPaste)
        {
            return;
        }

        if (_pasteBroken)
        {
            var cut = new PasteCut(_pasteDelivered, _pasteDelivered + _pasteRefused);
            Log.PasteCut(_logger, _session.SessionId, cut.Delivered, cut.Total);
            _pasteCut?.Invoke(cut);
        }

        _inPaste = false;
        _pasteBroken = false;
    }

    /// <summary>
    /// After a failed write, what waits belongs to the same burst and would land without its beginning: drop it,
    /// say so, and return its credit.
    /// </summary>
    private void DropQueued()
    {
        long units = 0;
        long held = 0;
        long bytes = 0;
        List<Pending>? slices = null;
        lock (_gate)
        {
            while (_queue.TryDequeue(out var item))
            {
                units += item.Cost;
                held += item.Held;
                bytes += item.Length;
                if ((item.Header.Flags & FrameFlags.Paste) != 0)
                {
                    (slices ??= []).Add(item);
                }
            }

            _queuedUnits = Math.Max(0, _queuedUnits - held);
        }

        // Dropped slices of a paste count as refused, so the Controller learns how much of it reached the device.
        foreach (var slice in slices ?? [])
        {
            if ((slice.Header.Flags & FrameFlags.PasteStart) != 0)
            {
                BeginPaste(true);
            }

            EndOfSlice(slice.Header, slice.Length, written: false);
        }

        if (units > 0)
        {
            Log.Dropped(_logger, _session.SessionId, bytes);
            Consumed(units);
        }
    }

    private void Consumed(long units)
    {
        long toAcknowledge = 0;
        lock (_gate)
        {
            _unacknowledged += units;
            if (_unacknowledged >= InputFlow.AckThreshold)
            {
                toAcknowledge = _unacknowledged;
                _unacknowledged = 0;
            }
        }

        if (toAcknowledge > 0)
        {
            _acknowledge(toAcknowledge);
        }
    }

    /// <summary>
    /// A frame waiting for the writer: its payload (empty when <paramref name="Refused"/>), the credit it returns, the
    /// units it holds in the queue's count (0 for a refusal, which keeps no payload) and its payload's length.
    /// </summary>
    private readonly record struct Pending(FrameHeader Header, byte[] Payload, int Cost, int Held, int Length, bool Refused);

    /// <summary>A paste that reached the device only in part: its first <paramref name="Delivered"/> of <paramref name="Total"/> bytes.</summary>
    public readonly record struct PasteCut(long Delivered, long Total)
    {
        /// <summary>The sentence the Controller sees.</summary>
        public string Describe() => Delivered == 0
            ? $"The device stopped responding; none of the {ByteSize.Format(Total)} paste reached it, it was not sent."
            : $"The device stopped responding; {ByteSize.Format(Delivered)} of the {ByteSize.Format(Total)} paste reached it, the rest was not sent.";
    }

    private static partial class Log
    {
        [LoggerMessage(250, LogLevel.Warning, "Session {SessionId}: input frame of {Bytes} bytes refused: {Queued} credit units already wait (the cloud sent beyond the flow-control window)")]
        public static partial void OverWindow(ILogger logger, string sessionId, int bytes, long queued);

        [LoggerMessage(251, LogLevel.Warning, "Session {SessionId}: {Bytes} bytes of input could not be written to the device: {ExceptionType}: {Message}")]
        public static partial void WriteFailed(ILogger logger, string sessionId, int bytes, string exceptionType, string message);

        [LoggerMessage(252, LogLevel.Warning, "Session {SessionId}: {Bytes} bytes of input that followed a failed write were dropped")]
        public static partial void Dropped(ILogger logger, string sessionId, long bytes);

        [LoggerMessage(254, LogLevel.Debug, "Session {SessionId}: {Bytes}-byte slice refused: an earlier slice of its paste was refused")]
        public static partial void PasteSliceRefused(ILogger logger, string sessionId, int bytes);

        [LoggerMessage(255, LogLevel.Warning, "Session {SessionId}: paste cut short: {Delivered} of {Total} bytes reached the device, the rest was refused")]
        public static partial void PasteCut(ILogger logger, string sessionId, long delivered, long total);
    }
}
