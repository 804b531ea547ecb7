using System.IO.Compression;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Rfb;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Display;

/// <summary>
/// Turns a VNC device's framebuffer changes into the display stream (VNC contract §1, §4). The RFB decoder writes
/// pixels into the <see cref="Framebuffer"/> and tells this streamer what changed; the streamer only records it
/// (dirty 64 × 64 tiles, copy-rects, cursor). <see cref="FlushAsync"/> then compares each dirty tile with a copy of
/// what viewers already have, skips what did not really change, and sends the changed part of each tile as Solid,
/// Palette (up to 255 colours, when smaller) or Pixels, all data through one raw deflate stream per keyframe period.
/// </summary>
/// <remarks>
/// Invariant: for every tile not marked dirty, the framebuffer equals the viewers' copy; after a flush that sent
/// everything, a viewer that applied all frames since the last keyframe shows exactly the framebuffer.
/// Budget: a token bucket of <see cref="DisplayStreamOptions.BudgetBytesPerSecond"/>; while it is empty nothing goes
/// up and changes coalesce in the dirty tiles (a busy screen costs fewer, coarser updates, never a queue); a flush
/// stops after the frame that empties it and the rest waits. Cost: one copy of the screen (4 bytes a pixel), pooled
/// buffers of about 2 MiB, no allocation per flush. Not thread-safe except <see cref="NotePointer"/>: the VNC session
/// calls everything else from one place at a time.
/// </remarks>
internal sealed partial class DisplayStreamer : IRfbUpdateSink, IDisposable
{
    /// <summary>Side of the tiles changes are tracked and compared in.</summary>
    internal const int TileSize = 64;

    // A frame's raw data goes up in chunks of at most this much (deflated, a frame stays far below the 1 MiB limit).
    private const int MaxRawChunk = 256 * 1024;
    private const int MaxRectsPerFrame = 4096;
    private const int MaxPendingCopies = 64;

    // One tile's rect header and data at worst (Pixels), and what deflate may add to a frame (stored-block headers,
    // the sync flush): a flush outside a keyframe starts only with this much in the bucket.
    private const int WorstTileSize = DisplayFrames.MaxRectHeaderSize + (TileSize * TileSize * 3);
    private const int DeflateSlack = 64;
    private const int MinSendTokens = DisplayFrames.UpdateHeaderSize + WorstTileSize + DeflateSlack;

    private readonly Framebuffer _screen;
    private readonly IFrameSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly double _budgetPerSecond;
    private readonly double _burst;
    private readonly TimeSpan _frameInterval;
    private readonly bool _clipboardToBrowser;
    private readonly int _compressionLevel;
    private string _name;

    // What viewers have: the screen as the frames sent so far paint it.
    private readonly Framebuffer _sent;
    private bool[] _dirty = [];

    // Busy tiles: changed again before the next flush that sent tiles after the one that sent them (a video-like area,
    // a scrolling window). A tile's class is decided when it becomes dirty and kept until it is sent. A flush sends the
    // quiet dirty tiles first — a change to a quiet part of the screen, such as a typed character — so under the budget
    // a continuously changing area cannot starve it, however many flushes the quiet change waits. Within each class the
    // scan goes on where the last flush the budget stopped left off (_scanFrom), so every dirty tile waits a bounded
    // number of flushes: no part of a busy area freezes while another part takes the whole budget.
    private bool[] _busy = [];
    private int[] _sentInFlush = [];
    private int _tileFlushes;
    private int _scanFrom;
    private int _tilesX;
    private int _tilesY;
    private int _dirtyCount;
    private bool _needKeyframe = true;

    private readonly (int SourceX, int SourceY, PixelRect Destination)[] _copies = new (int, int, PixelRect)[MaxPendingCopies];
    private int _copyCount;

    private readonly uint[] _cursor = new uint[DisplayFrames.MaxCursorSide * DisplayFrames.MaxCursorSide];
    private DisplayCursorInfo _cursorInfo;
    private bool _hasCursor;
    private bool _cursorDirty;
    private string? _clipboard;
    private long _pointer; // 0: none pending; else 1 << 40 | x << 24 | y << 8 | buttons

