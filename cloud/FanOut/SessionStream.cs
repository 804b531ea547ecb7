using System.Text.Json;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>
/// One session's fan-out on this node: each frame arrives once, is copied once, and is queued to every
/// viewer. It keeps the newest keyframe and what followed (bounded) so a late joiner, or a viewer that fell
/// behind, starts from a keyframe at once; with no keyframe at hand it asks the appliance for one. The viewer count
/// goes to everyone at most once per <see cref="ViewerCountDelay"/>: a crowd joining costs one message per viewer
/// per interval, not one per viewer per join.
/// </summary>
public sealed class SessionStream
{
    /// <summary>How long a change of the viewer count waits for more changes before everyone is told.</summary>
    public static readonly TimeSpan ViewerCountDelay = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();

    // Copy-on-write under _gate: frames read it without copying (joins and leaves are rare next to frames).
    private StreamViewer[] _viewers = [];
    private readonly List<byte[]> _cache = [];
    private readonly SessionLimitsOptions _options;
    private readonly CloudMetrics _metrics;
    private readonly Action _requestKeyframe;
    private readonly TimeProvider _time;
    private int _cacheBytes;
    private bool _cacheValid;
    private long _lastKeyframeRequest = long.MinValue;
    private bool _ended;
    private StreamViewer? _controlHolder;
    private StreamControl _control = new(string.Empty, new HashSet<string>(StringComparer.Ordinal), false);
    private string? _finalJson;
    private ITimer? _viewerCountTimer;

    // While a viewer waits for a keyframe, the request is repeated this often: a request the appliance did not answer
    // (lost with a dropping link, ignored because it had just sent one, or rate-limited here while nothing else flows
    // on an idle session) must not leave that viewer skipping every frame for good.
    private static readonly TimeSpan KeyframeRetryInterval = TimeSpan.FromSeconds(1);
    private ITimer? _keyframeRetry;

    /// <param name="options">Queue and keyframe-cache bounds.</param>
    /// <param name="metrics">Deliveries, skips.</param>
    /// <param name="time">Paces keyframe requests and the viewer count.</param>
    /// <param name="requestKeyframe">Asks the appliance for a keyframe (rate-limited here).</param>
    /// <param name="clipboardToViewers">
    /// The endpoint's policy lets the device's clipboard text reach the session's participants
    /// (<c>EndpointPolicy.ClipboardToBrowser</c>); otherwise <see cref="FrameType.DisplayClipboard"/> frames are dropped.
    /// </param>
    public SessionStream(SessionLimitsOptions options, CloudMetrics metrics, TimeProvider time, Action requestKeyframe, bool clipboardToViewers = false)
    {
        _options = options;
        _metrics = metrics;
        _time = time;
        _requestKeyframe = requestKeyframe;
        ClipboardToViewers = clipboardToViewers;
    }

    /// <summary>Whether <see cref="FrameType.DisplayClipboard"/> frames reach viewers (the endpoint's clipboard policy).</summary>
    public bool ClipboardToViewers { get; }

    /// <summary>Viewers connected now (connections that are not the Controller's).</summary>
    public int ViewerCount
    {
        get
        {
            lock (_gate)
            {
                return CountViewers(_viewers);
            }
        }
    }

    /// <summary>True when a keyframe and every frame after it are cached.</summary>
    public bool HasKeyframe
    {
        get
        {
            lock (_gate)
            {
                return _cacheValid;
            }
        }
    }

