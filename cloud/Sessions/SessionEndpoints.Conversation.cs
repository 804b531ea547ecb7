using EdgeGateway.Cloud.Policy;
using Microsoft.AspNetCore.Mvc;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>
/// A session's chat and notes (<see cref="SessionConversation"/>): <c>POST /api/sessions/{id}/chat</c> and
/// <c>…/notes</c> <c>{text}</c> → 201 with the stored <see cref="ChatMessage"/> or <see cref="SessionNote"/>; <c>GET</c>
/// of either → the list, oldest first. Refusals (400 bad text, 403 not allowed, 404 no such running session, 409 the
/// session keeps no more, 429 too fast) carry the sentence the user sees. Request bodies are limited to
/// <see cref="SessionConversation.MaxBodyBytes"/>.
/// </summary>
internal static partial class SessionEndpoints
{
    /// <summary>Body of <c>POST /api/sessions/{id}/chat</c> (1–2000 characters) and <c>…/notes</c> (1–8000): text, line breaks allowed.</summary>
    public sealed record ConversationRequest(string? Text);

    private static void MapConversation(this RouteGroupBuilder group)
    {
        MapMessages<ChatMessage>(group, "chat", (c, actor, id, text) => c.Chat(actor, id, text), (c, actor, id) => c.ChatOf(actor, id));
        MapMessages<SessionNote>(group, "notes", (c, actor, id, text) => c.WriteNote(actor, id, text), (c, actor, id) => c.NotesOf(actor, id));
    }

    /// <summary><c>POST /{id}/{path}</c> (201 with the stored <typeparamref name="T"/>) and <c>GET /{id}/{path}</c> (the list).</summary>
    private static void MapMessages<T>(RouteGroupBuilder group, string path, Func<SessionConversation, Actor, string, string?, Governed<T>> post, Func<SessionConversation, Actor, string, Governed<IReadOnlyList<T>>> list)
    {
        group.MapPost($"/{{id}}/{path}", (string id, ConversationRequest? body, HttpContext context, Actors actors, SessionConversation conversation) =>
            Act(context, actors, actor => post(conversation, actor, id, body?.Text) is var r && r.Allowed ? TypedResults.Created((string?)null, r.Value) : Refusal(r.Decision)))
            .WithMetadata(new RequestSizeLimitAttribute(SessionConversation.MaxBodyBytes))
            .Produces<T>(StatusCodes.Status201Created);
        group.MapGet($"/{{id}}/{path}", (string id, HttpContext context, Actors actors, SessionConversation conversation) =>
            Act(context, actors, actor => Answer(list(conversation, actor, id))))
            .Produces<IReadOnlyList<T>>();
    }
}
