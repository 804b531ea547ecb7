using System.Buffers;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// Sits between an SSH session's output and the uplink, mosh-style. Every chunk goes through a
/// <see cref="VirtualTerminal"/>. While the uplink budget allows (a token bucket), each chunk is forwarded at once,
/// unchanged, as one <see cref="FrameType.TerminalOutput"/> frame: keystroke echo costs no delay. A chunk that does
/// not fit switches to screen synchronisation: bytes are no longer forwarded; every
/// <see cref="TerminalStreamOptions.SyncInterval"/> the difference between what viewers last received and the
/// current screen goes up instead, so a burst of output costs a few screens, not its size. Once output is quiet and
/// the bucket is half full again, forwarding resumes. While synchronising, the Controller's keystrokes are not left
/// to the next tick: the output that carries a key's echo is cut right after it and the screen goes up at once, so
/// the Controller sees what they type even under a flood (see <see cref="OnInput"/>).
/// </summary>
/// <remarks>
/// Invariant: after every frame, a viewer that applied all frames shows exactly the emulator's screen (forwarding:
/// it got the same bytes; synchronisation: the diff brought it there). All methods may be called concurrently (SSH
/// read loop, timer, control messages); one lock serialises them and is held only for emulator work and sends.
/// </remarks>
public sealed partial class TerminalStreamer : IAsyncDisposable
{
    private readonly IFrameSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger<TerminalStreamer> _logger;
    private readonly double _budgetPerSecond;
    private readonly double _burst;
    private readonly TimeSpan _syncInterval;
    private readonly VirtualTerminal _terminal;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ArrayBufferWriter<byte> _payload = new(4096);
    private readonly CancellationTokenSource _disposing = new();

    private double _tokens;
    private long _refilledAt;
    private bool _started;
    private bool _syncMode;
    private bool _dirty;
    private ScreenState? _viewerState;
    private ITimer? _syncTimer;
    private long _syncStartedAt;
    private long _syncBytesAtStart;
    private Task _syncTick = Task.CompletedTask;
    private int _syncTickRunning;

    // Viewers may hold a normal screen that is not ours behind the alternate screen: one that joined on a keyframe
    // taken there, or all of them after a screen update switched them to it. While this is set the viewers are on
    // the alternate screen, and a chunk that leaves it goes up as a repaint instead of bytes.
    private bool _viewerNormalScreenStale;

    // The Controller's last input while synchronising: the bytes its echo should contain (printable input of up to
    // 16 bytes; none for other input, whose effect shows on the next output) and when it was typed.
    private static readonly TimeSpan EchoWait = TimeSpan.FromMilliseconds(250);
    private readonly Lock _echoGate = new();
    private readonly byte[] _echoNeedle = new byte[16];
    private int _echoNeedleLength;
    private bool _echoPending;
    private long _echoTypedAt;

    private int _disposed;
    private long _rawBytesSent;
    private long _syncBytesSent;
    private long _keyframeBytesSent;
    private long _framesSent;

    public TerminalStreamer(TerminalSize initialSize, IFrameSink sink, TerminalStreamOptions options, TimeProvider time, ILogger<TerminalStreamer> logger)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _sink = sink;
        _time = time;
        _logger = logger;
        _budgetPerSecond = options.BudgetBytesPerSecond;
        _burst = options.BurstBytes;
        _syncInterval = options.SyncInterval;
        _terminal = new VirtualTerminal(initialSize);
        _tokens = _burst;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Bytes forwarded unchanged.</summary>
    public long RawBytesSent => Interlocked.Read(ref _rawBytesSent);

    /// <summary>Bytes of screen updates (diffs and repaints).</summary>
    public long SyncBytesSent => Interlocked.Read(ref _syncBytesSent);

    /// <summary>Bytes of keyframes (snapshots).</summary>
    public long KeyframeBytesSent => Interlocked.Read(ref _keyframeBytesSent);