    /// <summary>Takes one frame from the appliance. Never blocks on a viewer.</summary>
    public void OnFrame(ReadOnlySpan<byte> frame, in FrameHeader header)
    {
        // The clipboard policy is enforced here, where every frame of the session enters the fan-out once: a device's
        // clipboard text that the endpoint's policy keeps from browsers is neither cached for late joiners nor queued
        // to any viewer. (The appliance is configured not to send it either; this does not rely on that.)
        if (header.Type == FrameType.DisplayClipboard && !ClipboardToViewers)
        {
            _metrics.ClipboardDropped.Add(1);
            return;
        }

        var bytes = frame.ToArray();
        StreamViewer[] viewers;
        var requestKeyframe = false;
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            if (header.IsKeyframe)
            {
                _cache.Clear();
                _cache.Add(bytes);
                _cacheBytes = bytes.Length;
                _cacheValid = true;
            }
            else if (_cacheValid)
            {
                if (_cacheBytes + bytes.Length > _options.KeyframeCacheBytes)
                {
                    _cache.Clear();
                    _cacheBytes = 0;
                    _cacheValid = false;

                    // A terminal keyframe is a screenful of text and changes nothing for viewers in sync: ask for one
                    // now, so the next joiner starts at once. A display keyframe restarts every viewer's screen and
                    // costs the uplink a whole screen: asked for only when someone needs it (a join, a resync).
                    requestKeyframe = !IsDisplayOutput(header.Type);
                }
                else
                {
                    _cache.Add(bytes);
                    _cacheBytes += bytes.Length;
                }
            }

            if (header.Type == FrameType.End)
            {
                _ended = true;
            }

            viewers = _viewers;
        }

        var delivered = 0;
        foreach (var viewer in viewers)
        {
            // A display keyframe (DisplayInit) goes to viewers in sync too: the updates after it belong to the new deflate
            // stream it starts (contract §1), and it may carry a new screen size. A terminal snapshot does not need to.
            switch (viewer.Offer(bytes, header.IsKeyframe, resetsDecoder: header.Type == FrameType.DisplayInit))
            {
                case OfferResult.Queued:
                    delivered++;
                    break;
                case OfferResult.Overflowed:
                    _metrics.ViewerSkips.Add(1);
                    requestKeyframe |= !Resync(viewer);
                    break;
                case OfferResult.Skipped when !header.IsKeyframe && header.Type != FrameType.End:
                    // The viewer waits for a keyframe. Its own request may have been refused by the rate limit after
                    // the previous one was already answered: ask again (still rate-limited) rather than leave it waiting.
                    requestKeyframe = true;
                    break;
                default:
                    break;
            }
        }

