using System.Text.Json.Serialization;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Control;

/// <summary>
/// A control message between appliance and cloud: small, JSON, versioned by <see cref="V"/> and typed by a
/// <c>"type"</c> discriminator. Stream frames never travel as control messages.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(Hello), "hello")]
[JsonDerivedType(typeof(StartSession), "start")]
[JsonDerivedType(typeof(SessionStarted), "started")]
[JsonDerivedType(typeof(SessionEnded), "ended")]
[JsonDerivedType(typeof(StopSession), "stop")]
[JsonDerivedType(typeof(KeyframeRequest), "keyframe")]
[JsonDerivedType(typeof(DeviceStatus), "device")]
[JsonDerivedType(typeof(InputRefused), "input-refused")]
[JsonDerivedType(typeof(InputAck), "input-ack")]
[JsonDerivedType(typeof(SetControl), "set-control")]
[JsonDerivedType(typeof(ControlSet), "control-set")]
[JsonDerivedType(typeof(AuthPrompt), "auth-prompt")]
[JsonDerivedType(typeof(AuthResponse), "auth-response")]
[JsonDerivedType(typeof(RenewCertificate), "renew-certificate")]
[JsonDerivedType(typeof(CertificateRenewed), "certificate-renewed")]
public abstract record ControlMessage
{
    /// <summary>The control-message version this build writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Message version.</summary>
    [JsonPropertyName("v")]
    public int V { get; init; } = CurrentVersion;

    /// <summary>Checks the fields a receiver relies on; returns a reason when the message is unusable.</summary>
    public abstract string? Validate();

    /// <summary>Shared check for messages that name a session.</summary>
    protected static string? CheckSession(string? sessionId) =>
        sessionId is not null && Topics.TopicMap.IsValidSessionId(sessionId) ? null : "invalid session id";
}

/// <summary>An endpoint (device) the appliance can reach, as it announces it to the cloud.</summary>
/// <param name="Id">Stable id, unique on the appliance: same rules as an appliance id.</param>
/// <param name="Name">Display name.</param>
/// <param name="Protocol">"ssh", "vnc" or "rdp".</param>
/// <param name="Host">Address on the plant network.</param>
/// <param name="Port">TCP port.</param>
public sealed record EndpointInfo(string Id, string Name, string Protocol, string Host, int Port);

/// <summary>Appliance → cloud, on every (re)connect: who it is and which endpoints it serves.</summary>
public sealed record Hello(string SoftwareVersion, IReadOnlyList<EndpointInfo> Endpoints, IReadOnlyList<string> ActiveSessions) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate()
    {
        if (Endpoints is null || Endpoints.Count > 1000 || ActiveSessions is null || ActiveSessions.Count > 1000)
        {
            return "missing or oversized endpoint list";
        }

        foreach (var s in ActiveSessions)
        {
            if (CheckSession(s) is { } error)
            {
                return error;
            }
        }

        foreach (var e in Endpoints)
        {
            if (e is null || !Topics.TopicMap.IsValidApplianceId(e.Id) || string.IsNullOrEmpty(e.Name) || e.Port is < 1 or > 65535)
            {
                return "invalid endpoint";
            }
        }

        return null;
    }
}