    /// <summary>Frames handed to the sink.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>True while screen updates replace forwarding.</summary>
    public bool InSyncMode => Volatile.Read(ref _syncMode);

    /// <summary>Sends the first keyframe; output that arrived before is part of it.</summary>
    public async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfDisposed();
            if (_started)
            {
                throw new InvalidOperationException("The streamer has already started.");
            }

            _started = true;
            await SendKeyframeCoreAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One chunk of the device's output, in order. Forwarded at once unless over budget.</summary>
    public async ValueTask OnOutputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfDisposed();
            if (!_started)
            {
                _terminal.Write(data.Span);
                return;
            }

            if (_syncMode)
            {
                await WriteSynchronisedAsync(data, showNow: false, cancellationToken);
                return;
            }

            Refill();
            if (_tokens >= data.Length)
            {
                var exits = _terminal.AltScreenExits;
                _terminal.Write(data.Span);
                if (_viewerNormalScreenStale && _terminal.AltScreenExits != exits)
                {
                    // These bytes would take viewers back to a normal screen they do not have right: send the
                    // screen instead.
                    Log.NormalScreenRepainted(_logger);
                    await SendRepaintAsync(viewerAltScreen: true, cancellationToken);
                    return;
                }

                _tokens -= data.Length;
                TakeEcho(data.Span); // an echo going up with the bytes needs nothing more
                await SendAsync(FrameType.TerminalOutput, FrameFlags.None, data, cancellationToken);
                Interlocked.Add(ref _rawBytesSent, data.Length);
                return;
            }

            // Viewers have everything up to this chunk: that is what the first screen update starts from.
            EnterSyncMode(data.Length);

            // A single large chunk into a quiet session shows at once rather than a tick later.
            await WriteSynchronisedAsync(data, showNow: true, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The Controller typed <paramref name="input"/> (called just before it goes to the device). While screen updates
    /// replace forwarding, the next output that contains it (its echo) — or, for input that is not printable text,
    /// simply the next output — is followed by an immediate screen update instead of waiting for the next tick, within
    /// the budget. While forwarding, the echo simply goes up with the bytes.
    /// </summary>
    public void OnInput(ReadOnlySpan<byte> input)
    {
        // Remembered in forwarding mode too: a key typed as a burst starts is echoed after the switch.
        if (input.IsEmpty)
        {
            return;
        }

        lock (_echoGate)
        {
            var printable = input.Length <= _echoNeedle.Length && !input.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E);
            _echoNeedleLength = printable ? input.Length : 0;
            input[.._echoNeedleLength].CopyTo(_echoNeedle);
            _echoTypedAt = _time.GetTimestamp();
            _echoPending = true;
        }
    }

    /// <summary>
    /// Output while screen updates replace forwarding: into the emulator, cut after the Controller's pending echo
    /// (if the chunk has it) to show that screen at once; the rest waits for the next tick unless
    /// <paramref name="showNow"/>. Updates go up only while the budget has tokens.
    /// </summary>
    private async ValueTask WriteSynchronisedAsync(ReadOnlyMemory<byte> data, bool showNow, CancellationToken cancellationToken)
    {
        if (HasTokens() && TakeEcho(data.Span) is var cut and > 0)
        {
            _terminal.Write(data.Span[..cut]);
            await SendScreenUpdateAsync(cancellationToken);
            data = data[cut..];
        }

        if (!data.IsEmpty)
        {
            _terminal.Write(data.Span);
            _dirty = true;
        }

        if (showNow && _dirty && _tokens > 0)
        {
            await SendScreenUpdateAsync(cancellationToken);
        }
    }

    private bool HasTokens()
    {
        Refill();
        return _tokens > 0;
    }

