using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>
/// A session's device liveness as everyone sees it. The <see cref="LivenessMonitor"/> keeps time over the probes the
/// session sends (an SSH keep-alive, an RFB update request); this tells the cloud on every change
/// (<see cref="DeviceStatus"/>: the page's "Device not responding" badge), tells the Controller when its input was
/// refused (<see cref="InputRefused"/>, at most once a second however fast the keys come), and hands the session its
/// end when the device is dead (<see cref="EndReason.DeviceUnresponsive"/>). It sends the session's probe off the
/// caller's thread, one at a time (a frozen device's full TCP window can block the write). Shared by the SSH, VNC and
/// RDP sessions.
/// </summary>
internal sealed partial class DeviceLiveness : IDisposable
{
    /// <summary>What the Controller of a remote display is told when its pointer or keys were refused.</summary>
    private const string DisplayInputRefused = "Not sent: the device is not responding. Input is refused until it answers again.";

    /// <summary>
    /// How long a remote display's input may go without anything from the device before a probe follows it. Not a probe
    /// behind every key as for SSH: the server answers the probe's update first and then waits its frame interval
    /// (TigerVNC: 60/s), so the key's echo would come a frame later (bench: key → pixels 11 → 26 ms median).
    /// </summary>
    public static readonly TimeSpan DisplayInputGrace = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan NoticeInterval = TimeSpan.FromSeconds(1);

    private readonly string _sessionId;
    private readonly LivenessOptions _options;
    private readonly IUplink _uplink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<SessionOutcome> _dead;
    private readonly Func<ValueTask> _probe;
    private readonly LivenessMonitor _monitor;
    private long _lastNotice;
    private int _probeInFlight;

    /// <param name="sessionId">The session the reports are about.</param>
    /// <param name="options">Interval, count and doubt time.</param>
    /// <param name="uplink">Where the reports go.</param>
    /// <param name="time">Clock and timers.</param>
    /// <param name="logger">The session's logger.</param>
    /// <param name="probe">Writes one probe the device must answer (or nothing, when the session is ending); its failures are the session's read loop's to report.</param>
    /// <param name="dead">Called once, from a timer, with the outcome to end the session with.</param>
    /// <param name="inputGrace">How long input may go unanswered before it is followed by a probe (<see cref="LivenessMonitor"/>; zero: at once).</param>
    public DeviceLiveness(string sessionId, LivenessOptions options, IUplink uplink, TimeProvider time, ILogger logger, Func<ValueTask> probe, Action<SessionOutcome> dead, TimeSpan inputGrace = default)
    {
        _sessionId = sessionId;
        _options = options;
        _uplink = uplink;
        _time = time;
        _logger = logger;
        _dead = dead;
        _probe = probe;
        _monitor = new LivenessMonitor(options, time, SendProbe, OnChanged, inputGrace);
    }

    /// <inheritdoc cref="LivenessMonitor.Heard"/>
    public void Heard() => _monitor.Heard();

    /// <inheritdoc cref="LivenessMonitor.TryAdmitInput"/>
    public bool TryAdmitInput() => _monitor.TryAdmitInput();

    /// <summary>
    /// Admits a remote display's input frame: anything but pointer and keys always; pointer and keys while the device
    /// responds (<see cref="LivenessMonitor.TryAdmitInput"/>). Otherwise logs it, tells the Controller
    /// (<see cref="NotifyRefused"/>) and returns false: the caller drops the input.
    /// </summary>
    public bool AdmitDisplayInput(FrameType type)
    {
        if (type is not (FrameType.PointerInput or FrameType.KeyInput) || _monitor.TryAdmitInput())
        {
            return true;
        }

        Log.DisplayInputRefused(_logger, _sessionId, type);
        NotifyRefused(DisplayInputRefused);
        return false;
    }

    /// <summary>Tells the Controller that input was refused (<paramref name="message"/>), unless it was told less than a second ago.</summary>
    public void NotifyRefused(string message)
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastNotice);
        if ((last == 0 || _time.GetElapsedTime(last, now) >= NoticeInterval) && Interlocked.CompareExchange(ref _lastNotice, now, last) == last)
        {
            Publish(new InputRefused(_sessionId, message));
        }
    }

    /// <summary>Stops the probes and the reports.</summary>
    public void Dispose() => _monitor.Dispose();

    private void SendProbe()
    {
        if (Interlocked.Exchange(ref _probeInFlight, 1) == 0)
        {
            _ = Task.Run(ProbeAsync);
        }
    }

    private async Task ProbeAsync()
    {
        try
        {
            await _probe();
            _monitor.ProbeSent();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The connection is gone or the session ending: its read loop reports why.
        }
        finally
        {
            Volatile.Write(ref _probeInFlight, 0);
        }
    }

    private void OnChanged(Liveness state)
    {
        switch (state)
        {
            case Liveness.NotResponding:
                Log.NotResponding(_logger, _sessionId, _options.DoubtAfter.TotalSeconds);
                Publish(new DeviceStatus(_sessionId, Responding: false));
                break;
            case Liveness.Responding:
                Log.RespondingAgain(_logger, _sessionId);
                Publish(new DeviceStatus(_sessionId, Responding: true));
                break;
            case Liveness.Dead:
                var seconds = _monitor.LivenessTime.TotalSeconds;
                Log.Dead(_logger, _sessionId, seconds);
                _dead(new SessionOutcome(EndReason.DeviceUnresponsive, $"The device stopped responding: nothing came back for {seconds:0} s."));
                break;
            default:
                break;
        }
    }

    private void Publish(ControlMessage message) =>
        _ = _uplink.PublishControlAsync(message, CancellationToken.None).AsTask().ContinueWith(
            static (t, state) => Log.PublishFailed((ILogger)state!, t.Exception!.GetBaseException().GetType().Name),
            _logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static partial class Log
    {
        [LoggerMessage(306, LogLevel.Warning, "Session {SessionId}: the device has not answered a probe for {Seconds} s: not responding, input refused")]
        public static partial void NotResponding(ILogger logger, string sessionId, double seconds);

        [LoggerMessage(307, LogLevel.Information, "Session {SessionId}: the device responds again")]
        public static partial void RespondingAgain(ILogger logger, string sessionId);

        [LoggerMessage(308, LogLevel.Warning, "Session {SessionId}: nothing came back from the device for {Seconds} s: ending the session")]
        public static partial void Dead(ILogger logger, string sessionId, double seconds);

        [LoggerMessage(320, LogLevel.Information, "Session {SessionId}: {Type} refused: the device is not responding")]
        public static partial void DisplayInputRefused(ILogger logger, string sessionId, FrameType type);

        [LoggerMessage(321, LogLevel.Warning, "Publishing a device status failed ({ExceptionType})")]
        public static partial void PublishFailed(ILogger logger, string exceptionType);
    }
}