/// <summary>Cloud → appliance: open a session to an endpoint with the Controller's credentials.</summary>
/// <param name="SessionId">New session id.</param>
/// <param name="EndpointId">Endpoint to connect to; must be one the appliance announced.</param>
/// <param name="ControllerId">The user who controls the session; the only one whose input the appliance accepts.</param>
/// <param name="Username">Device user name (SSH: required, the device refuses an empty one; VNC: used only by VeNCrypt *Plain, may be empty).</param>
/// <param name="Password">Device password. Lives in memory only for the connect call.</param>
/// <param name="Columns">Initial terminal width.</param>
/// <param name="Rows">Initial terminal height.</param>
/// <param name="ClipboardToBrowser">
/// Display sessions: the endpoint's policy lets the device's clipboard text reach the session's participants. When false
/// the appliance does not send it upstream at all. Off by default (and from clouds that do not send it).
/// </param>
/// <param name="ClipboardToDevice">Display sessions: the Controller's clipboard text may reach the device. Off by default.</param>
/// <param name="PinnedCertificate">
/// RDP: the fingerprint pinned for the endpoint in the cloud's policy (<see cref="CertificateFingerprints"/>); the appliance refuses a
/// device presenting another certificate with <see cref="EndReason.CertificateChanged"/>. Null: no pin yet (first use); the
/// appliance reports what the device presented in <see cref="SessionDetails.CertificateFingerprint"/>.
/// </param>
/// <param name="DisplayWidth">RDP: desktop width in pixels the Controller's viewer has room for (200–8192); 0 with <paramref name="DisplayHeight"/> 0: the appliance's default.</param>
/// <param name="DisplayHeight">RDP: desktop height in pixels (200–8192), or 0.</param>
public sealed record StartSession(string SessionId, string EndpointId, string ControllerId, string Username, Secret Password, int Columns, int Rows, bool ClipboardToBrowser = false, bool ClipboardToDevice = false, string? PinnedCertificate = null, int DisplayWidth = 0, int DisplayHeight = 0) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId)
        ?? (EndpointId is not null && Topics.TopicMap.IsValidApplianceId(EndpointId) ? null : "invalid endpoint id")
        ?? (string.IsNullOrEmpty(ControllerId) ? "missing controller" : null)
        ?? (Username is null || Username.Length > 256 ? "invalid user name" : null)
        ?? (Password is null ? "missing password" : null)
        ?? (new TerminalSize(Columns, Rows).IsValid ? null : "invalid terminal size")
        ?? (PinnedCertificate is null || CertificateFingerprints.IsValid(PinnedCertificate) ? null : "invalid certificate pin")
        ?? ((DisplayWidth, DisplayHeight) == (0, 0) || (DisplayWidth is >= Display.DisplayFrames.MinRequestedSide and <= Display.DisplayFrames.MaxRequestedSide && DisplayHeight is >= Display.DisplayFrames.MinRequestedSide and <= Display.DisplayFrames.MaxRequestedSide) ? null : "invalid display size");
}

/// <summary>
/// A device certificate's fingerprint as the project writes it: SHA-256 of the certificate's DER encoding, 64 upper-case
/// hex digits without separators (the form <c>Convert.ToHexString</c> gives).
/// </summary>
public static class CertificateFingerprints
{
    /// <summary>Characters in a fingerprint.</summary>
    public const int Length = 64;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789ABCDEF");

    /// <summary>The fingerprint of a certificate's DER encoding.</summary>
    public static string Of(ReadOnlySpan<byte> der) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(der));

    /// <summary>True for 64 upper-case hex digits.</summary>
    public static bool IsValid(string? value) =>
        value is { Length: Length } && value.AsSpan().IndexOfAnyExcept(HexDigits) < 0;
}

/// <summary>Appliance → cloud: the device accepted the connection; frames follow.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Details">What the connection negotiated and what the device said before login; null from older appliances.</param>
public sealed record SessionStarted(string SessionId, SessionDetails? Details = null) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId) ?? Details?.Validate();
}

/// <summary>
/// How a device connection was set up, for the session page and the session's record. Strings are what the
/// device and the appliance negotiated (RFC 4253 §7.1 algorithm names for SSH), never credentials.
/// </summary>
/// <param name="ServerVersion">The device's identification string (RFC 4253 §4.2), e.g. <c>SSH-2.0-OpenSSH_9.2p1</c>.</param>
/// <param name="KeyExchange">Key exchange algorithm.</param>
/// <param name="HostKey">Host key algorithm.</param>
/// <param name="Cipher">Cipher, device to appliance (the other direction is almost always the same).</param>
/// <param name="Mac">MAC, device to appliance; empty for AEAD ciphers, which need none.</param>
/// <param name="LegacyCrypto">True when any negotiated algorithm is on the legacy list: the endpoint's policy allowed it.</param>
/// <param name="Terminal">False when the device refused a terminal (PTY) and the shell runs without one.</param>
/// <param name="Banner">The device's pre-authentication banner (RFC 4252 §5.4), control characters removed; at most <see cref="MaxBannerLength"/> characters.</param>
/// <param name="CertificateFingerprint">The device's TLS certificate (<see cref="CertificateFingerprints"/>) for a protocol whose certificate the cloud pins (RDP); null otherwise.</param>
public sealed record SessionDetails(string? ServerVersion, string? KeyExchange, string? HostKey, string? Cipher, string? Mac, bool LegacyCrypto, bool Terminal, string? Banner, string? CertificateFingerprint = null)
{
    /// <summary>Longest banner kept, in UTF-16 code units; a longer one is cut.</summary>
    public const int MaxBannerLength = 4096;