    /// <summary>Where to cut <paramref name="chunk"/> to show the pending echo (0: no cut), consuming the wait.</summary>
    private int TakeEcho(ReadOnlySpan<byte> chunk)
    {
        lock (_echoGate)
        {
            if (!_echoPending)
            {
                return 0;
            }

            if (_time.GetElapsedTime(_echoTypedAt) > EchoWait)
            {
                _echoPending = false; // no echo came (echo off, a password prompt): the ticks show what there is
                return 0;
            }

            if (_echoNeedleLength == 0)
            {
                _echoPending = false;
                return chunk.Length;
            }

            var at = chunk.IndexOf(_echoNeedle.AsSpan(0, _echoNeedleLength));
            if (at < 0)
            {
                return 0;
            }

            _echoPending = false;
            return at + _echoNeedleLength;
        }
    }

    /// <summary>The terminal was resized: resize the emulator and tell the viewers.</summary>
    public async ValueTask ResizeAsync(TerminalSize size, CancellationToken cancellationToken)
    {
        if (!size.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Terminal size out of range.");
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfDisposed();
            var before = _terminal.Size;
            _terminal.Resize(size);

            // The emulator's size (it may differ from the request: see VirtualTerminal.Size) is what viewers get.
            size = _terminal.Size;
            if (size == before)
            {
                return;
            }

            Log.Resized(_logger, size.Columns, size.Rows);
            if (!_started)
            {
                return;
            }

            Refill();
            _payload.ResetWrittenCount();
            _payload.Advance(size.WriteTo(_payload.GetSpan(TerminalSize.EncodedSize)));
            _tokens -= _payload.WrittenCount;
            await SendAsync(FrameType.TerminalResize, FrameFlags.None, _payload.WrittenMemory, cancellationToken);
            if (_syncMode)
            {
                // The next update sees the size change and repaints.
                _dirty = true;
            }
            else
            {
                // A viewer's terminal may reflow on resize where libvterm does not: repaint.
                await SendRepaintAsync(_terminal.AltScreen, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends a keyframe now (a late joiner asked for one).</summary>
    public async ValueTask SendKeyframeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfDisposed();
            if (_started)
            {
                await SendKeyframeCoreAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync();
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            ExitSyncModeCore();
            _terminal.Dispose();
        }
        finally
        {
            _gate.Release();
        }

        await _syncTick;
        _disposing.Dispose();
    }

    /// <summary>A copy of the emulator's screen (tests compare it with what viewers show).</summary>
    internal ScreenState CaptureScreen()
    {
        _gate.Wait();
        try
        {
            ThrowIfDisposed();
            return _terminal.Capture();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The emulator's screen without taking the lock: only for a test's <see cref="IFrameSink"/> to check, while a
    /// frame is being sent (under the lock), that a viewer applying it shows exactly this.
    /// </summary>
    internal ScreenState CaptureWhileSending() => _terminal.Capture();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_refilledAt, now).TotalSeconds;
        _refilledAt = now;
        _tokens = Math.Min(_burst, _tokens + (elapsed * _budgetPerSecond));
    }

    private async ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _sink.SendAsync(type, flags, payload, cancellationToken);
        Interlocked.Increment(ref _framesSent);
    }

    private async ValueTask SendKeyframeCoreAsync(CancellationToken cancellationToken)
    {
        Refill();
        ScreenState? state = _terminal.Capture();
        try
        {
            _payload.ResetWrittenCount();
            _payload.Advance(state.Size.WriteTo(_payload.GetSpan(TerminalSize.EncodedSize)));
            VirtualTerminal.RenderSnapshot(state, _payload);
            if (state.Modes.AltScreen)
            {
                _viewerNormalScreenStale = true;
            }

            if (_syncMode)
            {
                // Every viewer now starts over from this state.
                (_viewerState, state) = (state, _viewerState);
                _dirty = false;
            }
        }
        finally
        {
            state?.Dispose();
        }

        var length = _payload.WrittenCount;
        _tokens -= length;
        await SendAsync(FrameType.TerminalSnapshot, FrameFlags.Keyframe, _payload.WrittenMemory, cancellationToken);
        Interlocked.Add(ref _keyframeBytesSent, length);
        Log.KeyframeSent(_logger, length, _terminal.Size.Columns, _terminal.Size.Rows);
    }

    private async ValueTask SendRepaintAsync(bool viewerAltScreen, CancellationToken cancellationToken)
    {
        using (var state = _terminal.Capture())
        {
            _payload.ResetWrittenCount();
            VirtualTerminal.RenderRepaint(viewerAltScreen, state, _payload);
            if (!state.Modes.AltScreen)
            {
                _viewerNormalScreenStale = false;
            }
        }

        var length = _payload.WrittenCount;
        _tokens -= length;
        await SendAsync(FrameType.TerminalOutput, FrameFlags.None, _payload.WrittenMemory, cancellationToken);
        Interlocked.Add(ref _syncBytesSent, length);
    }

    private async ValueTask SendScreenUpdateAsync(CancellationToken cancellationToken)
    {
        var from = _viewerState ?? throw new InvalidOperationException("No viewer state outside sync mode.");
        var to = _terminal.Capture();
        _payload.ResetWrittenCount();
        VirtualTerminal.RenderDiff(from, to, _payload);
        if (!to.Modes.AltScreen)
        {
            _viewerNormalScreenStale = false;
        }
        else if (!from.Modes.AltScreen)
        {
            _viewerNormalScreenStale = true;
        }

        _viewerState = to;
        from.Dispose();
        _dirty = false;
        var length = _payload.WrittenCount;
        if (length == 0)
        {
            return;
        }

        _tokens -= length;
        await SendAsync(FrameType.TerminalOutput, FrameFlags.None, _payload.WrittenMemory, cancellationToken);
        Interlocked.Add(ref _syncBytesSent, length);
    }

    private void EnterSyncMode(int chunkLength)
    {
        _viewerState = _terminal.Capture();
        Volatile.Write(ref _syncMode, true);
        _syncStartedAt = _time.GetTimestamp();
        _syncBytesAtStart = SyncBytesSent;
        _syncTimer = _time.CreateTimer(static self => ((TerminalStreamer)self!).OnSyncTimer(), this, _syncInterval, _syncInterval);
        Log.SyncStarted(_logger, chunkLength, (int)Math.Max(0, _tokens));
    }

    private void ExitSyncModeCore()
    {
        _syncTimer?.Dispose();
        _syncTimer = null;
        _viewerState?.Dispose();
        _viewerState = null;
        Volatile.Write(ref _syncMode, false);
    }

    private void OnSyncTimer()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.CompareExchange(ref _syncTickRunning, 1, 0) != 0)
        {
            return;
        }

        _syncTick = SyncTickAsync();
    }

    private async Task SyncTickAsync()
    {
        try
        {
            await _gate.WaitAsync(_disposing.Token);
            try
            {
                if (!_syncMode || Volatile.Read(ref _disposed) != 0)
                {
                    return;
                }

                Refill();
                if (_dirty)
                {
                    // In debt after a large update: wait for the bucket, the screen keeps accumulating meanwhile.
                    if (_tokens > 0)
                    {
                        await SendScreenUpdateAsync(_disposing.Token);
                    }
                }
                else if (_tokens >= _burst / 2)
                {
                    // Quiet since the last update, which viewers have: forwarding is exact again.
                    var seconds = _time.GetElapsedTime(_syncStartedAt).TotalSeconds;
                    ExitSyncModeCore();
                    Log.SyncEnded(_logger, SyncBytesSent - _syncBytesAtStart, seconds);
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) != 0)
        {
            // A tick that raced with DisposeAsync.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The next tick tries again; the session itself notices a dead uplink.
            Log.ScreenUpdateFailed(_logger, ex);
        }
        finally
        {
            Volatile.Write(ref _syncTickRunning, 0);
        }
    }
}
