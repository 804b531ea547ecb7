using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>
/// How a device session's end is decided and told, once: a stop request (the cloud's, the appliance's) wins over what
/// the session's read loop found; <see cref="FinishAsync"/> sends the End frame to viewers and completes
/// <see cref="Completion"/>; <see cref="End"/> completes it without a frame (a start that failed: no viewer yet).
/// Shared by the display sessions (VNC, RDP). Thread-safe.
/// </summary>
/// <param name="sink">Where the End frame goes.</param>
/// <param name="sendFailed">Told when the End frame could not be sent (the session ends anyway).</param>
internal sealed class SessionEnding(IFrameSink sink, Action<Exception> sendFailed)
{
    private readonly TaskCompletionSource<SessionOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private SessionOutcome? _stopRequest;
    private int _ended;

    /// <summary>Completes when the session has ended, with the reason.</summary>
    public Task<SessionOutcome> Completion => _completion.Task;

    /// <summary>True once the session has ended (or is ending): input and keyframes are refused.</summary>
    public bool HasEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>The first stop request, or null.</summary>
    public SessionOutcome? StopRequest
    {
        get
        {
            lock (_gate)
            {
                return _stopRequest;
            }
        }
    }

    /// <summary>Records a stop's reason unless one was recorded before; the session's end carries it.</summary>
    public void RequestStop(SessionOutcome outcome)
    {
        lock (_gate)
        {
            _stopRequest ??= outcome;
        }
    }

    /// <summary>Sends the End frame with <paramref name="outcome"/> and completes <see cref="Completion"/>; only the first call does anything.</summary>
    public async ValueTask FinishAsync(SessionOutcome outcome)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        try
        {
            await sink.SendAsync(FrameType.End, FrameFlags.None, SessionEnd.Encode(outcome.Reason, outcome.Message), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            sendFailed(ex);
        }

        _completion.TrySetResult(outcome);
    }

    /// <summary>Completes <see cref="Completion"/> without an End frame (a start that failed).</summary>
    public void End(SessionOutcome outcome)
    {
        Interlocked.Exchange(ref _ended, 1);
        _completion.TrySetResult(outcome);
    }
}