    // One frame being built: rect headers, raw data, then the assembled payload.
    private readonly byte[] _headers = new byte[MaxRectsPerFrame * DisplayFrames.MaxRectHeaderSize];
    private readonly byte[] _raw = new byte[MaxRawChunk + (MaxJoinedPixelsArea * 3) + 1024];
    private readonly byte[] _payload = new byte[FrameCodec.DefaultMaxPayload];
    private readonly OutputBuffer _deflated = new(MaxRawChunk + (64 * 1024));
    private DeflateStream? _deflate;
    private int _rectCount;
    private int _headerLength;
    private int _rawLength;
    private readonly (int Offset, DisplayRect Rect)[] _solids = new (int, DisplayRect)[MaxRectsPerFrame];
    private int _solidCount;
    private int _lastSolid = -1;

    // Tile analysis: the region's palette (open addressing, stamped so it needs no clearing) and its indices.
    private readonly uint[] _slotColour = new uint[1024];
    private readonly int[] _slotStamp = new int[1024];
    private readonly byte[] _slotIndex = new byte[1024];
    private readonly uint[] _palette = new uint[256];
    private readonly uint[] _unsorted = new uint[256];
    private readonly byte[] _remap = new byte[256];
    private readonly byte[] _indices = new byte[MaxJoinedArea];

    // The last Palette or Pixels rect of the frame (header offset, -1 for none; data offset), which the next region may join.
    private const int MaxJoinedArea = 4 * TileSize * TileSize;
    private const int MaxJoinedPixelsArea = 16 * TileSize * TileSize;
    private int _lastData = -1;
    private int _lastDataRaw;
    private DisplayRect _lastDataRect;

    // Rows of one tile that differ, grouped by column span; more than MaxBands and the tile's bounding box goes instead.
    private const int MaxBands = 3;

    // Below this many pixels the box's palette costs no more than a Solid header per band.
    private const int MinBandsBox = 512;
    private readonly PixelRect[] _bands = new PixelRect[MaxBands + 1];
    private int _stamp;

    private double _tokens;
    private long _refilledAt;
    private long _lastFrameAt;
    private bool _sentAny;

    private long _frames;
    private long _bytes;
    private long _updates;
    private long _rects;
    private long _copyRects;
    private long _keyframes;
    private long _keyframeBytes;
    private long _rawBytes;