        _metrics.Deliveries.Add(delivered);
        if (requestKeyframe)
        {
            RequestKeyframe();
        }
    }

    /// <summary>
    /// Adds a viewer and gives it its role (<see cref="StreamViewer.IsController"/>, <see cref="StreamViewer.CanInput"/>);
    /// <paramref name="hello"/>, built knowing that role, is its first message. It then gets the cached keyframe and
    /// what followed, or waits for the next keyframe.
    /// </summary>
    public void Join(StreamViewer viewer, Func<StreamViewer, string>? hello = null)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        bool needKeyframe;
        string? finalJson;
        lock (_gate)
        {
            _viewers = [.. _viewers, viewer];
            AssignRoles();
            if (hello is not null)
            {
                viewer.OfferText(hello(viewer));
            }

            needKeyframe = !viewer.StartFrom(_cacheValid ? _cache : null);
            finalJson = _finalJson;
        }

        if (finalJson is not null)
        {
            // The session ended while this viewer was connecting: it shows the last screen and the end, then closes.
            viewer.Complete(finalJson);
        }
        else if (needKeyframe)
        {
            RequestKeyframe();
        }
    }

    public void Leave(StreamViewer viewer)
    {
        lock (_gate)
        {
            _viewers = Array.FindAll(_viewers, v => !ReferenceEquals(v, viewer));
            if (ReferenceEquals(_controlHolder, viewer))
            {
                // The Controller closed the tab that held control: another tab of theirs, if any, takes it.
                _controlHolder = null;
                AssignRoles();
            }
        }
    }

    /// <summary>
    /// Someone joined or left: every connection gets the new viewer count after <see cref="ViewerCountDelay"/>,
    /// together with any further change in that time.
    /// </summary>
    public void ViewersChanged()
    {
        lock (_gate)
        {
            if (_ended || _viewerCountTimer is not null)
            {
                return;
            }

            _viewerCountTimer = _time.CreateTimer(static self => ((SessionStream)self!).AnnounceViewers(), this, ViewerCountDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void AnnounceViewers()
    {
        StreamViewer[] viewers;
        lock (_gate)
        {
            _viewerCountTimer?.Dispose();
            _viewerCountTimer = null;
            if (_ended)
            {
                return;
            }

            viewers = _viewers;
        }

        OfferText(viewers, JsonSerializer.Serialize(new StreamEvent("viewers", Count: CountViewers(viewers)), StreamEventJson.Default.StreamEvent));
    }

    private static void OfferText(StreamViewer[] viewers, string json)
    {
        foreach (var viewer in viewers)
        {
            viewer.OfferText(json);
        }
    }

    private static int CountViewers(StreamViewer[] viewers)
    {
        var count = 0;
        foreach (var viewer in viewers)
        {
            count += viewer.IsController ? 0 : 1;
        }

        return count;
    }

    /// <summary>
    /// Who may type now: the Controller (<see cref="StreamControl.ControllerId"/>), co-controllers, and whether input
    /// is paused. Control belongs to one connection, not to every tab the Controller opens: their first connection
    /// holds it, further ones watch read-only until it closes. Returns, for each connection whose role changed, its new
    /// role, so the caller can tell each page.
    /// </summary>
    public IReadOnlyList<StreamViewer> SetControl(StreamControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        lock (_gate)
        {
            var before = _viewers.Select(v => (v, v.IsController, v.CanInput)).ToArray();
            if (_control.ControllerId != control.ControllerId)
            {
                _controlHolder = null;
            }

            _control = control;
            AssignRoles();
            return [.. before.Where(b => b.v.IsController != b.IsController || b.v.CanInput != b.CanInput).Select(b => b.v)];
        }
    }

    /// <summary>The control in force (see <see cref="SetControl"/>).</summary>
    public StreamControl Control
    {
        get
        {
            lock (_gate)
            {
                return _control;
            }
        }
    }

    /// <summary>Each viewer's flags from <see cref="_control"/>; under <see cref="_gate"/>.</summary>
    private void AssignRoles()
    {
        if (_controlHolder is null || !_viewers.Contains(_controlHolder))
        {
            _controlHolder = Array.Find(_viewers, v => v.UserId == _control.ControllerId);
        }

        foreach (var viewer in _viewers)
        {
            viewer.IsController = ReferenceEquals(viewer, _controlHolder);
            viewer.CanInput = !_control.InputPaused && (viewer.IsController || _control.CoControllers.Contains(viewer.UserId));
        }
    }

    /// <summary>Sends a text (JSON) message, built per connection, to every viewer.</summary>
    public void Broadcast(Func<StreamViewer, string> json)
    {
        ArgumentNullException.ThrowIfNull(json);
        StreamViewer[] viewers;
        lock (_gate)
        {
            viewers = _viewers;
        }

        foreach (var viewer in viewers)
        {
            viewer.OfferText(json(viewer));
        }
    }

    /// <summary>Sends a text (JSON) message to every connection of one user.</summary>
    public void SendTo(string userId, string json) => ForUser(userId, viewer => viewer.OfferText(json));

    /// <summary>Closes every connection of one user after <paramref name="finalJson"/> (their access was withdrawn); the session goes on.</summary>
    public void Dismiss(string userId, string finalJson) => ForUser(userId, viewer => viewer.Complete(finalJson));

    private void ForUser(string userId, Action<StreamViewer> action)
    {
        StreamViewer[] viewers;
        lock (_gate)
        {
            viewers = _viewers;
        }

        foreach (var viewer in viewers)
        {
            if (viewer.UserId == userId)
            {
                action(viewer);
            }
        }
    }

    /// <summary>The users with a connection open now.</summary>
    public IReadOnlySet<string> ConnectedUsers
    {
        get
        {
            lock (_gate)
            {
                return _viewers.Select(v => v.UserId).ToHashSet(StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// The appliance's link dropped and came back: frames sent while it was down are lost, so the cached keyframe's
    /// tail has a gap and every viewer, however in sync it looks, takes the next keyframe (the appliance sends one for
    /// every running session right after it reconnects).
    /// </summary>
    public void ResumeAfterGap()
    {
        StreamViewer[] viewers;
        lock (_gate)
        {
            _cache.Clear();
            _cacheBytes = 0;
            _cacheValid = false;
            viewers = _viewers;
        }

        foreach (var viewer in viewers)
        {
            viewer.ExpectKeyframe();
        }

        // The keyframe the appliance sends after its Hello may have arrived before this reset (the Hello goes on the
        // control topic, the keyframe on the session's): without a keyframe after it, every viewer would skip all output
        // from here on. One more is asked for; a second keyframe costs a repaint, a missing one a frozen screen.
        _requestKeyframe();
        ArmKeyframeRetry();
    }

    /// <summary>Sends a text (JSON) message to every viewer.</summary>
    public void Broadcast(string json)
    {
        StreamViewer[] viewers;
        lock (_gate)
        {
            viewers = _viewers;
        }

        OfferText(viewers, json);
    }

    /// <summary>Sends a text (JSON) message to the connection that holds control, if any.</summary>
    public void NotifyController(string json)
    {
        StreamViewer[] viewers;
        lock (_gate)
        {
            viewers = _viewers;
        }

        foreach (var viewer in viewers)
        {
            if (viewer.IsController)
            {
                viewer.OfferText(json);
            }
        }
    }

    /// <summary>The session is over: viewers get <paramref name="finalJson"/> after what is queued, then close.</summary>
    public void Complete(string finalJson)
    {
        StreamViewer[] viewers;
        lock (_gate)
        {
            _ended = true;
            _finalJson ??= finalJson;
            viewers = _viewers;
            _viewerCountTimer?.Dispose();
            _viewerCountTimer = null;
            _keyframeRetry?.Dispose();
            _keyframeRetry = null;
        }

        foreach (var viewer in viewers)
        {
            viewer.Complete(finalJson);
        }
    }

    private static bool IsDisplayOutput(FrameType type) => type is >= FrameType.DisplayInit and <= FrameType.DisplayClipboard;

    /// <summary>
    /// A viewer's page lost track of the display (a frame it could not decode): it restarts from the cached keyframe
    /// and tail at once, or waits for the next keyframe, which is then asked of the appliance (rate-limited).
    /// </summary>
    public void ResyncViewer(StreamViewer viewer)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        if (!Resync(viewer))
        {
            RequestKeyframe();
        }
    }

    private bool Resync(StreamViewer viewer)
    {
        lock (_gate)
        {
            return viewer.StartFrom(_cacheValid ? _cache : null);
        }
    }

    private void RequestKeyframe()
    {
        // At most one request per 250 ms: a crowd joining at once needs one keyframe, not a crowd of them.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastKeyframeRequest);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < TimeSpan.FromMilliseconds(250))
        {
            ArmKeyframeRetry();
            return;
        }

        if (Interlocked.CompareExchange(ref _lastKeyframeRequest, now, last) == last)
        {
            _requestKeyframe();
        }

        ArmKeyframeRetry();
    }

    private void ArmKeyframeRetry()
    {
        lock (_gate)
        {
            if (_ended || _keyframeRetry is not null)
            {
                return;
            }

            _keyframeRetry = _time.CreateTimer(static self => ((SessionStream)self!).RetryKeyframe(), this, KeyframeRetryInterval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Asks again while anyone still waits for a keyframe (at most once per <see cref="KeyframeRetryInterval"/>).</summary>
    private void RetryKeyframe()
    {
        bool waiting;
        lock (_gate)
        {
            _keyframeRetry?.Dispose();
            _keyframeRetry = null;
            waiting = !_ended && _viewers.Any(v => v.NeedsKeyframe);
        }

        if (waiting)
        {
            Interlocked.Exchange(ref _lastKeyframeRequest, _time.GetTimestamp());
            _requestKeyframe();
            ArmKeyframeRetry();
        }
    }
}

/// <summary>Who may type in a session: the Controller's user id, co-controllers' ids, and whether input is paused (supervision).</summary>
public sealed record StreamControl(string ControllerId, IReadOnlySet<string> CoControllers, bool InputPaused);
