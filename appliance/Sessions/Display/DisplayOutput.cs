using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Appliance.Sessions.Display;

/// <summary>
/// The display side of a connected VNC or RDP session: the framebuffer and its <see cref="DisplayStreamer"/> behind the
/// session's gate (which the session's read loop holds while it decodes into the framebuffer), the stream's first
/// keyframe, keyframes on request, and flushes outside the read loop at the pace the budget and the frame-rate cap set
/// (<see cref="FlushPacer"/>). Shared by both display sessions.
/// </summary>
internal sealed class DisplayOutput : IDisposable
{
    private readonly Framebuffer _framebuffer;
    private readonly SemaphoreSlim _gate;
    private readonly SessionEnding _ending;
    private readonly FlushPacer _pacer;
    private bool _keyframeSent;

    /// <param name="framebuffer">The session's copy of the device's screen.</param>
    /// <param name="streamer">Streams <paramref name="framebuffer"/>; disposed with this.</param>
    /// <param name="gate">The session's gate: held while the framebuffer changes and while the streamer runs.</param>
    /// <param name="ending">The session's end: no keyframe goes after it.</param>
    /// <param name="time">The clock the paced flushes wait on.</param>
    /// <param name="stopping">Cancelled when the session stops.</param>
    public DisplayOutput(Framebuffer framebuffer, DisplayStreamer streamer, SemaphoreSlim gate, SessionEnding ending, TimeProvider time, CancellationToken stopping)
    {
        _framebuffer = framebuffer;
        Streamer = streamer;
        _gate = gate;
        _ending = ending;
        _pacer = new FlushPacer(FlushAsync, time, stopping);
    }

    /// <summary>The streamer (its counters for the benchmark; <see cref="DisplayStreamer.NotePointer"/> from any thread).</summary>
    public DisplayStreamer Streamer { get; }

    /// <summary>
    /// After a complete picture (a FramebufferUpdate, an RDP EndPaint), with the gate held: the first is the stream's
    /// keyframe; later ones flush, and what the budget or the frame-rate cap held back goes out at their pace.
    /// </summary>
    public async ValueTask PictureCompleteLockedAsync(CancellationToken cancellationToken)
    {
        if (!_keyframeSent)
        {
            await Streamer.SendKeyframeAsync(cancellationToken);
            Volatile.Write(ref _keyframeSent, true);
            return;
        }

        if (await Streamer.FlushAsync(cancellationToken) > TimeSpan.Zero)
        {
            _pacer.Request();
        }
    }

    /// <summary>A flush soon, off the caller's thread, for what rides on no picture (where the Controller points, clipboard text); none before the first keyframe.</summary>
    public void FlushSoon()
    {
        if (Volatile.Read(ref _keyframeSent))
        {
            _pacer.Request();
        }
    }

    /// <summary>A keyframe now (a viewer joined or lost track), unless the session has ended.</summary>
    public async ValueTask SendKeyframeAsync(CancellationToken cancellationToken)
    {
        if (_ending.HasEnded)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_ending.HasEnded)
            {
                await Streamer.SendKeyframeAsync(cancellationToken);
                Volatile.Write(ref _keyframeSent, true);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Copies the framebuffer as it is between two decoded pieces (tests compare it with the device's own pixels).</summary>
    public uint[] CopyPixels(out int width, out int height)
    {
        _gate.Wait();
        try
        {
            (width, height) = (_framebuffer.Width, _framebuffer.Height);
            return _framebuffer.Pixels.ToArray();
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => Streamer.Dispose();

    private async ValueTask<TimeSpan> FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return Volatile.Read(ref _keyframeSent) ? await Streamer.FlushAsync(cancellationToken) : TimeSpan.Zero;
        }
        finally
        {
            _gate.Release();
        }
    }
}
