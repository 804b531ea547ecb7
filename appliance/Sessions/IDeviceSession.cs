using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>
/// One connection to one device, whatever its protocol: start with credentials, stream output frames, take
/// input frames, produce a keyframe on demand, stop with a reason.
/// </summary>
public interface IDeviceSession : IAsyncDisposable
{
    /// <summary>The session id the cloud gave.</summary>
    string SessionId { get; }

    /// <summary>The only user whose input is accepted.</summary>
    string ControllerId { get; }

    /// <summary>
    /// Connects to the device with the Controller's credentials. Returns false, with <see cref="Completion"/>
    /// completed with the reason the user sees, when the device refuses or cannot be reached.
    /// </summary>
    Task<bool> StartAsync(StartSession start, CancellationToken cancellationToken);

    /// <summary>What the connection negotiated and what the device said before login; set once started.</summary>
    SessionDetails? Details { get; }

    /// <summary>Completes when the session has ended, with the reason.</summary>
    Task<SessionOutcome> Completion { get; }

    /// <summary>
    /// Applies one input frame from the Controller. True when it was applied (written to the device's connection);
    /// false when it was refused and not sent (the device is not responding, or the session is over).
    /// </summary>
    /// <exception cref="Exception">A write the device did not take; the caller treats it as refused.</exception>
    ValueTask<bool> HandleInputAsync(FrameHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>
    /// The Controller's answers to the question the device asked while logging in (<see cref="AuthPrompt"/>), in the
    /// order of its prompts. Ignored when no question waits.
    /// </summary>
    void OnAuthResponse(IReadOnlyList<Secret> answers);

    /// <summary>Sends a keyframe now.</summary>
    ValueTask SendKeyframeAsync(CancellationToken cancellationToken);

    /// <summary>Ends the session: the device connection closes and an End frame is sent.</summary>
    ValueTask StopAsync(EndReason reason, string message);
}

/// <summary>How a session ended (or failed to start).</summary>
/// <param name="Reason">Why.</param>
/// <param name="Message">The sentence the user sees.</param>
/// <param name="PresentedCertificate">
/// With <see cref="EndReason.CertificateChanged"/>: the fingerprint the device presented instead of the pinned one
/// (<see cref="CertificateFingerprints"/>); null otherwise.
/// </param>
public readonly record struct SessionOutcome(EndReason Reason, string Message, string? PresentedCertificate = null);
