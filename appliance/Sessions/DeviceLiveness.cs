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
/// end when the device is dead (<see cref="EndReason.DeviceUnresponsive"/>). Shared by the SSH and VNC sessions.
/// </summary>
internal sealed partial class DeviceLiveness : IDisposable
{
    private static readonly TimeSpan NoticeInterval = TimeSpan.FromSeconds(1);

    private readonly string _sessionId;
    private readonly LivenessOptions _options;
    private readonly IUplink _uplink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<SessionOutcome> _dead;
    private readonly LivenessMonitor _monitor;
    private long _lastNotice;

    /// <param name="sessionId">The session the reports are about.</param>
    /// <param name="options">Interval, count and doubt time.</param>
    /// <param name="uplink">Where the reports go.</param>
    /// <param name="time">Clock and timers.</param>
    /// <param name="logger">The session's logger.</param>
    /// <param name="sendProbe">Sends one probe the device must answer; must not block (see <see cref="LivenessMonitor"/>).</param>
    /// <param name="dead">Called once, from a timer, with the outcome to end the session with.</param>
    /// <param name="inputGrace">How long input may go unanswered before it is followed by a probe (<see cref="LivenessMonitor"/>; zero: at once).</param>
    public DeviceLiveness(string sessionId, LivenessOptions options, IUplink uplink, TimeProvider time, ILogger logger, Action sendProbe, Action<SessionOutcome> dead, TimeSpan inputGrace = default)
    {
        _sessionId = sessionId;
        _options = options;
        _uplink = uplink;
        _time = time;
        _logger = logger;
        _dead = dead;
        _monitor = new LivenessMonitor(options, time, sendProbe, OnChanged, inputGrace);
    }

    /// <inheritdoc cref="LivenessMonitor.Heard"/>
    public void Heard() => _monitor.Heard();

    /// <inheritdoc cref="LivenessMonitor.TryAdmitInput"/>
    public bool TryAdmitInput() => _monitor.TryAdmitInput();

    /// <inheritdoc cref="LivenessMonitor.ProbeSent"/>
    public void ProbeSent() => _monitor.ProbeSent();

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

        [LoggerMessage(312, LogLevel.Warning, "Publishing a device status failed ({ExceptionType})")]
        public static partial void PublishFailed(ILogger logger, string exceptionType);
    }
}