    /// <summary>Creates a streamer for <paramref name="framebuffer"/>; nothing is sent until <see cref="SendKeyframeAsync"/> or <see cref="FlushAsync"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public DisplayStreamer(Framebuffer framebuffer, string desktopName, IFrameSink sink, DisplayStreamOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(framebuffer);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _screen = framebuffer;
        _name = desktopName ?? string.Empty;
        _sink = sink;
        _time = time;
        _logger = logger;
        _budgetPerSecond = options.BudgetBytesPerSecond;
        _burst = options.BurstBytes;
        _frameInterval = TimeSpan.FromSeconds(1.0 / options.MaxFramesPerSecond);
        _clipboardToBrowser = options.ClipboardToBrowser;
        _compressionLevel = options.CompressionLevel;
        _sent = new Framebuffer(framebuffer.Width, framebuffer.Height);
        _tokens = _burst;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>What has been sent so far.</summary>
    public DisplayStats Stats => new(
        Interlocked.Read(ref _frames),
        Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _updates),
        Interlocked.Read(ref _rects),
        Interlocked.Read(ref _copyRects),
        Interlocked.Read(ref _keyframes),
        Interlocked.Read(ref _keyframeBytes),
        Interlocked.Read(ref _rawBytes));

    // ---- IRfbUpdateSink: record only ----

    /// <summary>These pixels were written into the framebuffer.</summary>
    public void OnPixels(PixelRect rect)
    {
        if (!_needKeyframe)
        {
            MarkDirty(rect);
        }
    }

    /// <summary>
    /// The framebuffer copied (<paramref name="sourceX"/>, <paramref name="sourceY"/>) to <paramref name="destination"/>.
    /// Forwarded as a CopyRect when viewers hold the source as it was (no dirty tile under it); otherwise the
    /// destination is simply dirty.
    /// </summary>
    public void OnCopyRect(int sourceX, int sourceY, PixelRect destination)
    {
        if (_needKeyframe)
        {
            return;
        }

        var source = destination with { X = sourceX, Y = sourceY };
        if (destination.IsEmpty || !destination.FitsIn(_sent.Width, _sent.Height) || !source.FitsIn(_sent.Width, _sent.Height)
            || _copyCount == MaxPendingCopies || AnyDirty(source))
        {
            MarkDirty(destination);
            return;
        }

        // Viewers will apply it before any pixel of the next flush: so does their copy here.
        _sent.Copy(sourceX, sourceY, destination);
        _copies[_copyCount++] = (sourceX, sourceY, destination);
    }

    /// <summary>The framebuffer was resized (now black): the next flush sends a keyframe.</summary>
    public void OnResize(int width, int height, string? name)
    {
        if (name is not null)
        {
            _name = name;
        }

        _needKeyframe = true;
        Log.Resized(_logger, width, height);
    }

    /// <summary>
    /// The device's cursor shape (<c>0xAARRGGBB</c>, alpha 0 or 255); goes out with the next flush. A shape over
    /// 256 pixels a side is cropped (the hot spot kept inside).
    /// </summary>
    public void OnCursor(int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb)
    {
        var w = Math.Clamp(width, 0, DisplayFrames.MaxCursorSide);
        var h = Math.Clamp(height, 0, DisplayFrames.MaxCursorSide);
        if (w == 0 || h == 0 || argb.Length < (long)width * height)
        {
            _cursorInfo = default;
        }
        else
        {
            for (var y = 0; y < h; y++)
            {
                argb.Slice(y * width, w).CopyTo(_cursor.AsSpan(y * w, w));
            }

            _cursorInfo = new DisplayCursorInfo(Math.Clamp(hotX, 0, w - 1), Math.Clamp(hotY, 0, h - 1), w, h);
        }

        _hasCursor = true;
        _cursorDirty = true;
    }

    /// <summary>End of one FramebufferUpdate: nothing to do, the session flushes.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "An IRfbUpdateSink member.")]
    public void OnUpdateComplete()
    {
    }

    /// <summary>The device rang its bell: not carried in v1.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "An IRfbUpdateSink member.")]
    public void OnBell()
    {
    }

    /// <summary>Text the device put on its clipboard; goes to viewers with the next flush when <see cref="DisplayStreamOptions.ClipboardToBrowser"/> is set.</summary>
    public void OnServerCutText(string text, bool truncated)
    {
        if (_clipboardToBrowser)
        {
            _clipboard = text;
        }
    }

    /// <summary>The Controller's pointer moved (thread-safe); one DisplayPointer with the latest position goes out with the next flush.</summary>
    public void NotePointer(int x, int y, byte buttons)
    {
        var packed = (1L << 40) | ((long)(ushort)Math.Clamp(x, 0, ushort.MaxValue) << 24) | ((long)(ushort)Math.Clamp(y, 0, ushort.MaxValue) << 8) | buttons;
        Interlocked.Exchange(ref _pointer, packed);
    }

    /// <summary>
    /// Sends a keyframe now: DisplayInit (with <see cref="FrameFlags.Keyframe"/>), the whole screen, the cursor; a new
    /// deflate context. Not limited by the budget (it is paid for afterwards).
    /// </summary>
    public async ValueTask SendKeyframeAsync(CancellationToken cancellationToken)
    {
        Refill();
        var before = Interlocked.Read(ref _bytes);
        _needKeyframe = true; // until it has gone whole: a failed send leaves the next flush to try again
        StartKeyframe();
        var length = DisplayFrames.WriteInit(_payload, _screen.Width, _screen.Height, _name);
        await SendAsync(FrameType.DisplayInit, FrameFlags.Keyframe, length, cancellationToken);
        await SendTilesAsync(keyframe: true, cancellationToken);
        if (_hasCursor)
        {
            await SendCursorAsync(cancellationToken);
        }

        _needKeyframe = false;
        _lastFrameAt = _time.GetTimestamp();
        var bytes = Interlocked.Read(ref _bytes) - before;
        Interlocked.Increment(ref _keyframes);
        Interlocked.Add(ref _keyframeBytes, bytes);
        Log.KeyframeSent(_logger, bytes, _screen.Width, _screen.Height);
    }

    /// <summary>
    /// Sends what changed, if the frame-rate cap and the budget allow. Returns how long to wait before asking the
    /// device for the next update: zero when nothing is pending, the time until the next frame may go, or the time
    /// until the budget has refilled.
    /// </summary>
    public async ValueTask<TimeSpan> FlushAsync(CancellationToken cancellationToken)
    {
        if (_needKeyframe)
        {
            await SendKeyframeAsync(cancellationToken);
            return _frameInterval;
        }

        var screenWork = _dirtyCount > 0 || _copyCount > 0 || _cursorDirty || _clipboard is not null;
        if (!screenWork && Interlocked.Read(ref _pointer) == 0)
        {
            return TimeSpan.Zero;
        }

        var now = _time.GetTimestamp();
        if (_sentAny && _time.GetElapsedTime(_lastFrameAt, now) is var since && since < _frameInterval)
        {
            return _frameInterval - since;
        }

        Refill();
        var framesBefore = Interlocked.Read(ref _frames);
        var pointer = Interlocked.Exchange(ref _pointer, 0);
        if (pointer != 0)
        {
            var length = DisplayFrames.WritePointer(_payload, (int)((pointer >> 24) & 0xFFFF), (int)((pointer >> 8) & 0xFFFF), (byte)pointer);
            await SendAsync(FrameType.DisplayPointer, FrameFlags.None, length, cancellationToken);
        }

        if (screenWork && _tokens >= MinSendTokens)
        {
            if (_cursorDirty)
            {
                await SendCursorAsync(cancellationToken);
            }

            if (_clipboard is { } text)
            {
                _clipboard = null;
                var length = DisplayFrames.WriteClipboard(_payload, text);
                await SendAsync(FrameType.DisplayClipboard, FrameFlags.None, length, cancellationToken);
            }

            await SendTilesAsync(keyframe: false, cancellationToken);
        }

        if (Interlocked.Read(ref _frames) != framesBefore)
        {
            _lastFrameAt = _time.GetTimestamp();
        }

        var pending = _dirtyCount > 0 || _copyCount > 0 || _cursorDirty || _clipboard is not null;
        return !pending || _tokens >= MinSendTokens ? _frameInterval : Max(_frameInterval, TimeSpan.FromSeconds((MinSendTokens - _tokens) / _budgetPerSecond));
    }

    /// <inheritdoc />
    public void Dispose() => _deflate?.Dispose();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_refilledAt, now).TotalSeconds;
        _refilledAt = now;
        _tokens = Math.Min(_burst, _tokens + (elapsed * _budgetPerSecond));
    }

    /// <summary>Viewers will start from black at the current size with a new inflate context: so does their copy here.</summary>
    private void StartKeyframe()
    {
        _sent.Resize(_screen.Width, _screen.Height);
        _tilesX = (_screen.Width + TileSize - 1) / TileSize;
        _tilesY = (_screen.Height + TileSize - 1) / TileSize;
        if (_dirty.Length < _tilesX * _tilesY)
        {
            _dirty = new bool[_tilesX * _tilesY];
            _busy = new bool[_tilesX * _tilesY];
            _sentInFlush = new int[_tilesX * _tilesY];
        }

        _busy.AsSpan().Clear();
        _scanFrom = 0;

        _dirty.AsSpan(0, _tilesX * _tilesY).Fill(true);
        _dirtyCount = _tilesX * _tilesY;
        _copyCount = 0;
        _cursorDirty = false;
        _deflate?.Dispose();
        _deflated.Reset();
        _deflate = new DeflateStream(_deflated, new ZLibCompressionOptions { CompressionLevel = _compressionLevel }, leaveOpen: true);
        ResetFrame();
    }

    private void MarkDirty(PixelRect rect)
    {
        var r = rect.Intersect(_sent.Bounds);
        if (r.IsEmpty)
        {
            return;
        }

        for (var ty = r.Y / TileSize; ty <= (r.Bottom - 1) / TileSize; ty++)
        {
            for (var tx = r.X / TileSize; tx <= (r.Right - 1) / TileSize; tx++)
            {
                var tile = (ty * _tilesX) + tx;
                if (!_dirty[tile])
                {
                    _dirty[tile] = true;
                    _dirtyCount++;
                    _busy[tile] = _sentInFlush[tile] == _tileFlushes;
                }
            }
        }
    }

    private bool AnyDirty(PixelRect rect)
    {
        for (var ty = rect.Y / TileSize; ty <= (rect.Bottom - 1) / TileSize; ty++)
        {
            for (var tx = rect.X / TileSize; tx <= (rect.Right - 1) / TileSize; tx++)
            {
                if (_dirty[(ty * _tilesX) + tx])
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Sends pending copy-rects, then every dirty tile's changes, in frames of bounded size: outside a keyframe, quiet
    /// tiles first, then busy ones (see <see cref="_busy"/>), each in row-major order from where the budget stopped the
    /// last flush (a whole screen goes in screen order from the top left). Outside a keyframe a
    /// frame never takes more than the bucket holds: before each tile, if the frame could outgrow what is left (deflate
    /// never grows data by more than a few bytes), the frame goes first; when less than one worst-case tile is left, the
    /// flush stops and the tiles not reached stay dirty for the next one.
    /// </summary>
    private async ValueTask SendTilesAsync(bool keyframe, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _copyCount; i++)
        {
            var (sx, sy, destination) = _copies[i];
            AddRect(new DisplayRect(DisplayRectKind.CopyRect, destination, SourceX: sx, SourceY: sy));
            Interlocked.Increment(ref _copyRects);
        }

        _copyCount = 0;
        var tiles = _tilesX * _tilesY;
        var stopped = false;
        var flush = unchecked(++_tileFlushes);
        var from = keyframe ? 0 : _scanFrom;
        _scanFrom = 0;
        // Quiet tiles go first only when the budget cannot take every dirty tile now (a typed character must not wait
        // behind a busy area); otherwise one pass in screen order, which lets neighbouring tiles merge into fewer rects.
        var quietFirst = !keyframe && (long)WorstFrameSize(tiles: 0) + ((long)_dirtyCount * WorstTileSize) > _tokens;
        for (var pass = quietFirst ? 0 : 1; pass < 2 && !stopped; pass++)
        {
            for (var (k, tile) = (0, from); k < tiles && _dirtyCount > 0; k++, tile = tile + 1 == tiles ? 0 : tile + 1)
            {
                if (!_dirty[tile] || (pass == 0 && _busy[tile]))
                {
                    continue;
                }

                if (!keyframe && WorstFrameSize(tiles: 1) > _tokens)
                {
                    if (_rectCount > 0)
                    {
                        await SendUpdateAsync(cancellationToken);
                    }

                    if (WorstFrameSize(tiles: 1) > _tokens)
                    {
                        stopped = true;
                        _scanFrom = tile;
                        break;
                    }
                }

                if (_rawLength >= MaxRawChunk || _rectCount > MaxRectsPerFrame - MaxBands - 1)
                {
                    await SendUpdateAsync(cancellationToken);
                }

                _dirty[tile] = false;
                _dirtyCount--;
                _sentInFlush[tile] = flush;
                EncodeTile(tile % _tilesX, tile / _tilesX);
            }
        }

        if (_rectCount > 0)
        {
            await SendUpdateAsync(cancellationToken);
        }
    }

    /// <summary>The most the frame being built can take once <paramref name="tiles"/> more tiles are in it.</summary>
    private int WorstFrameSize(int tiles) =>
        DisplayFrames.UpdateHeaderSize + _headerLength + _rawLength + (tiles * WorstTileSize) + DeflateSlack + (_rawLength / 16);

    /// <summary>
    /// Adds the part of one tile that differs from the viewers' copy, and brings the copy up to date. The differing
    /// rows are grouped into bands of the same column span; a few bands of one colour each (an exposed L-shaped strip
    /// of wallpaper) go as Solid rectangles, anything else (text) as the bounding box.
    /// </summary>
    private void EncodeTile(int tx, int ty)
    {
        var x0 = tx * TileSize;
        var y0 = ty * TileSize;
        var w = Math.Min(TileSize, _screen.Width - x0);
        var h = Math.Min(TileSize, _screen.Height - y0);
        int minX = w, maxX = -1, minY = -1, maxY = -1;
        var bands = 0;
        for (var y = y0; y < y0 + h; y++)
        {
            var now = _screen.Row(y).Slice(x0, w);
            var had = _sent.Row(y).Slice(x0, w);
            var first = now.CommonPrefixLength(had);
            if (first == w)
            {
                continue;
            }

            var last = w - 1;
            while (now[last] == had[last])
            {
                last--;
            }

            if (bands <= MaxBands)
            {
                ref var band = ref _bands[Math.Min(bands, MaxBands)];
                if (bands > 0 && _bands[bands - 1] is var previous && previous.Bottom == y && previous.X == x0 + first && previous.Right == x0 + last + 1)
                {
                    _bands[bands - 1] = previous with { Height = previous.Height + 1 };
                }
                else
                {
                    band = new PixelRect(x0 + first, y, last - first + 1, 1);
                    bands++;
                }
            }

            minX = Math.Min(minX, first);
            maxX = Math.Max(maxX, last);
            minY = minY < 0 ? y : minY;
            maxY = y;
        }

        if (maxX < 0)
        {
            return;
        }

        var box = new PixelRect(x0 + minX, minY, maxX - minX + 1, maxY - minY + 1);
        if (bands <= MaxBands && box.Area >= MinBandsBox && BandsAreSolid(bands))
        {
            for (var i = 0; i < bands; i++)
            {
                EncodeRegion(_bands[i]);
            }
        }
        else
        {
            EncodeRegion(box);
        }
    }

    /// <summary>Separate bands pay when each is one colour: a header each and no data (measured: mixed bands cost more than their box).</summary>
    private bool BandsAreSolid(int bands)
    {
        for (var i = 0; i < bands; i++)
        {
            var band = _bands[i];
            var colour = _screen.Row(band.Y)[band.X];
            for (var y = band.Y; y < band.Bottom; y++)
            {
                if (_screen.Row(y).Slice(band.X, band.Width).ContainsAnyExcept(colour))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Solid for one colour, Palette when it is smaller than the pixels, else Pixels; a region right of the last
    /// Palette or Pixels rect, on the same rows, joins it when that does not widen its indices (fewer headers and
    /// palettes, longer runs for deflate).
    /// </summary>
    private void EncodeRegion(PixelRect region)
    {
        for (var y = region.Y; y < region.Bottom; y++)
        {
            _screen.Row(y).Slice(region.X, region.Width).CopyTo(_sent.Row(y).Slice(region.X, region.Width));
        }

        if (TryJoinLast(region))
        {
            return;
        }

        var colours = CountColours(region);
        if (colours == 1)
        {
            AddRect(new DisplayRect(DisplayRectKind.Solid, region, Colour: _palette[0]));
            return;
        }

        AddData(region, PalettePays(colours, region) ? colours : 0);
    }

    private static bool PalettePays(int colours, PixelRect region) =>
        colours > 1 && DisplayFrames.PaletteDataLength(colours, region.Width, region.Height) < DisplayFrames.PixelDataLength(region.Width, region.Height);

    private bool TryJoinLast(PixelRect region)
    {
        if (_lastData < 0 || _lastData + DisplayFrames.RectHeaderSize(_lastDataRect.Kind) != _headerLength)
        {
            return false;
        }

        var last = _lastDataRect.Area;
        var union = last with { Width = last.Width + region.Width };
        var limit = _lastDataRect.Kind == DisplayRectKind.Palette ? MaxJoinedArea : MaxJoinedPixelsArea;
        if (last.Y != region.Y || last.Height != region.Height || last.Right != region.X || union.Area > limit)
        {
            return false;
        }

        var own = CountColours(region);
        var colours = 0;
        if (_lastDataRect.Kind == DisplayRectKind.Palette)
        {
            if (!PalettePays(own, region))
            {
                return false;
            }

            colours = CountColours(union);
            if (!PalettePays(colours, union) || DisplayFrames.PaletteIndexBits(colours) > Math.Max(DisplayFrames.PaletteIndexBits(_lastDataRect.PaletteSize), DisplayFrames.PaletteIndexBits(own)))
            {
                return false;
            }
        }
        else if (own == 1 || PalettePays(own, region))
        {
            return false;
        }

        // Take the last rect and its data back; the union goes instead.
        _headerLength = _lastData;
        _rectCount--;
        _rawLength = _lastDataRaw;
        AddData(union, colours);
        return true;
    }

    /// <summary>Appends a Palette rect of <paramref name="colours"/> (counted for this region) or, for 0, a Pixels rect.</summary>
    private void AddData(PixelRect region, int colours)
    {
        var offset = _headerLength;
        var raw = _raw.AsSpan(_rawLength);
        var written = 0;
        DisplayRect rect;
        if (colours > 0)
        {
            rect = new DisplayRect(DisplayRectKind.Palette, region, PaletteSize: colours);
            written += DisplayFrames.WritePixelRow(raw, _palette.AsSpan(0, colours));
            for (var y = 0; y < region.Height; y++)
            {
                written += DisplayFrames.PackIndexRow(raw[written..], _indices.AsSpan(y * region.Width, region.Width), colours);
            }
        }
        else
        {
            rect = new DisplayRect(DisplayRectKind.Pixels, region);
            for (var y = region.Y; y < region.Bottom; y++)
            {
                written += DisplayFrames.WritePixelRow(raw[written..], _screen.Row(y).Slice(region.X, region.Width));
            }
        }

        AddRect(rect);
        _lastData = offset;
        _lastDataRect = rect;
        _lastDataRaw = _rawLength;
        _rawLength += written;
    }

    /// <summary>
    /// The region's distinct colours into <see cref="_palette"/> (sorted by value) and each pixel's index into
    /// <see cref="_indices"/>; 0 when there are more than 255.
    /// </summary>
    private int CountColours(PixelRect region)
    {
        var stamp = ++_stamp;
        if (stamp == int.MaxValue)
        {
            Array.Clear(_slotStamp);
            _stamp = stamp = 1;
        }

        var count = 0;
        var i = 0;
        var mask = _slotColour.Length - 1;
        for (var y = region.Y; y < region.Bottom; y++)
        {
            var row = _screen.Row(y).Slice(region.X, region.Width);
            var previous = uint.MaxValue;
            byte previousIndex = 0;
            foreach (var p in row)
            {
                if (p != previous)
                {
                    var slot = (int)((p * 2654435761u) >> 22) & mask;
                    while (_slotStamp[slot] == stamp && _slotColour[slot] != p)
                    {
                        slot = (slot + 1) & mask;
                    }

                    if (_slotStamp[slot] != stamp)
                    {
                        if (count == 255)
                        {
                            return 0;
                        }

                        _slotStamp[slot] = stamp;
                        _slotColour[slot] = p;
                        _slotIndex[slot] = (byte)count;
                        _palette[count++] = p;
                    }

                    previous = p;
                    previousIndex = _slotIndex[slot];
                }

                _indices[i++] = previousIndex;
            }
        }

        if (count > 1)
        {
            // Sorted by colour, the same colours get the same indices in every tile: deflate finds more repeats.
            var palette = _palette.AsSpan(0, count);
            palette.CopyTo(_unsorted);
            palette.Sort();
            for (var k = 0; k < count; k++)
            {
                _remap[k] = (byte)palette.BinarySearch(_unsorted[k]);
            }

            foreach (ref var index in _indices.AsSpan(0, i))
            {
                index = _remap[index];
            }
        }

        return count;
    }

    /// <summary>
    /// Appends a rectangle header. A Solid of the colour of a Solid just left of it (the last rect) or just above it
    /// (a recent one) widens or lengthens that one instead: the frame's tile rects never overlap, so their order
    /// does not matter and a wallpaper strip costs one rect.
    /// </summary>
    private void AddRect(in DisplayRect rect)
    {
        if (rect.Kind != DisplayRectKind.Solid)
        {
            AppendRect(rect);
            _lastSolid = -1;
            return;
        }

        var area = rect.Area;
        if (_lastSolid >= 0 && _lastSolid == _solidCount - 1 && _solids[_lastSolid].Rect is var left
            && left.Colour == rect.Colour && left.Area.Y == area.Y && left.Area.Height == area.Height && left.Area.Right == area.X
            && left.Area.Width + area.Width <= ushort.MaxValue && _solids[_lastSolid].Offset + DisplayFrames.RectHeaderSize(DisplayRectKind.Solid) == _headerLength)
        {
            // Take the last rect back and add the union, which may now lengthen one above.
            _headerLength = _solids[_lastSolid].Offset;
            _rectCount--;
            _solidCount--;
            area = left.Area with { Width = left.Area.Width + area.Width };
        }

        for (var i = _solidCount - 1; i >= Math.Max(0, _solidCount - 64); i--)
        {
            var above = _solids[i].Rect;
            if (above.Colour == rect.Colour && above.Area.X == area.X && above.Area.Width == area.Width && above.Area.Bottom == area.Y
                && above.Area.Height + area.Height <= ushort.MaxValue)
            {
                _solids[i].Rect = above with { Area = above.Area with { Height = above.Area.Height + area.Height } };
                DisplayFrames.WriteRect(_headers.AsSpan(_solids[i].Offset), _solids[i].Rect);
                _lastSolid = -1;
                return;
            }
        }

        _solids[_solidCount] = (_headerLength, rect with { Area = area });
        _lastSolid = _solidCount++;
        AppendRect(_solids[_lastSolid].Rect);
    }

    private void AppendRect(in DisplayRect rect)
    {
        _headerLength += DisplayFrames.WriteRect(_headers.AsSpan(_headerLength), rect);
        _rectCount++;
    }

    private async ValueTask SendUpdateAsync(CancellationToken cancellationToken)
    {
        var compression = DisplayCompression.None;
        var data = ReadOnlyMemory<byte>.Empty;
        if (_rawLength > 0)
        {
            _deflated.Reset();
            _deflate!.Write(_raw, 0, _rawLength);
            _deflate.Flush(); // sync flush: the chunk inflates completely on its own arrival
            compression = DisplayCompression.Deflate;
            data = _deflated.Written;
        }

        var length = DisplayFrames.WriteUpdateHeader(_payload, _rectCount, compression);
        _headers.AsSpan(0, _headerLength).CopyTo(_payload.AsSpan(length));
        length += _headerLength;
        data.Span.CopyTo(_payload.AsSpan(length));
        length += data.Length;
        Interlocked.Add(ref _rects, _rectCount);
        Interlocked.Add(ref _rawBytes, _rawLength);
        Interlocked.Increment(ref _updates);
        ResetFrame();
        await SendAsync(FrameType.DisplayUpdate, FrameFlags.None, length, cancellationToken);
    }

    private void ResetFrame()
    {
        _rectCount = 0;
        _headerLength = 0;
        _rawLength = 0;
        _solidCount = 0;
        _lastSolid = -1;
        _lastData = -1;
    }

    private async ValueTask SendCursorAsync(CancellationToken cancellationToken)
    {
        _cursorDirty = false;
        var c = _cursorInfo;
        var length = DisplayFrames.WriteCursor(_payload, c.HotX, c.HotY, c.Width, c.Height, _cursor.AsSpan(0, c.Width * c.Height));
        await SendAsync(FrameType.DisplayCursor, FrameFlags.None, length, cancellationToken);
    }

    private async ValueTask SendAsync(FrameType type, FrameFlags flags, int length, CancellationToken cancellationToken)
    {
        try
        {
            await _sink.SendAsync(type, flags, _payload.AsMemory(0, length), cancellationToken);
        }
        catch
        {
            // Viewers may have missed a frame of the deflate stream: only a keyframe brings them back.
            _needKeyframe = true;
            throw;
        }

        _tokens -= length;
        _sentAny = true;
        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _bytes, length);
    }

    /// <summary>The deflater's output for one frame, in a reused buffer.</summary>
    private sealed class OutputBuffer(int capacity) : System.IO.Stream
    {
        private byte[] _buffer = new byte[capacity];
        private int _length;

        public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public void Reset() => _length = 0;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_buffer.Length - _length < buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + buffer.Length));
            }

            buffer.CopyTo(_buffer.AsSpan(_length));
            _length += buffer.Length;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