    /// <summary>Longest algorithm name or version string accepted.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Checks the lengths a receiver stores and shows.</summary>
    public string? Validate() =>
        new[] { ServerVersion, KeyExchange, HostKey, Cipher, Mac }.Any(s => s is { Length: > MaxNameLength }) ? "oversized algorithm name"
        : Banner is { Length: > MaxBannerLength } ? "oversized banner"
        : CertificateFingerprint is not null && !CertificateFingerprints.IsValid(CertificateFingerprint) ? "invalid certificate fingerprint"
        : null;
}

/// <summary>Appliance → cloud: a session ended, or failed to start.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Reason">Why.</param>
/// <param name="Message">The sentence the user sees.</param>
/// <param name="PresentedCertificate">
/// With <see cref="EndReason.CertificateChanged"/>: the fingerprint the device presented instead of the pinned one
/// (<see cref="CertificateFingerprints"/>), which an administrator may accept; null otherwise.
/// </param>
public sealed record SessionEnded(string SessionId, EndReason Reason, string Message, string? PresentedCertificate = null) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId)
        ?? (Enum.IsDefined(Reason) ? null : "unknown reason")
        ?? (PresentedCertificate is null || CertificateFingerprints.IsValid(PresentedCertificate) ? null : "invalid certificate fingerprint");
}

/// <summary>Cloud → appliance: end a session.</summary>
public sealed record StopSession(string SessionId, EndReason Reason, string Message) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId) ?? (Enum.IsDefined(Reason) ? null : "unknown reason");
}

/// <summary>Cloud → appliance: send a keyframe of the session now (a late joiner has nothing to render from).</summary>
public sealed record KeyframeRequest(string SessionId) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId);
}

/// <summary>
/// Appliance → cloud: whether the device answers. Sent when it changes: <c>Responding = false</c> as soon as a
/// keep-alive probe goes unanswered for the appliance's doubt time (input is refused from then on), <c>true</c>
/// when the device is heard from again. A device that stays silent for the liveness time ends the session
/// (<see cref="EndReason.DeviceUnresponsive"/>).
/// </summary>
public sealed record DeviceStatus(string SessionId, bool Responding) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId);
}

/// <summary>
/// Appliance → cloud: the Controller's input was refused and not sent to the device (at most one a second per
/// session). The cloud tells the Controller's page.
/// </summary>
/// <param name="SessionId">The session.</param>
/// <param name="Message">The sentence the Controller sees, at most 512 characters.</param>
public sealed record InputRefused(string SessionId, string Message) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId) ?? (Message is null || Message.Length is 0 or > 512 ? "invalid message" : null);
}

/// <summary>
/// Appliance → cloud: the appliance consumed <paramref name="Units"/> more credit units of the session's input
/// (<see cref="Stream.InputFlow"/>): the frames they paid for were written to the device or refused. Incremental,
/// so a lost ack costs credit only until the next <see cref="Hello"/>, when the cloud starts the window afresh.
/// </summary>
/// <param name="SessionId">The session whose input was consumed.</param>
/// <param name="Units">Credit units returned, 1 to <see cref="Stream.InputFlow.Window"/> × 64.</param>
public sealed record InputAck(string SessionId, long Units) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId) ?? (Units is > 0 and <= (long)Stream.InputFlow.Window * 64 ? null : "invalid unit count");
}

/// <summary>One question of a keyboard-interactive round (RFC 4256 §3.2), as the device asked it.</summary>
/// <param name="Text">The prompt, e.g. <c>Verification code: </c>; control characters removed by the appliance.</param>
/// <param name="Echo">Whether the answer may be shown while typed; false for codes and passwords.</param>
public sealed record PromptField(string Text, bool Echo);

