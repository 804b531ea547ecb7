using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;

namespace EdgeGateway.Cloud.Tests.Policy;

/// <summary>
/// Who may chat and who may write notes in a session (<see cref="Act.Chat"/>, <see cref="Act.WriteNote"/>), decided by
/// <see cref="Authorizer"/> from the actor's place in the session; and the checks every message's text passes.
/// </summary>
[Trait("Area", "Support")]
public sealed class ConversationPolicyTests
{
    private const string Domain = PolicyStore.DefaultDomain;

    /// <summary>Each kind of person against a session Tess controls, Cora co-controls, and Vic, Ola and the guest Gina watch.</summary>
    public static TheoryData<string, bool, int, int> People => new()
    {
        // person, ended, chat status, note status (200 = allowed)
        { "controller", false, 200, 200 },
        { "co-controller", false, 200, 200 },
        { "viewer (technician)", false, 200, 403 },
        { "viewer (operator)", false, 200, 403 },
        { "viewer (domain admin)", false, 200, 403 },
        { "guest in the session", false, 200, 403 },
        { "guest of another session", false, 403, 403 },
        { "technician not in the session", false, 403, 403 },
        { "domain admin not in the session", false, 403, 403 },
        { "field engineer", false, 403, 403 },
        { "controller", true, 410, 410 },
        { "guest in the session", true, 410, 403 },
    };

    [Theory]
    [MemberData(nameof(People))]
    public void Everyone_admitted_chats_and_only_the_Controller_and_co_controllers_write_notes(string person, bool ended, int chat, int note)
    {
        var (actor, facts) = Describe(person, ended);
        var target = new Target(Domain, "press-line", "hmi", EndpointPolicy.Default, Session: facts);

        var chatDecision = Authorizer.Decide(actor, Act.Chat, target);
        var noteDecision = Authorizer.Decide(actor, Act.WriteNote, target);

        Assert.Equal(chat, chatDecision.Allowed ? 200 : chatDecision.Status);
        Assert.Equal(note, noteDecision.Allowed ? 200 : noteDecision.Status);
        Assert.All(new[] { chatDecision, noteDecision }.Where(d => !d.Allowed), d => Assert.EndsWith(".", d.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_refused_note_says_who_may_write_notes_and_points_to_the_chat()
    {
        var (viewer, facts) = Describe("viewer (technician)", ended: false);

        var decision = Authorizer.Decide(viewer, Act.WriteNote, new Target(Domain, Session: facts));

        Assert.Equal((403, "not-controller"), (decision.Status, decision.Reason));
        Assert.Equal("Only the Controller and co-controllers write session notes; you can use the chat.", decision.Message);
        var (outsider, outside) = Describe("technician not in the session", ended: false);
        Assert.Equal("Join the session to chat in it.", Authorizer.Decide(outsider, Act.Chat, new Target(Domain, Session: outside)).Message);
    }

    [Theory]
    [InlineData("  hello  ", "hello")]
    [InlineData("line 1\r\nline 2\rline 3", "line 1\nline 2\nline 3")]
    [InlineData("\n\nStopped the PLC at 10:42.\n", "Stopped the PLC at 10:42.")]
    [InlineData("ünïcödé 🚀 — ok", "ünïcödé 🚀 — ok")]
    public void Text_is_trimmed_and_its_line_endings_become_newlines(string text, string expected)
    {
        Assert.True(SessionConversation.TryCheckText(text, SessionConversation.MaxChatLength, "chat message", out var clean, out var error), error);
        Assert.Equal(expected, clean);
    }

    [Theory]
    [InlineData(null, "Write the chat message first: it is empty.")]
    [InlineData("", "Write the chat message first: it is empty.")]
    [InlineData(" \r\n\t ", "Write the chat message first: it is empty.")]
    [InlineData("bell\a", "A chat message may hold line breaks, but no other control characters.")]
    [InlineData("escape \u001b[2J", "A chat message may hold line breaks, but no other control characters.")]
    [InlineData("tab\there", "A chat message may hold line breaks, but no other control characters.")]
    public void Empty_text_control_characters_and_broken_characters_are_refused_with_a_sentence(string? text, string expected)
    {
        Assert.False(SessionConversation.TryCheckText(text, SessionConversation.MaxChatLength, "chat message", out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Half_a_surrogate_pair_is_refused_as_a_broken_character()
    {
        // Built here: xunit's theory data would turn a lone surrogate into U+FFFD before the test saw it.
        foreach (var text in new[] { "broken " + '\ud800' + " half", "broken end " + '\udc00', "swapped " + '\udc00' + '\ud800' })
        {
            Assert.False(SessionConversation.TryCheckText(text, SessionConversation.MaxChatLength, "chat message", out _, out var error));
            Assert.Equal("The chat message holds a broken character; send it again.", error);
        }
    }

    [Fact]
    public void Text_over_the_limit_is_refused_with_both_lengths_and_the_limit_itself_passes()
    {
        Assert.True(SessionConversation.TryCheckText(new string('a', 2000), 2000, "chat message", out _, out _));
        Assert.False(SessionConversation.TryCheckText(new string('a', 2001), 2000, "chat message", out _, out var chat));
        Assert.False(SessionConversation.TryCheckText(new string('n', 8001), 8000, "note", out _, out var note));

        Assert.Equal("A chat message is at most 2000 characters; this one has 2001.", chat);
        Assert.Equal("A note is at most 8000 characters; this one has 8001.", note);
    }

    [Fact]
    public void The_audit_keeps_at_most_500_characters_and_never_half_a_character()
    {
        var emoji = new string('a', 499) + "🚀" + new string('b', 100);

        Assert.Equal("short", SessionConversation.Clip("short"));
        Assert.Equal(new string('x', 500) + "…", SessionConversation.Clip(new string('x', 800)));
        Assert.Equal(new string('a', 499) + "…", SessionConversation.Clip(emoji));
    }

    private static (Actor Actor, SessionFacts Facts) Describe(string person, bool ended)
    {
        const string source = "127.0.0.1";
        var actor = person switch
        {
            "controller" => new Actor("tess", "Tess", Roles.Technician, Domain, source),
            "co-controller" => new Actor("cora", "Cora", Roles.Technician, Domain, source),
            "viewer (technician)" => new Actor("vic", "Vic", Roles.Technician, Domain, source),
            "viewer (operator)" => new Actor("ola", "Ola", Roles.Operator, Domain, source),
            "viewer (domain admin)" or "domain admin not in the session" => new Actor("ada", "Ada", Roles.DomainAdmin, Domain, source),
            "guest in the session" => new Actor("guest-1", "Gina", Roles.Guest, Domain, source, "s1"),
            "guest of another session" => new Actor("guest-2", "Gus", Roles.Guest, Domain, source, "s2"),
            "technician not in the session" => new Actor("tim", "Tim", Roles.Technician, Domain, source),
            "field engineer" => new Actor("fay", "Fay", Roles.FieldEngineer, Domain, source),
            _ => throw new ArgumentOutOfRangeException(nameof(person)),
        };
        var participant = person is not ("guest of another session" or "technician not in the session" or "domain admin not in the session" or "field engineer");
        var facts = new SessionFacts(
            ControllerId: "tess",
            ActorIsParticipant: participant,
            ActorIsCoController: person == "co-controller",
            ActorInvited: person == "guest in the session",
            Participants: 6,
            InputPaused: false,
            Ended: ended);
        return (actor, facts);
    }
}
