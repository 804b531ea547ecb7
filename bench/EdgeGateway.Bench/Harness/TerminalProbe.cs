using System.Text;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// Watches a terminal byte stream (either side of a comparison: gateway frames or the direct SSH shell) the same
/// way: escape sequences are stripped, then it reports when an awaited character or marker text appears. The
/// timestamp it reports is the one the caller took when the bytes arrived, not when the waiter resumed.
/// </summary>
public sealed class TerminalProbe
{
    private const int TailLength = 512;

    private readonly Lock _gate = new();
    private readonly List<(string Text, TaskCompletionSource<long> Done)> _markers = [];
    private readonly StringBuilder _tail = new();
    private readonly StringBuilder _recent = new();
    private readonly Dictionary<byte, TaskCompletionSource<long>> _echoes = [];
    private State _state;
    private long _bytes;

    private enum State
    {
        Ground,
        Escape,
        EscapeIntermediate,
        Csi,
        String,
        StringEscape,
    }

    /// <summary>The last printable text seen (for error messages).</summary>
    public string RecentText
    {
        get
        {
            lock (_gate)
            {
                return _recent.ToString();
            }
        }
    }

    /// <summary>Terminal bytes seen (before stripping).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Completes with the arrival timestamp of the first printable occurrence of <paramref name="c"/> after this call.
    /// Several different characters may be awaited at once; awaiting one again replaces the earlier wait.
    /// </summary>
    public Task<long> ExpectEcho(byte c)
    {
        lock (_gate)
        {
            if (_echoes.Remove(c, out var earlier))
            {
                earlier.TrySetCanceled();
            }

            var echo = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _echoes[c] = echo;
            return echo.Task;
        }
    }

    /// <summary>
    /// Completes with the arrival timestamp of the first chunk after which the printable text received since this call
    /// contains <paramref name="text"/> (earlier text is forgotten: a marker from a previous command never matches).
    /// </summary>
    public Task<long> ExpectMarker(string text)
    {
        lock (_gate)
        {
            _tail.Clear();
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _markers.Add((text, done));
            return done.Task;
        }
    }

    /// <summary>Forgets the text seen so far (so a marker must appear anew).</summary>
    public void ResetText()
    {
        lock (_gate)
        {
            _tail.Clear();
        }
    }

    /// <summary>Feeds bytes in arrival order.</summary>
    public void Observe(ReadOnlySpan<byte> data, long timestamp)
    {
        Interlocked.Add(ref _bytes, data.Length);
        lock (_gate)
        {
            foreach (var b in data)
            {
                if (!Printable(b))
                {
                    continue;
                }

                if (_echoes.Count > 0 && _echoes.Remove(b, out var echo))
                {
                    echo.TrySetResult(timestamp);
                }

                if (_markers.Count > 0)
                {
                    _tail.Append((char)b);
                }

                _recent.Append((char)b);
            }

            if (_recent.Length > 400)
            {
                _recent.Remove(0, _recent.Length - 200);
            }

            if (_markers.Count == 0)
            {
                return;
            }

            var text = _tail.ToString();
            for (var i = _markers.Count - 1; i >= 0; i--)
            {
                if (text.Contains(_markers[i].Text, StringComparison.Ordinal))
                {
                    _markers[i].Done.TrySetResult(timestamp);
                    _markers.RemoveAt(i);
                }
            }

            if (_tail.Length > TailLength)
            {
                _tail.Remove(0, _tail.Length - (TailLength / 2));
            }
        }
    }

    // A small VT parser (ECMA-48 shapes): only text outside escape sequences counts as printed.
    private bool Printable(byte b)
    {
        switch (_state)
        {
            case State.Ground:
                if (b == 0x1B)
                {
                    _state = State.Escape;
                    return false;
                }

                return b >= 0x20 && b != 0x7F || b == (byte)'\n';
            case State.Escape:
                _state = b switch
                {
                    (byte)'[' => State.Csi,
                    (byte)']' or (byte)'P' or (byte)'X' or (byte)'^' or (byte)'_' => State.String,
                    >= 0x20 and <= 0x2F => State.EscapeIntermediate,
                    _ => State.Ground,
                };
                return false;
            case State.EscapeIntermediate:
                if (b is < 0x20 or > 0x2F)
                {
                    _state = State.Ground;
                }

                return false;
            case State.Csi:
                if (b is >= 0x40 and <= 0x7E)
                {
                    _state = State.Ground;
                }

                return false;
            case State.String:
                if (b == 0x07)
                {
                    _state = State.Ground;
                }
                else if (b == 0x1B)
                {
                    _state = State.StringEscape;
                }

                return false;
            case State.StringEscape:
                _state = b == (byte)'\\' ? State.Ground : State.String;
                return false;
            default:
                return false;
        }
    }
}
