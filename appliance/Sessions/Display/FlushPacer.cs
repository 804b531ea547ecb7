namespace EdgeGateway.Appliance.Sessions.Display;

/// <summary>
/// A display session's flushes outside its read loop: for what changes no pixel (where the Controller points, clipboard
/// text) and for what the budget or the frame-rate cap held back. One such flush at a time is pending; it waits what
/// the flush asks (<see cref="DisplayStreamer.FlushAsync"/>'s delay), then sends the newest state, until nothing waits.
/// Shared by the VNC and RDP sessions.
/// </summary>
/// <param name="flush">Takes the session's gate and flushes its streamer; returns how long to wait before the next flush.</param>
/// <param name="time">The clock the waits use.</param>
/// <param name="stopping">Cancelled when the session ends.</param>
internal sealed class FlushPacer(Func<CancellationToken, ValueTask<TimeSpan>> flush, TimeProvider time, CancellationToken stopping)
{
    private int _pending;
    private int _requested;

    /// <summary>Asks for a flush soon; never on the caller's thread (input arrives on the uplink's receive path).</summary>
    public void Request()
    {
        Volatile.Write(ref _requested, 1);
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _ = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                Volatile.Write(ref _requested, 0);
                for (var delay = await flush(stopping); delay > TimeSpan.Zero; delay = await flush(stopping))
                {
                    await Task.Delay(delay, time, stopping);
                }

                // A request that came after the last flush looked: take it, unless a new flusher already has.
                Volatile.Write(ref _pending, 0);
                if (Volatile.Read(ref _requested) == 0 || Interlocked.Exchange(ref _pending, 1) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The session is ending; its read loop reports why.
            Volatile.Write(ref _pending, 0);
        }
    }
}