/// <summary>
/// Appliance → cloud: while logging in, the device asked something the Controller's credentials cannot answer (a
/// one-time code, a second factor, anything asked after the password was used). The cloud shows it to the Controller
/// — only to the Controller, in the start dialog — and returns the answers with <see cref="AuthResponse"/>. The
/// appliance waits for them up to its prompt timeout (<c>Appliance:Login:PromptTimeout</c>), then ends the start.
/// </summary>
/// <param name="SessionId">The session being started.</param>
/// <param name="Instruction">The round's instruction text (RFC 4256 §3.2), often empty; at most <see cref="MaxInstructionLength"/> characters.</param>
/// <param name="Prompts">The questions, 1 to <see cref="MaxPrompts"/>, each at most <see cref="MaxPromptLength"/> characters.</param>
public sealed record AuthPrompt(string SessionId, string Instruction, IReadOnlyList<PromptField> Prompts) : ControlMessage
{
    /// <summary>Most questions in one round.</summary>
    public const int MaxPrompts = 8;

    /// <summary>Longest question, in UTF-16 code units.</summary>
    public const int MaxPromptLength = 512;

    /// <summary>Longest instruction, in UTF-16 code units.</summary>
    public const int MaxInstructionLength = 1024;

    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId)
        ?? (Instruction is null || Instruction.Length > MaxInstructionLength ? "invalid instruction" : null)
        ?? (Prompts is null || Prompts.Count is 0 or > MaxPrompts ? "invalid prompt count" : null)
        ?? (Prompts!.Any(p => p is null || p.Text is null || p.Text.Length > MaxPromptLength) ? "invalid prompt" : null);
}

/// <summary>
/// Cloud → appliance: the Controller's answers to an <see cref="AuthPrompt"/>, in the order of its prompts. Secrets:
/// they go to the device and nowhere else (never logged, never recorded, never to viewers).
/// </summary>
/// <param name="SessionId">The session being started.</param>
/// <param name="Answers">One answer per prompt, 1 to <see cref="AuthPrompt.MaxPrompts"/>, each at most <see cref="MaxAnswerLength"/> characters.</param>
public sealed record AuthResponse(string SessionId, IReadOnlyList<Secret> Answers) : ControlMessage
{
    /// <summary>Longest answer, in UTF-16 code units.</summary>
    public const int MaxAnswerLength = 1024;

    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId)
        ?? (Answers is null || Answers.Count is 0 or > AuthPrompt.MaxPrompts ? "invalid answer count" : null)
        ?? (Answers!.Any(a => a is null || a.Reveal().Length > MaxAnswerLength) ? "invalid answer" : null);
}

/// <summary>
/// Cloud → appliance: who may send input into a session from now on. The appliance is the enforcement point of last
/// resort: it writes input only from <paramref name="ControllerId"/> and <paramref name="CoControllers"/>, and none
/// while <paramref name="InputPaused"/> (supervision required and no supervisor present). It answers with
/// <see cref="ControlSet"/> carrying the same <paramref name="Epoch"/>; an older epoch than the last applied is ignored.
/// </summary>
/// <param name="SessionId">The session.</param>
/// <param name="ControllerId">The user in control (at most 128 characters).</param>
/// <param name="CoControllers">Users granted input alongside the Controller (at most 100).</param>
/// <param name="InputPaused">No input at all until the next SetControl.</param>
/// <param name="Epoch">Increases with every change of the session's control; 1 is the first change after the start.</param>
public sealed record SetControl(string SessionId, string ControllerId, IReadOnlyList<string> CoControllers, bool InputPaused, long Epoch) : ControlMessage
{
    /// <summary>Longest user id accepted.</summary>
    public const int MaxUserIdLength = 128;

    /// <inheritdoc/>
    public override string? Validate() =>
        CheckSession(SessionId)
        ?? (ControllerId is null || ControllerId.Length is 0 or > MaxUserIdLength ? "invalid controller" : null)
        ?? (CoControllers is null || CoControllers.Count > 100 || CoControllers.Any(c => c is null || c.Length is 0 or > MaxUserIdLength) ? "invalid co-controllers" : null)
        ?? (Epoch > 0 ? null : "invalid epoch");
}

/// <summary>Appliance → cloud: the <see cref="SetControl"/> with this <paramref name="Epoch"/> is in force.</summary>
public sealed record ControlSet(string SessionId, long Epoch) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() => CheckSession(SessionId) ?? (Epoch > 0 ? null : "invalid epoch");
}
