using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Cloud.Policy;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>
/// A session's chat and notes: <see cref="Act.Chat"/> (everyone admitted, guests included) and <see cref="Act.WriteNote"/>
/// (the Controller and co-controllers) go through <see cref="Authorizer"/>, are audited (<c>session.chat</c>,
/// <c>session.note</c>, the text clipped to <see cref="AuditTextLength"/> characters as detail) and only then stored
/// (<see cref="SessionMessages"/>) and sent to every page of the session: <c>{"type":"chat","message":…}</c>,
/// <c>{"type":"note","note":…}</c>. A page gets <c>{"type":"chat-history","messages":[…]}</c> (the last
/// <see cref="HistoryMessages"/>) right after its <c>hello</c>.
/// <para>
/// Invariant: every page sees each message exactly once and in the order they were stored. A post (store, then send)
/// and a page's greeting (read the history, send it) hold the session's conversation lock, and a message goes only to
/// the pages already greeted: a page greeted later finds it in its history instead. The cost is one lock per session,
/// held for one indexed insert or read.
/// </para>
/// <para>
/// Bounds: text sizes (<see cref="MaxChatLength"/>, <see cref="MaxNoteLength"/>), messages kept per session
/// (<see cref="MaxChatMessages"/>, <see cref="MaxNotes"/>) and a rate per person (<see cref="MaxPerWindow"/> per
/// <see cref="RateWindow"/>), which also keeps a burst of chat below <see cref="StreamViewer.MaxQueuedTexts"/> in a
/// reading page's queue. Chat and notes are what people typed into them; device input never goes there.
/// </para>
/// </summary>
public sealed class SessionConversation(SessionService sessions, SessionMessages messages, AuditLog audit, TimeProvider time)
{
    /// <summary>The longest chat message, in UTF-16 characters after trimming.</summary>
    public const int MaxChatLength = 2000;

    /// <summary>The longest note, in UTF-16 characters after trimming.</summary>
    public const int MaxNoteLength = 8000;

    /// <summary>Chat messages in the <c>chat-history</c> a page gets after <c>hello</c> (the newest ones).</summary>
    public const int HistoryMessages = 200;

    /// <summary>Chat messages a session keeps; further ones are refused (409).</summary>
    public const int MaxChatMessages = 5000;

    /// <summary>Notes a session keeps; further ones are refused (409).</summary>
    public const int MaxNotes = 500;

    /// <summary>Messages (chat and notes together) one person may send in a session per <see cref="RateWindow"/>.</summary>
    public const int MaxPerWindow = 20;

    /// <summary>The window <see cref="MaxPerWindow"/> counts in.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    /// <summary>Characters of a message's text the audit event keeps as its detail.</summary>
    public const int AuditTextLength = 500;

    /// <summary>The largest request body a post takes (a note of <see cref="MaxNoteLength"/> characters, each JSON-escaped, fits).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly Decision NoSession = Decision.Refuse(404, "no-session", "There is no such session, or it has ended.");

    private readonly ConditionalWeakTable<LiveSession, Conversation> _conversations = [];

    /// <summary>Sends a chat message as <paramref name="actor"/>; the stored message, or the refusal.</summary>
    public Governed<ChatMessage> Chat(Actor actor, string sessionId, string? text) => Post(actor, sessionId, text, MessageKind.Chat);

    /// <summary>Writes a session note as <paramref name="actor"/>; the stored note, or the refusal.</summary>
    public Governed<SessionNote> WriteNote(Actor actor, string sessionId, string? text) =>
        Post(actor, sessionId, text, MessageKind.Note) is var posted && posted.Allowed
            ? new Governed<SessionNote>(AsNote(posted.Value!), posted.Decision)
            : posted.Decision;

    /// <summary>The session's chat, oldest first (at most <see cref="MaxChatMessages"/>), for someone admitted to it.</summary>
    public Governed<IReadOnlyList<ChatMessage>> ChatOf(Actor actor, string sessionId) =>
        Read(actor, sessionId, id => messages.Last(id, MessageKind.Chat, MaxChatMessages));

