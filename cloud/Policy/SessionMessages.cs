namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// A chat message in a session, as every participant sees it: <see cref="Id"/> increases in the order messages were
/// sent (across sessions), <see cref="Name"/> is the author's name when they wrote it, <see cref="At"/> UTC.
/// </summary>
public sealed record ChatMessage(long Id, string UserId, string Name, DateTimeOffset At, string Text);

/// <summary>A session note (what was found, what was done), written by the Controller or a co-controller; fields as <see cref="ChatMessage"/>.</summary>
public sealed record SessionNote(long Id, string UserId, string Name, DateTimeOffset At, string Text);

/// <summary>The two kinds of <see cref="SessionMessages"/>: the <c>kind</c> column's values.</summary>
public enum MessageKind
{
    /// <summary>A chat message (<c>chat</c>).</summary>
    Chat,

    /// <summary>A session note (<c>note</c>).</summary>
    Note,
}

/// <summary>
/// The <c>session_messages</c> table: a session's chat and notes, in the order they were written. One indexed insert per
/// message; reads walk the <c>(session_id, kind, id)</c> index, so a session's conversation costs what its own length
/// does, whatever the table holds. Texts are stored as checked by the caller (the store does not judge them).
/// </summary>
public sealed class SessionMessages(CloudDatabase database)
{
    /// <summary>Stores a message and returns it with its id.</summary>
    public ChatMessage Add(string sessionId, MessageKind kind, string userId, string userName, DateTimeOffset at, string text)
    {
        using var connection = database.Open();
        var id = (long)connection.Scalar(
            """
            INSERT INTO session_messages (session_id, kind, user_id, user_name, at, text)
            VALUES ($session, $kind, $user, $name, $at, $text)
            RETURNING id
            """,
            ("$session", sessionId), ("$kind", Kind(kind)), ("$user", userId), ("$name", userName), ("$at", Sql.Time(at)), ("$text", text))!;
        return new ChatMessage(id, userId, userName, at, text);
    }

    /// <summary>The session's messages of <paramref name="kind"/>, oldest first; at most <paramref name="limit"/>, the newest ones when there are more.</summary>
    public IReadOnlyList<ChatMessage> Last(string sessionId, MessageKind kind, int limit)
    {
        using var connection = database.Open();
        var newestFirst = connection.Query(
            "SELECT id, user_id, user_name, at, text FROM session_messages WHERE session_id = $session AND kind = $kind ORDER BY id DESC LIMIT $limit",
            r => new ChatMessage(r.GetInt64(0), r.GetString(1), r.GetString(2), r.ReadTime(3), r.GetString(4)),
            ("$session", sessionId), ("$kind", Kind(kind)), ("$limit", Math.Max(0, limit)));
        newestFirst.Reverse();
        return newestFirst;
    }

    /// <summary>How many messages of <paramref name="kind"/> the session has.</summary>
    public int Count(string sessionId, MessageKind kind)
    {
        using var connection = database.Open();
        return Convert.ToInt32(
            connection.Scalar("SELECT COUNT(*) FROM session_messages WHERE session_id = $session AND kind = $kind", ("$session", sessionId), ("$kind", Kind(kind))),
            System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The session's notes, oldest first (at most <paramref name="limit"/>, the newest ones).</summary>
    public IReadOnlyList<SessionNote> Notes(string sessionId, int limit) =>
        [.. Last(sessionId, MessageKind.Note, limit).Select(m => new SessionNote(m.Id, m.UserId, m.Name, m.At, m.Text))];

    private static string Kind(MessageKind kind) => kind == MessageKind.Note ? "note" : "chat";
}
