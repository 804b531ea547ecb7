using System.Buffers;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// An immutable copy of a terminal's screen (<see cref="VirtualTerminal.Capture"/>): cells, cursor, pen and modes.
/// The cells live in a pooled array; dispose the state when done with it, and do not use it afterwards.
/// </summary>
public sealed class ScreenState : IDisposable
{
    private TerminalCell[]? _cells;

    internal ScreenState(TerminalSize size, TerminalCell[] cells, int cursorRow, int cursorColumn, TerminalModes modes, CellStyle pen, SavedCursor? savedCursor, byte[] pending)
    {
        Pending = pending;
        SavedCursor = savedCursor;
        Size = size;
        _cells = cells;
        CursorRow = cursorRow;
        CursorColumn = cursorColumn;
        Modes = modes;
        Pen = pen;
    }

    /// <summary>Screen size.</summary>
    public TerminalSize Size { get; }

    /// <summary>Cursor row, 0-based (absolute, also in origin mode).</summary>
    public int CursorRow { get; }

    /// <summary>Cursor column, 0-based.</summary>
    public int CursorColumn { get; }

    /// <summary>Modes, alternate screen and cursor looks.</summary>
    public TerminalModes Modes { get; }

    /// <summary>The pen: the style the next printed character gets.</summary>
    public CellStyle Pen { get; }

    /// <summary>What DECSC (<c>ESC 7</c>, <c>?1049 h</c>) last saved for DECRC to restore; null when nothing was saved.</summary>
    public SavedCursor? SavedCursor { get; }

    /// <summary>
    /// The unfinished sequence or character the output ended in, as a terminal that received it is in the middle of
    /// it (empty when between sequences; at most 256 bytes). Renderings end with it and start with CAN after it.
    /// </summary>
    public ReadOnlySpan<byte> PendingInput => Pending;

    internal byte[] Pending { get; }

    /// <summary>One row of cells.</summary>
    public ReadOnlySpan<TerminalCell> GetRow(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Size.Rows);
        return Cells.AsSpan(row * Size.Columns, Size.Columns);
    }

    /// <summary>One cell.</summary>
    public TerminalCell this[int row, int column]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(column);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Size.Columns);
            return GetRow(row)[column];
        }
    }

    private TerminalCell[] Cells => _cells ?? throw new ObjectDisposedException(nameof(ScreenState));

    /// <summary>True when both show the same thing and behave the same: cells, cursor, pen and modes.</summary>
    public bool ContentEquals(ScreenState other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Size != other.Size || CursorRow != other.CursorRow || CursorColumn != other.CursorColumn || Modes != other.Modes || Pen != other.Pen || SavedCursor != other.SavedCursor || !PendingInput.SequenceEqual(other.PendingInput))
        {
            return false;
        }

        var length = Size.Rows * Size.Columns;
        return TerminalCell.RowsEqual(Cells.AsSpan(0, length), other.Cells.AsSpan(0, length));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _cells, null) is { } cells)
        {
            ArrayPool<TerminalCell>.Shared.Return(cells);
        }
    }
}

/// <summary>What libvterm's DECSC saves: position, pen and the cursor's looks.</summary>
/// <param name="Row">Row, 0-based.</param>
/// <param name="Column">Column, 0-based.</param>
/// <param name="Pen">The pen.</param>
/// <param name="Visible">DECTCEM.</param>
/// <param name="Blink">Cursor blink.</param>
/// <param name="Shape">Cursor shape.</param>
public readonly record struct SavedCursor(int Row, int Column, CellStyle Pen, bool Visible, bool Blink, CursorShape Shape);