    /// <summary>The session's notes, oldest first, for someone admitted to it.</summary>
    public Governed<IReadOnlyList<SessionNote>> NotesOf(Actor actor, string sessionId) =>
        Read(actor, sessionId, id => messages.Notes(id, MaxNotes));

    /// <summary>
    /// A page joined the session's stream (its <c>hello</c> is queued): it gets the <c>chat-history</c>, and from then
    /// on every new message.
    /// </summary>
    public void Greet(LiveSession session, StreamViewer viewer)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(viewer);
        var conversation = _conversations.GetValue(session, _ => new Conversation());
        lock (conversation.Gate)
        {
            var history = messages.Last(session.Id, MessageKind.Chat, HistoryMessages);
            viewer.OfferText(JsonSerializer.Serialize(new ChatHistoryEvent("chat-history", history), ConversationJson.Default.ChatHistoryEvent));
            conversation.Greeted.Add(viewer);
        }
    }

    /// <summary>A page left the session's stream.</summary>
    public void Forget(LiveSession session, StreamViewer viewer)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (_conversations.TryGetValue(session, out var conversation))
        {
            lock (conversation.Gate)
            {
                conversation.Greeted.Remove(viewer);
            }
        }
    }

    /// <summary>
    /// Checks a message's text: line endings become <c>\n</c>, surrounding white space goes; then 1 to
    /// <paramref name="maxLength"/> characters, no control character but <c>\n</c>, no broken UTF-16. The error is the
    /// sentence the user sees (<paramref name="what"/> names the kind: "chat message", "note").
    /// </summary>
    public static bool TryCheckText(string? text, int maxLength, string what, out string clean, out string error)
    {
        clean = (text ?? string.Empty).ReplaceLineEndings("\n").Trim();
        error =
            clean.Length == 0 ? $"Write the {what} first: it is empty."
            : clean.Length > maxLength ? $"A {what} is at most {maxLength} characters; this one has {clean.Length}."
            : clean.Any(c => char.IsControl(c) && c != '\n') ? $"A {what} may hold line breaks, but no other control characters."
            : HasBrokenSurrogate(clean) ? $"The {what} holds a broken character; send it again."
            : string.Empty;
        return error.Length == 0;
    }

    private Governed<ChatMessage> Post(Actor actor, string sessionId, string? text, MessageKind kind)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var (act, action, maxLength, what) = kind == MessageKind.Chat
            ? (Act.Chat, "session.chat", MaxChatLength, "chat message")
            : (Act.WriteNote, "session.note", MaxNoteLength, "note");
        var decision = Authorizer.Decide(actor, act, Target(actor, session));
        var clean = string.Empty;
        if (decision.Allowed && !TryCheckText(text, maxLength, what, out clean, out var error))
        {
            decision = Decision.Refuse(400, "bad-request", error);
        }

        var conversation = _conversations.GetValue(session, _ => new Conversation());
        lock (conversation.Gate)
        {
            if (decision.Allowed)
            {
                decision = Limit(conversation, session.Id, actor.Id, kind);
            }

            audit.Record(actor, action, decision, session.ApplianceId, session.EndpointId, session.Id, decision.Allowed ? Clip(clean) : null);
            if (!decision.Allowed)
            {
                return decision;
            }

            var message = messages.Add(session.Id, kind, actor.Id, actor.Name, time.GetUtcNow(), clean);
            conversation.Count(kind)++;
            var json = kind == MessageKind.Chat
                ? JsonSerializer.Serialize(new ChatEvent("chat", message), ConversationJson.Default.ChatEvent)
                : JsonSerializer.Serialize(new NoteEvent("note", AsNote(message)), ConversationJson.Default.NoteEvent);
            foreach (var viewer in conversation.Greeted)
            {
                viewer.OfferText(json);
            }

            return new(message, decision);
        }
    }

    /// <summary>Under the conversation's lock: the session's cap for <paramref name="kind"/> and the sender's rate.</summary>
    private Decision Limit(Conversation conversation, string sessionId, string userId, MessageKind kind)
    {
        ref var count = ref conversation.Count(kind);
        count ??= messages.Count(sessionId, kind);
        if (count >= (kind == MessageKind.Chat ? MaxChatMessages : MaxNotes))
        {
            return kind == MessageKind.Chat
                ? Decision.Refuse(409, "chat-full", $"This session's chat is full: it keeps at most {MaxChatMessages} messages.")
                : Decision.Refuse(409, "notes-full", $"This session has the most notes it keeps ({MaxNotes}).");
        }

        var now = time.GetTimestamp();
        var sent = conversation.Sent.TryGetValue(userId, out var queue) ? queue : conversation.Sent[userId] = new Queue<long>();
        while (sent.Count > 0 && time.GetElapsedTime(sent.Peek(), now) >= RateWindow)
        {
            sent.Dequeue();
        }

        if (sent.Count >= MaxPerWindow)
        {
            return Decision.Refuse(429, "rate-limited", $"You are sending messages too fast (at most {MaxPerWindow} in {RateWindow.TotalSeconds:0} seconds): wait a moment and send it again.");
        }

        sent.Enqueue(now);
        return Decision.Allow;
    }

    private Governed<IReadOnlyList<T>> Read<T>(Actor actor, string sessionId, Func<string, IReadOnlyList<T>> read)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var decision = Authorizer.Decide(actor, Act.Chat, Target(actor, session));
        return decision.Allowed ? new Governed<IReadOnlyList<T>>(read(session.Id), decision) : decision;
    }

    /// <summary>The facts a chat or note decision needs: who controls, and the actor's place in the session.</summary>
    private static Target Target(Actor actor, LiveSession session)
    {
        lock (session.Sync)
        {
            return new Target(session.Terms.DomainId, session.ApplianceId, session.EndpointId, session.Terms.Policy, Session: session.FactsFor(actor));
        }
    }

    private static SessionNote AsNote(ChatMessage m) => new(m.Id, m.UserId, m.Name, m.At, m.Text);

    /// <summary>The text as the audit keeps it: at most <see cref="AuditTextLength"/> characters (never half a surrogate pair), "…" when clipped.</summary>
    internal static string Clip(string text)
    {
        if (text.Length <= AuditTextLength)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[AuditTextLength - 1]) ? AuditTextLength - 1 : AuditTextLength;
        return string.Concat(text.AsSpan(0, cut), "…");
    }

    private static bool HasBrokenSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One session's conversation state; lives as long as its <see cref="LiveSession"/>.</summary>
    private sealed class Conversation
    {
        private int? _chats;
        private int? _notes;

        public Lock Gate { get; } = new();

        /// <summary>Pages that got their <c>chat-history</c>: new messages go to them.</summary>
        public List<StreamViewer> Greeted { get; } = [];

        /// <summary>When each person sent their recent messages (timestamps), for the rate.</summary>
        public Dictionary<string, Queue<long>> Sent { get; } = new(StringComparer.Ordinal);

        /// <summary>Messages of a kind stored for the session; null until first counted.</summary>
        public ref int? Count(MessageKind kind) => ref kind == MessageKind.Chat ? ref _chats : ref _notes;
    }
}

/// <summary><c>{"type":"chat","message":ChatMessage}</c> on the session's stream.</summary>
public sealed record ChatEvent(string Type, ChatMessage Message);

/// <summary><c>{"type":"note","note":SessionNote}</c> on the session's stream.</summary>
public sealed record NoteEvent(string Type, SessionNote Note);

/// <summary><c>{"type":"chat-history","messages":[ChatMessage…]}</c>, right after <c>hello</c>: the last <see cref="SessionConversation.HistoryMessages"/>, oldest first.</summary>
public sealed record ChatHistoryEvent(string Type, IReadOnlyList<ChatMessage> Messages);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChatEvent))]
[JsonSerializable(typeof(NoteEvent))]
[JsonSerializable(typeof(ChatHistoryEvent))]
internal sealed partial class ConversationJson : JsonSerializerContext;
