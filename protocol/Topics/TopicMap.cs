namespace EdgeGateway.Protocol.Topics;

/// <summary>
/// The MQTT topic tree. Everything an appliance sends or receives sits under its own prefix
/// <c>eg/v1/{applianceId}/</c>; the broker lets an appliance publish only to its <c>up/…</c> topics and
/// subscribe only to its <c>down/…</c> topics.
/// </summary>
/// <remarks>
/// <code>
/// eg/v1/{applianceId}/up/ctl               appliance → cloud  control messages (JSON, <see cref="Control.ControlMessage"/>)
/// eg/v1/{applianceId}/up/s/{sessionId}     appliance → cloud  output frames of one session
/// eg/v1/{applianceId}/down/ctl             cloud → appliance  control messages
/// eg/v1/{applianceId}/down/s/{sessionId}   cloud → appliance  input frames of one session
/// </code>
/// </remarks>
public static class TopicMap
{
    /// <summary>Root of every topic of this protocol version.</summary>
    public const string Root = "eg/v1/";

    /// <summary>Longest appliance id.</summary>
    public const int MaxApplianceIdLength = 64;

    /// <summary>Length of a session id: 32 lower-case hex digits.</summary>
    public const int SessionIdLength = 32;

    /// <summary>Topic of the appliance's control messages to the cloud.</summary>
    public static string UpControl(string applianceId) => Root + applianceId + "/up/ctl";

    /// <summary>Topic of one session's output frames.</summary>
    public static string UpStream(string applianceId, string sessionId) => Root + applianceId + "/up/s/" + sessionId;

    /// <summary>Topic of the cloud's control messages to an appliance.</summary>
    public static string DownControl(string applianceId) => Root + applianceId + "/down/ctl";

    /// <summary>Topic of one session's input frames.</summary>
    public static string DownStream(string applianceId, string sessionId) => Root + applianceId + "/down/s/" + sessionId;

    /// <summary>The one filter an appliance subscribes to.</summary>
    public static string DownFilter(string applianceId) => Root + applianceId + "/down/#";

    /// <summary>
    /// An appliance id is 1–64 characters of lower-case letters, digits and '-', not starting with '-'.
    /// It is the certificate's common name and the MQTT client id, and never holds a topic wildcard.
    /// </summary>
    public static bool IsValidApplianceId(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > MaxApplianceIdLength || id[0] == '-')
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A session id is exactly 32 lower-case hex digits.</summary>
    public static bool IsValidSessionId(ReadOnlySpan<char> id)
    {
        if (id.Length != SessionIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Makes a new random session id.</summary>
    public static string NewSessionId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// Parses a topic of this protocol. Returns false for anything else, including wildcards, extra levels
    /// and ids that break the rules above.
    /// </summary>
    public static bool TryParse(string topic, out TopicInfo info)
    {
        ArgumentNullException.ThrowIfNull(topic);
        info = default;
        if (!topic.StartsWith(Root, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = topic.AsSpan(Root.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || !IsValidApplianceId(rest[..slash]))
        {
            return false;
        }

        var applianceId = topic.Substring(Root.Length, slash);
        rest = rest[(slash + 1)..];

        TopicDirection direction;
        if (rest.StartsWith("up/"))
        {
            direction = TopicDirection.Up;
        }
        else if (rest.StartsWith("down/"))
        {
            direction = TopicDirection.Down;
        }
        else
        {
            return false;
        }

        rest = rest[(rest.IndexOf('/') + 1)..];
        if (rest.SequenceEqual("ctl"))
        {
            info = new TopicInfo(applianceId, direction, TopicKind.Control, null);
            return true;
        }

        if (rest.StartsWith("s/") && IsValidSessionId(rest[2..]))
        {
            info = new TopicInfo(applianceId, direction, TopicKind.Stream, rest[2..].ToString());
            return true;
        }

        return false;
    }

    /// <summary>True when <paramref name="applianceId"/> may publish to <paramref name="topic"/>: its own up topics only.</summary>
    public static bool MayPublish(string applianceId, string topic) =>
        TryParse(topic, out var info) && info.ApplianceId == applianceId && info.Direction == TopicDirection.Up;

    /// <summary>True when <paramref name="applianceId"/> may subscribe to <paramref name="filter"/>: its own down tree only.</summary>
    public static bool MaySubscribe(string applianceId, string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (!IsValidApplianceId(applianceId))
        {
            return false;
        }

        if (filter == DownFilter(applianceId))
        {
            return true;
        }

        return !filter.Contains('+', StringComparison.Ordinal) && !filter.Contains('#', StringComparison.Ordinal)
            && TryParse(filter, out var info) && info.ApplianceId == applianceId && info.Direction == TopicDirection.Down;
    }
}

/// <summary>Which way a topic's messages flow.</summary>
public enum TopicDirection
{
    /// <summary>Appliance to cloud.</summary>
    Up,

    /// <summary>Cloud to appliance.</summary>
    Down,
}

/// <summary>What a topic carries.</summary>
public enum TopicKind
{
    /// <summary>Control messages.</summary>
    Control,

    /// <summary>Session-stream frames.</summary>
    Stream,
}

/// <summary>A parsed topic.</summary>
/// <param name="ApplianceId">The appliance the topic belongs to.</param>
/// <param name="Direction">Which way it flows.</param>
/// <param name="Kind">Control or stream.</param>
/// <param name="SessionId">The session, for stream topics.</param>
public readonly record struct TopicInfo(string ApplianceId, TopicDirection Direction, TopicKind Kind, string? SessionId);
