namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// Failed sign-ins per user name, so that guessing one account's password is slow whatever number of addresses it
/// comes from (the per-address limit, <c>Cloud:LoginsPerMinute</c>, does not see a botnet). <see cref="MaxFailures"/>
/// failures (wrong password or wrong TOTP code) within <see cref="Window"/> lock the name for <see cref="LockDuration"/>:
/// even the right password is refused then, with a message saying when to try again. A successful sign-in clears the
/// count. Names are counted whether or not such a user exists (a lock that only real accounts got would tell which
/// names exist); at most <see cref="Capacity"/> names are held, the least recently failed dropped first.
/// </summary>
/// <remarks>
/// In memory, per cloud node: a restart forgets the counts. Locking a name also locks its owner out for a while —
/// the price of the protection; an administrator cannot lift it early (the lock is short).
/// </remarks>
public sealed class LoginLockout(TimeProvider time)
{
    /// <summary>Failures within <see cref="Window"/> that lock a name.</summary>
    public const int MaxFailures = 10;

    /// <summary>How far back failures count.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>How long a locked name stays locked.</summary>
    public static readonly TimeSpan LockDuration = TimeSpan.FromMinutes(15);

    /// <summary>Most names tracked at once.</summary>
    public const int Capacity = 50_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _names = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public DateTimeOffset? LockedUntil { get; set; }

        public DateTimeOffset LastFailure { get; set; }
    }

    /// <summary>Names held now (for tests of the bound).</summary>
    internal int TrackedNames
    {
        get
        {
            lock (_lock)
            {
                return _names.Count;
            }
        }
    }

    /// <summary>How long the name stays locked, or null when it is not.</summary>
    public TimeSpan? LockedFor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _names.TryGetValue(name, out var entry) && entry.LockedUntil is { } until && until > now ? until - now : null;
        }
    }

    /// <summary>Counts a failure; true when it locked the name.</summary>
    public bool Failed(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_names.TryGetValue(name, out var entry))
            {
                if (_names.Count >= Capacity)
                {
                    Prune(now);
                }

                entry = new Entry();
                _names[name] = entry;
            }

            entry.LastFailure = now;
            entry.Failures.Enqueue(now);
            while (entry.Failures.Count > 0 && entry.Failures.Peek() <= now - Window)
            {
                entry.Failures.Dequeue();
            }

            if (entry.Failures.Count >= MaxFailures)
            {
                entry.Failures.Clear();
                entry.LockedUntil = now + LockDuration;
                return true;
            }

            return false;
        }
    }

    /// <summary>A successful sign-in: the name's failures are forgotten.</summary>
    public void Succeeded(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            _names.Remove(name);
        }
    }

    /// <summary>Drops names with nothing left to count; if all still count, the least recently failed half.</summary>
    private void Prune(DateTimeOffset now)
    {
        foreach (var (name, entry) in _names)
        {
            if (entry.LastFailure <= now - Window && (entry.LockedUntil is null || entry.LockedUntil <= now))
            {
                _names.Remove(name);
            }
        }

        if (_names.Count >= Capacity)
        {
            foreach (var name in _names.OrderBy(n => n.Value.LastFailure).Take(Capacity / 2).Select(n => n.Key).ToList())
            {
                _names.Remove(name);
            }
        }
    }
}
