using EdgeGateway.Protocol.Control;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// Keyboard-interactive login (RFC 4256) as a person at an OpenSSH client does it. The Controller's password answers
/// the first hidden prompt that asks for it; a round with no prompts (PAM's last, or a message) is answered empty;
/// every other prompt — a one-time code, a second factor, anything asked after the password was used — goes to the
/// Controller's browser through the <c>ask</c> callback and the login waits for the answers (<see cref="Answer"/>), up
/// to the prompt timeout per round.
/// </summary>
/// <remarks>
/// SSH.NET raises the prompt event on a thread of its own and waits for the whole method with the connection's
/// timeout, read once when the method starts: <see cref="Authenticate"/> lengthens it by the time a person may take
/// (<see cref="MaxRelayedRounds"/> × the prompt timeout) for this method only. Answers are <see cref="Secret"/>s; this
/// type keeps them only until they are handed to SSH.NET, and never logs or records them.
/// </remarks>
internal sealed class KeyboardInteractiveLogin : KeyboardInteractiveAuthenticationMethod
{
    /// <summary>Most rounds relayed to the Controller in one login; a device asking more is refused.</summary>
    public const int MaxRelayedRounds = 4;

    private readonly Secret _password;
    private readonly TimeSpan _promptTimeout;
    private readonly Action<AuthPrompt> _ask;
    private readonly string _sessionId;
    private readonly Lock _gate = new();
    private TaskCompletionSource<IReadOnlyList<Secret>?>? _pending;
    private bool _cancelled;
    private bool _passwordUsed;
    private int _relayedRounds;

    /// <param name="sessionId">The session being started (named in the prompts sent).</param>
    /// <param name="username">Device user name.</param>
    /// <param name="password">The Controller's device password.</param>
    /// <param name="promptTimeout">How long one relayed round waits for the Controller.</param>
    /// <param name="ask">Sends a question to the Controller (called on SSH.NET's thread; must not block).</param>
    public KeyboardInteractiveLogin(string sessionId, string username, Secret password, TimeSpan promptTimeout, Action<AuthPrompt> ask)
        : base(username)
    {
        _sessionId = sessionId;
        _password = password;
        _promptTimeout = promptTimeout;
        _ask = ask;
        AuthenticationPrompt += (_, e) => OnPrompt(e);
    }

    /// <summary>The last question relayed to the Controller (its text), for the message when the device refuses the answer.</summary>
    public string? LastRelayed { get; private set; }

    /// <summary>What the device said without asking (a round with no prompts: PAM messages), joined; null when nothing.</summary>
    public string? DeviceSaid { get; private set; }

    /// <inheritdoc/>
    public override AuthenticationResult Authenticate(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var info = session.ConnectionInfo;
        var before = info.Timeout;
        info.Timeout = before + (_promptTimeout * MaxRelayedRounds);
        try
        {
            return base.Authenticate(session);
        }
        finally
        {
            info.Timeout = before;
        }
    }

    /// <summary>The Controller's answers to the question that waits; false when none waits.</summary>
    public bool Answer(IReadOnlyList<Secret> answers) => Volatile.Read(ref _pending)?.TrySetResult(answers) ?? false;

    /// <summary>The start was given up (the Controller cancelled, the session was stopped): a waiting question ends.</summary>
    public void Cancel()
    {
        TaskCompletionSource<IReadOnlyList<Secret>?>? pending;
        lock (_gate)
        {
            _cancelled = true;
            pending = _pending;
        }

        pending?.TrySetResult(null);
    }

    private void OnPrompt(AuthenticationPromptEventArgs e)
    {
        var relay = new List<Renci.SshNet.Common.AuthenticationPrompt>();
        foreach (var prompt in e.Prompts.OrderBy(p => p.Id))
        {
            if (!_passwordUsed && !prompt.IsEchoed && prompt.Request.Contains("assword", StringComparison.OrdinalIgnoreCase))
            {
                prompt.Response = _password.Reveal();
                _passwordUsed = true;
            }
            else
            {
                relay.Add(prompt);
            }
        }

        if (relay.Count == 0)
        {
            var said = Clean(e.Instruction, AuthPrompt.MaxInstructionLength).Trim();
            if (said.Length > 0)
            {
                DeviceSaid = DeviceSaid is null ? said : DeviceSaid + " " + said;
            }

            return;
        }

        if (++_relayedRounds > MaxRelayedRounds || relay.Count > AuthPrompt.MaxPrompts)
        {
            throw new LoginAbandonedException($"The device asked more questions than the appliance relays ({MaxRelayedRounds} rounds of at most {AuthPrompt.MaxPrompts}).");
        }

        var answers = AskController(e.Instruction, relay);
        for (var i = 0; i < relay.Count; i++)
        {
            relay[i].Response = answers[i].Reveal();
        }
    }

    /// <summary>Sends the round to the Controller and blocks SSH.NET's prompt thread until the answers come.</summary>
    private IReadOnlyList<Secret> AskController(string instruction, List<Renci.SshNet.Common.AuthenticationPrompt> relay)
    {
        var waiting = new TaskCompletionSource<IReadOnlyList<Secret>?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_cancelled)
            {
                throw new LoginAbandonedException("The login was cancelled.");
            }

            _pending = waiting;
        }

        var fields = relay.Select(p => new PromptField(Clean(p.Request, AuthPrompt.MaxPromptLength), p.IsEchoed)).ToList();
        LastRelayed = fields[^1].Text.Trim();
        try
        {
            _ask(new AuthPrompt(_sessionId, Clean(instruction, AuthPrompt.MaxInstructionLength), fields));
            if (!waiting.Task.Wait(_promptTimeout))
            {
                throw new LoginAbandonedException($"Nobody answered the device's question (\"{LastRelayed.TrimEnd(':', ' ')}\") within {_promptTimeout.TotalSeconds:0} s.");
            }
        }
        finally
        {
            lock (_gate)
            {
                _pending = null;
            }
        }

        var answers = waiting.Task.Result ?? throw new LoginAbandonedException("The login was cancelled.");
        return answers.Count == relay.Count
            ? answers
            : throw new LoginAbandonedException($"The device asked {relay.Count} question(s) and got {answers.Count} answer(s).");
    }

    /// <summary>Device text shown to a person: printable characters, tabs and line breaks; at most <paramref name="max"/> characters.</summary>
    private static string Clean(string? text, int max)
    {
        var cleaned = new string([.. (text ?? string.Empty).Where(c => c is '\n' or '\t' || !char.IsControl(c))]);
        return cleaned.Length > max ? cleaned[..max] : cleaned;
    }
}

/// <summary>A login given up by the appliance (nobody answered, cancelled, too many questions); the message is for the user.</summary>
internal sealed class LoginAbandonedException(string message) : SshAuthenticationException(message);
