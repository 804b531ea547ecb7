using EdgeGateway.Appliance.Configuration;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>What the appliance knows of a device's liveness.</summary>
public enum Liveness
{
    /// <summary>The device answered recently, or nothing asked it anything yet.</summary>
    Responding,

    /// <summary>A probe has gone unanswered for the doubt time: input is refused, viewers are told.</summary>
    NotResponding,

    /// <summary>Nothing came back for the liveness time: the session must end.</summary>
    Dead,
}

/// <summary>
/// Decides whether a device is alive, the way OpenSSH's <c>ServerAliveInterval</c> × <c>ServerAliveCountMax</c>
/// does, plus a fast "in doubt" state for input. Protocol-neutral: the session reports everything it hears from
/// the device (<see cref="Heard"/>) and sends the probe it is asked for (an SSH keep-alive request that wants a
/// reply); this type only keeps time.
/// </summary>
/// <remarks>
/// <para>Rules, with <c>I</c> = <see cref="LivenessOptions.Interval"/>, <c>N</c> = <see cref="LivenessOptions.CountMax"/>,
/// <c>D</c> = <see cref="LivenessOptions.DoubtAfter"/>:</para>
/// <list type="bullet">
/// <item>During silence a probe goes out every <c>I</c> (an idle session costs one small request per <c>I</c>).</item>
/// <item>Input is admitted only while the device is <see cref="Liveness.Responding"/>, and admitting it sends a probe
/// when none is outstanding: a device that froze while the Controller types is in doubt <c>D</c> after the first
/// keystroke, not after the next idle probe. Input is never held back for later: it is sent or refused. With an input
/// grace <c>G</c>, the probe goes only if nothing was heard within <c>G</c> of the input (at the next tick after it):
/// for protocols where a probe costs the device's answer to the input itself (an RFB server answers one update at a
/// time, so a probe's update delays the key's echo), a device that answers the input needs no probe.</item>
/// <item>A probe unanswered for <c>D</c> makes the device <see cref="Liveness.NotResponding"/>; anything heard
/// makes it <see cref="Liveness.Responding"/> again.</item>
/// <item>The device is <see cref="Liveness.Dead"/> once nothing was heard for <c>I × N</c> (the liveness time) while a
/// probe was outstanding for at least <c>D</c>. Dead is final.</item>
/// </list>
/// </remarks>
public sealed class LivenessMonitor : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LivenessOptions _options;
    private readonly TimeProvider _time;
    private readonly Action _sendProbe;
    private readonly Action<Liveness> _changed;
    private readonly ITimer _timer;
    private readonly TimeSpan _inputGrace;
    private long _lastHeard;
    private long _lastProbe;
    private long _firstUnanswered; // 0: no probe outstanding
    private bool _probeRequested; // asked for by input, not yet reported sent
    private long _probeRequestedAt;
    private long _inputSince; // input admitted with a grace, nothing heard since (0: none)
    private Liveness _state = Liveness.Responding;

    /// <param name="options">Interval, count and doubt time (validated at start-up).</param>
    /// <param name="time">Clock and timers.</param>
    /// <param name="sendProbe">Sends one probe that the device must answer. Called outside the monitor's lock, from a
    /// timer or the input path; it must not block for long (queue the send if the transport can block).</param>
    /// <param name="changed">Called on every change of <see cref="State"/>, outside the lock.</param>
    /// <param name="inputGrace">Zero: admitted input sends a probe at once. Longer: only when nothing was heard within it.</param>
    public LivenessMonitor(LivenessOptions options, TimeProvider time, Action sendProbe, Action<Liveness> changed, TimeSpan inputGrace = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _inputGrace = inputGrace;
        _time = time;
        _sendProbe = sendProbe;
        _changed = changed;
        _lastHeard = time.GetTimestamp();
        var tick = TimeSpan.FromTicks(Math.Clamp(Math.Min(options.DoubtAfter.Ticks, options.Interval.Ticks) / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        _timer = time.CreateTimer(static self => ((LivenessMonitor)self!).Tick(), this, tick, tick);
    }

    /// <summary>The current state.</summary>
    public Liveness State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The liveness time: how long a device may stay silent under probing before it is declared dead.</summary>
    public TimeSpan LivenessTime => _options.Interval * _options.CountMax;

    /// <summary>Something came from the device: data, a reply, a request of its own.</summary>
    public void Heard()
    {
        var recovered = false;
        lock (_gate)
        {
            _lastHeard = _time.GetTimestamp();
            _firstUnanswered = 0;
            _inputSince = 0;
            if (_state == Liveness.NotResponding)
            {
                _state = Liveness.Responding;
                recovered = true;
            }
        }

        if (recovered)
        {
            _changed(Liveness.Responding);
        }
    }

    /// <summary>
    /// Asks whether input may go to the device now. True while the device responds (and a probe goes out with the
    /// input when none is outstanding, so that a freeze is noticed within the doubt time); false while it is in
    /// doubt or dead: the caller refuses the input, it does not queue it.
    /// </summary>
    public bool TryAdmitInput()
    {
        lock (_gate)
        {
            if (_state != Liveness.Responding)
            {
                return false;
            }

            if (_firstUnanswered != 0 || _probeRequested)
            {
                return true;
            }

            if (_inputGrace > TimeSpan.Zero)
            {
                // Tick sends the probe if the device says nothing within the grace.
                if (_inputSince == 0)
                {
                    _inputSince = _time.GetTimestamp();
                }

                return true;
            }

            // The doubt clock starts when the probe has gone out (ProbeSent), not now: a send queued behind a busy
            // thread pool must not count against the device.
            _probeRequested = true;
            _probeRequestedAt = _time.GetTimestamp();
        }

        _sendProbe();
        return true;
    }

    /// <summary>
    /// The probe that <see cref="TryAdmitInput"/> asked for has been written to the connection: from now on its
    /// answer is awaited — unless something was heard since it was asked for: the answer can arrive (on the
    /// connection's receive thread) before the sending thread gets here, and a doubt clock started after the answer
    /// would wait for an answer already taken, refusing a live device's input a few seconds later. A send that never
    /// completes (a frozen device's full TCP window) leaves the idle probes and the liveness time to end the session.
    /// </summary>
    public void ProbeSent()
    {
        lock (_gate)
        {
            if (_probeRequested)
            {
                _probeRequested = false;
                if (_lastHeard <= _probeRequestedAt)
                {
                    MarkProbe(_time.GetTimestamp());
                }
            }
        }
    }

    private void MarkProbe(long now)
    {
        _lastProbe = now;
        if (_firstUnanswered == 0)
        {
            _firstUnanswered = now;
        }
    }

    private void Tick()
    {
        Liveness? change = null;
        var doubtFirst = false;
        var probe = false;
        lock (_gate)
        {
            if (_state == Liveness.Dead)
            {
                return;
            }

            var now = _time.GetTimestamp();
            var silent = _time.GetElapsedTime(_lastHeard, now);
            var unanswered = _firstUnanswered == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_firstUnanswered, now);
            if (_firstUnanswered != 0 && unanswered >= _options.DoubtAfter && silent >= LivenessTime)
            {
                // A tick late enough (a busy appliance) can find the device dead without having seen it in doubt: the
                // doubt is still reported first, so everyone sees "not responding" before the end, in that order.
                doubtFirst = _state == Liveness.Responding;
                _state = Liveness.Dead;
                change = Liveness.Dead;
            }
            else
            {
                if (_firstUnanswered != 0 && unanswered >= _options.DoubtAfter && _state == Liveness.Responding)
                {
                    _state = Liveness.NotResponding;
                    change = Liveness.NotResponding;
                }

                var sinceProbe = _firstUnanswered == 0 ? silent : _time.GetElapsedTime(_lastProbe, now);
                var inputUnanswered = _inputSince != 0 && _firstUnanswered == 0 && _time.GetElapsedTime(_inputSince, now) >= _inputGrace;
                if ((silent >= _options.Interval && sinceProbe >= _options.Interval) || inputUnanswered)
                {
                    _inputSince = 0;
                    MarkProbe(now);
                    probe = true;
                }
            }
        }

        if (doubtFirst)
        {
            _changed(Liveness.NotResponding);
        }

        if (change is { } state)
        {
            _changed(state);
        }

        if (probe)
        {
            _sendProbe();
        }
    }

    /// <summary>Stops the timer; no further callbacks start.</summary>
    public void Dispose() => _timer.Dispose();
}
