using System.Diagnostics;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// What a browser viewing a display session shows, rebuilt as the frames arrive (on the viewer's receive loop) with the
/// protocol's reference viewer, <see cref="DisplayCanvas"/>; counts display updates; and times how long after an input
/// the pixels of one region change (<see cref="ArmChange"/>). Thread-safe: the receive loop applies, the scenario asks.
/// </summary>
public sealed class DisplayProbe : IDisposable
{
    private readonly Lock _gate = new();
    private readonly DisplayCanvas _canvas = new();
    private PixelRect _region;
    private uint[] _before = [];
    private TaskCompletionSource<long>? _change;
    private long _updates;
    private long _applyTicks;
    private string? _error;

    /// <summary>DisplayUpdate frames received so far.</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>Time spent applying frames to the canvas (Stopwatch ticks): the viewer's own cost, for subtracting from the process's CPU.</summary>
    public long ApplyTicks => Interlocked.Read(ref _applyTicks);

    /// <summary>The first frame that could not be applied, or null.</summary>
    public string? Error
    {
        get
        {
            lock (_gate)
            {
                return _error;
            }
        }
    }

    /// <summary>True once a keyframe painted the canvas.</summary>
    public bool HasPicture
    {
        get
        {
            lock (_gate)
            {
                return _canvas.Width > 0 && !_canvas.NeedsKeyframe;
            }
        }
    }

    /// <summary>The <see cref="FrameObserver"/> to give the viewer.</summary>
    public void Observe(in FrameHeader header, ReadOnlySpan<byte> payload, long receivedAt)
    {
        if (header.Type is < FrameType.DisplayInit or > FrameType.DisplayClipboard)
        {
            return;
        }

        if (header.Type == FrameType.DisplayUpdate)
        {
            Interlocked.Increment(ref _updates);
        }

        var started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            var status = _canvas.Apply(header.Type, header.Flags, payload);
            if (status != DisplayReadStatus.Ok)
            {
                _error ??= $"{header.Type}: {status}";
            }

            if (_change is { } change && RegionDiffers())
            {
                _change = null;
                change.TrySetResult(receivedAt);
            }
        }

        Interlocked.Add(ref _applyTicks, Stopwatch.GetTimestamp() - started);
    }

    /// <summary>
    /// Remembers <paramref name="region"/> as the viewer shows it now; the task completes with the Stopwatch timestamp
    /// of the first frame after which it differs. Call right before sending the input.
    /// </summary>
    public Task<long> ArmChange(PixelRect region)
    {
        lock (_gate)
        {
            if (_canvas.Width == 0 || !region.FitsIn(_canvas.Width, _canvas.Height))
            {
                throw new InvalidOperationException($"The region {region} is not on the viewer's {_canvas.Width}×{_canvas.Height} picture.");
            }

            _region = region;
            if (_before.Length < region.Width * region.Height)
            {
                _before = new uint[region.Width * region.Height];
            }

            var pixels = _canvas.Pixels;
            for (var y = 0; y < region.Height; y++)
            {
                pixels.Slice(((region.Y + y) * _canvas.Width) + region.X, region.Width).CopyTo(_before.AsSpan(y * region.Width, region.Width));
            }

            _change?.TrySetCanceled();
            _change = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _change.Task;
        }
    }

    /// <summary>The viewer's pixels in <paramref name="region"/> now (24-bit RGB, row by row).</summary>
    public uint[] Copy(PixelRect region)
    {
        lock (_gate)
        {
            return Cut(_canvas.Pixels, _canvas.Width, region);
        }
    }

    /// <summary>The pixels of <paramref name="region"/> out of a picture <paramref name="width"/> pixels wide, 24-bit RGB (the top byte cleared).</summary>
    public static uint[] Cut(ReadOnlySpan<uint> pixels, int width, PixelRect region)
    {
        var cut = new uint[region.Width * region.Height];
        for (var y = 0; y < region.Height; y++)
        {
            for (var x = 0; x < region.Width; x++)
            {
                cut[(y * region.Width) + x] = pixels[((region.Y + y) * width) + region.X + x] & 0x00FFFFFF;
            }
        }

        return cut;
    }

    /// <summary>Stops waiting for a change (a timed-out press).</summary>
    public void Disarm()
    {
        lock (_gate)
        {
            _change?.TrySetCanceled();
            _change = null;
        }
    }

    private bool RegionDiffers()
    {
        var pixels = _canvas.Pixels;
        if (_canvas.Width == 0 || !_region.FitsIn(_canvas.Width, _canvas.Height))
        {
            return false;
        }

        for (var y = 0; y < _region.Height; y++)
        {
            var now = pixels.Slice(((_region.Y + y) * _canvas.Width) + _region.X, _region.Width);
            if (!now.SequenceEqual(_before.AsSpan(y * _region.Width, _region.Width)))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _change?.TrySetCanceled();
            _canvas.Dispose();
        }
    }
}
