namespace EdgeGateway.Cloud.Sessions;

/// <summary>
/// The cloud's side of a session's input flow control (<see cref="Protocol.Stream.InputFlow"/>): credit units
/// sent to the appliance and not yet acknowledged. The Controller's connection acquires before it forwards a frame
/// and, while the window is full, stops reading its WebSocket, so TCP pushes back to the browser and nothing piles
/// up in the cloud or in the broker's queue.
/// </summary>
/// <remarks>
/// Acquiring within the window completes synchronously and allocates nothing (the keystroke path). One connection
/// controls a session at a time, so there is one waiter at most; more would still be correct, only woken together.
/// </remarks>
public sealed class InputWindow
{
    private readonly Lock _gate = new();
    private readonly long _size;
    private long _inFlight;
    private TaskCompletionSource? _released;

    /// <param name="size">Credit units that may be unacknowledged.</param>
    public InputWindow(long size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _size = size;
    }

    /// <summary>Units sent and not acknowledged.</summary>
    public long InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Takes <paramref name="units"/> of credit, waiting while the window is full.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More units than the whole window: they could never be granted.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting.</exception>
    public ValueTask AcquireAsync(int units, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(units, _size);
        return TryAcquire(units, out _) ? ValueTask.CompletedTask : WaitAsync(units, cancellationToken);
    }

    /// <summary>Gives back units: acknowledged by the appliance, or never delivered.</summary>
    public void Release(long units)
    {
        TaskCompletionSource? released;
        lock (_gate)
        {
            _inFlight = Math.Max(0, _inFlight - units);
            released = _released;
            _released = null;
        }

        released?.TrySetResult();
    }

    /// <summary>
    /// Starts afresh: the appliance (re)connected, and whatever was in flight before is either applied or lost
    /// with the old connection; acks for it would only come late, and are clamped.
    /// </summary>
    public void Reset() => Release(long.MaxValue);

    private bool TryAcquire(int units, out Task released)
    {
        lock (_gate)
        {
            if (_inFlight + units <= _size)
            {
                _inFlight += units;
                released = Task.CompletedTask;
                return true;
            }

            _released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            released = _released.Task;
            return false;
        }
    }

    private async ValueTask WaitAsync(int units, CancellationToken cancellationToken)
    {
        while (!TryAcquire(units, out var released))
        {
            await released.WaitAsync(cancellationToken);
        }
    }
}
