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
    private readonly ILogger _logger;
    private readonly Queue<Pending> _queue = new();
    private readonly Lock _gate = new();
    private long _queuedUnits;
    private long _unacknowledged;
    private bool _busy;
    private bool _closed;

    /// <param name="session">Where input goes.</param>
    /// <param name="acknowledge">Called (outside any lock) with the units to return to the cloud.</param>
    /// <param name="logger">For refused and failed input.</param>
    public InputPump(IDeviceSession session, Action<long> acknowledge, ILogger logger)
    {
        _session = session;
        _acknowledge = acknowledge;
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
            else if (_queuedUnits + cost > InputFlow.Window)
            {
                // Only a cloud that ignores the window gets here. Refuse loudly, and return the units so that the
                // cloud's count stays true.
                Log.OverWindow(_logger, _session.SessionId, payload.Length, _queuedUnits);
                inline = false;
                cost = 0;
            }
            else
            {
                _queue.Enqueue(new Pending(header, payload.ToArray(), cost));
                _queuedUnits += cost;
                if (_busy)
                {
                    return;
                }

                _busy = true;
                inline = false;
            }
        }

        if (cost == 0)
        {
            Refused(payload.Length);
            return;
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

            var applied = ApplyAsync(item.Header, item.Payload, item.Cost);
            var written = applied.IsCompletedSuccessfully ? applied.Result : applied.AsTask().GetAwaiter().GetResult();
            lock (_gate)
            {
                // Close() may have emptied the count while this frame was being written.
                _queuedUnits = Math.Max(0, _queuedUnits - item.Cost);
            }

            if (!written)
            {
                DropQueued();
            }
        }
    }

    /// <summary>Writes one frame; false when the device did not take it.</summary>
    private async ValueTask<bool> ApplyAsync(FrameHeader header, ReadOnlyMemory<byte> payload, int cost)
    {
        try
        {
            await _session.HandleInputAsync(header, payload, CancellationToken.None);
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
            Consumed(cost);
        }
    }

    /// <summary>
    /// After a failed write, what waits belongs to the same burst and would land without its beginning: drop it,
    /// say so, and return its credit.
    /// </summary>
    private void DropQueued()
    {
        long units = 0;
        long bytes = 0;
        lock (_gate)
        {
            while (_queue.TryDequeue(out var item))
            {
                units += item.Cost;
                bytes += item.Payload.Length;
            }

            _queuedUnits -= units;
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

    private readonly record struct Pending(FrameHeader Header, byte[] Payload, int Cost);

    private static partial class Log
    {
        [LoggerMessage(250, LogLevel.Warning, "Session {SessionId}: input frame of {Bytes} bytes refused: {Queued} credit units already wait (the cloud sent beyond the flow-control window)")]
        public static partial void OverWindow(ILogger logger, string sessionId, int bytes, long queued);

        [LoggerMessage(251, LogLevel.Warning, "Session {SessionId}: {Bytes} bytes of input could not be written to the device: {ExceptionType}: {Message}")]
        public static partial void WriteFailed(ILogger logger, string sessionId, int bytes, string exceptionType, string message);

        [LoggerMessage(252, LogLevel.Warning, "Session {SessionId}: {Bytes} bytes of input that followed a failed write were dropped")]
        public static partial void Dropped(ILogger logger, string sessionId, long bytes);
    }
}
