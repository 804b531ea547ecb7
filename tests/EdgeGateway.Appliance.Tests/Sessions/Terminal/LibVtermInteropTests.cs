using System.Runtime.CompilerServices;
using System.Text;
using EdgeGateway.Appliance.Interop;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Tests.Sessions.Terminal;

/// <summary>
/// The C# mirror of libvterm 0.1.4's structs matches the C layout (measured with gcc offsetof/sizeof: cell 40 bytes,
/// chars@0, width@24, attrs@28, fg@32, bg@36) and reads back known cells field by field.
/// </summary>
[Trait("Area", "Ssh")]
public sealed class LibVtermInteropTests
{
    [Fact]
    public void Screen_cell_mirror_has_the_C_layout()
    {
        var cell = default(VTermScreenCell);
        ref var start = ref Unsafe.As<VTermScreenCell, byte>(ref cell);
        Assert.Equal(40, Unsafe.SizeOf<VTermScreenCell>());
        Assert.Equal(24, Unsafe.SizeOf<VTermChars>());
        Assert.Equal(0, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<VTermChars, byte>(ref cell.Chars)));
        Assert.Equal(24, (int)Unsafe.ByteOffset(ref start, ref cell.Width));
        Assert.Equal(28, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<uint, byte>(ref cell.Attrs)));
        Assert.Equal(32, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<VTermColor, byte>(ref cell.Foreground)));
        Assert.Equal(36, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<VTermColor, byte>(ref cell.Background)));
        Assert.Equal(4, Unsafe.SizeOf<VTermColor>());
        Assert.Equal(IntPtr.Size, Unsafe.SizeOf<VTermValue>());
        Assert.Equal(8, Unsafe.SizeOf<VTermPos>());
        Assert.Equal(8 * IntPtr.Size, Unsafe.SizeOf<VTermScreenCallbacks>());
    }

    [Fact]
    public void Raw_cells_read_back_every_field()
    {
        using var terminal = new VirtualTerminal(new TerminalSize(20, 5));
        terminal.Write(Encoding.UTF8.GetBytes(
            "\e[1;31mX\e[0m\e[38;2;1;2;3mY\e[0m\e[48;5;200mZ\e[0m中e\u0301\e[4:3;3;5;7;9;2;53mQ\e[0m\e[21mD\e[0m\e[92;104mB\e[0m"));
        VTermScreenCell Cell(int column) => terminal.GetRawCell(0, column);

        // Bold, indexed red (SGR 31 = index 1), default background.
        var x = Cell(0);
        Assert.Equal('X', (int)x.Chars[0]);
        Assert.Equal(0u, x.Chars[1]);
        Assert.Equal(1, x.Width);
        Assert.Equal(VTermCellAttrs.Bold, x.Attrs & 0x3FFF);
        Assert.Equal(VTermColor.TypeIndexed, x.Foreground.Type);
        Assert.Equal(1, x.Foreground.Red);
        Assert.NotEqual(0, x.Background.Type & VTermColor.TypeDefaultMask);

        // RGB foreground.
        var y = Cell(1);
        Assert.Equal('Y', (int)y.Chars[0]);
        Assert.Equal(0u, y.Attrs & 0x3FFF);
        Assert.Equal((0, 1, 2, 3), (y.Foreground.Type, y.Foreground.Red, y.Foreground.Green, y.Foreground.Blue));

        // 256-colour background, default foreground.
        var z = Cell(2);
        Assert.Equal('Z', (int)z.Chars[0]);
        Assert.NotEqual(0, z.Foreground.Type & VTermColor.TypeDefaultMask);
        Assert.Equal((VTermColor.TypeIndexed, (byte)200), (z.Background.Type, z.Background.Red));

        // A wide glyph and its right half.
        var wide = Cell(3);
        Assert.Equal(0x4E2D, (int)wide.Chars[0]);
        Assert.Equal(2, wide.Width);
        Assert.Equal(uint.MaxValue, Cell(4).Chars[0]);

        // Base letter and combining acute in one cell.
        var combined = Cell(5);
        Assert.Equal(('e', 0x301, 0), ((int)combined.Chars[0], (int)combined.Chars[1], (int)combined.Chars[2]));
        Assert.Equal(1, combined.Width);

        // Every attribute bit: curly underline, italic, blink, reverse, strike; faint and overline as font 1 | 4 (Sgr).
        var q = Cell(6);
        Assert.Equal(3u, (q.Attrs >> VTermCellAttrs.UnderlineShift) & 3);
        Assert.Equal(VTermCellAttrs.Italic | VTermCellAttrs.Blink | VTermCellAttrs.Reverse | VTermCellAttrs.Strike, q.Attrs & (VTermCellAttrs.Italic | VTermCellAttrs.Blink | VTermCellAttrs.Reverse | VTermCellAttrs.Strike));
        Assert.Equal(0u, q.Attrs & VTermCellAttrs.Bold);
        Assert.Equal(5u, (q.Attrs >> VTermCellAttrs.FontShift) & 0xF);

        // SGR 21: double underline.
        Assert.Equal(2u, (Cell(7).Attrs >> VTermCellAttrs.UnderlineShift) & 3);

        // Bright colours are palette indexes 10 and 12.
        var bright = Cell(8);
        Assert.Equal((VTermColor.TypeIndexed, (byte)10, VTermColor.TypeIndexed, (byte)12), (bright.Foreground.Type, bright.Foreground.Red, bright.Background.Type, bright.Background.Red));
    }

    [Fact]
    public void Captured_cells_keep_colours_as_the_application_chose_them()
    {
        using var terminal = new VirtualTerminal(new TerminalSize(20, 5));
        terminal.Write("\e[1;31mX\e[0m\e[38;2;1;2;3mY\e[0m\e[48;5;200mZ\e[0m中e\u0301\e[4:3;3;5;7;9;12mQ\e[0m \e[7m \e[0m"u8);
        using var state = terminal.Capture();

        Assert.Equal("X", state[0, 0].Text);
        Assert.Equal(new CellStyle(CellAttributes.Bold, UnderlineStyle.None, TerminalColor.FromIndex(1), TerminalColor.Default), state[0, 0].Style);
        Assert.Equal(new CellStyle(CellAttributes.None, UnderlineStyle.None, TerminalColor.FromRgb(1, 2, 3), TerminalColor.Default), state[0, 1].Style);
        Assert.Equal(new CellStyle(CellAttributes.None, UnderlineStyle.None, TerminalColor.Default, TerminalColor.FromIndex(200)), state[0, 2].Style);
        Assert.Equal(("中", 2, true), (state[0, 3].Text, state[0, 3].Width, state[0, 3].IsWide));
        Assert.True(state[0, 4].IsContinuation);
        Assert.Equal(0, state[0, 4].Width);
        Assert.Equal(("e\u0301", 2, 1), (state[0, 5].Text, state[0, 5].CharCount, state[0, 5].Width));
        Assert.Equal(
            new CellStyle(CellAttributes.Italic | CellAttributes.Blink | CellAttributes.Reverse | CellAttributes.Strike, UnderlineStyle.Curly, TerminalColor.Default, TerminalColor.Default),
            state[0, 6].Style);

        // A written space and an erased cell are both blank; a reverse-video space keeps its style.
        Assert.True(state[0, 7].IsBlank);
        Assert.Equal(TerminalCell.Blank, state[0, 7]);
        Assert.True(state[0, 8].IsBlank);
        Assert.Equal(CellAttributes.Reverse, state[0, 8].Style.Attributes);
        Assert.Equal(TerminalCell.Blank, state[0, 9]);
        Assert.Equal((0, 9), (state.CursorRow, state.CursorColumn));
    }

    [Fact]
    public void Sequences_that_crash_libvterm_are_defused()
    {
        // Each of these corrupts memory or hangs in libvterm 0.1.4 when given to it as it is.
        using var terminal = new VirtualTerminal(new TerminalSize(20, 6));

        // More than 16 CSI parameters (an unchecked array index in its parser): the first 16 still apply.
        terminal.Write("\e[1;2;3;4;5;6;7;8;9;21;3;5;7;9;22;22;22;22;22;22;22;22;22;22;22;22;1mA"u8);
        terminal.Write("\e[38;2;1;2;3;48;2;4;5;6;1;4:3;5;7;9;11;38;5;9m"u8);
        terminal.Write("B\e[m"u8);

        // REP after a wide glyph at the end of a line, and after a reset (zero-width "previous character").
        terminal.Write("\e[1;19H文\e[5b\ec\e[10b"u8);

        // A saved cursor off the screen after a shrink, then restored and used.
        terminal.Write("\e[6;20H\e7"u8);
        terminal.Resize(new TerminalSize(10, 3));
        terminal.Write("\e8\e#6x"u8);

        // A scroll region below the new bottom after a shrink.
        terminal.Resize(new TerminalSize(20, 8));
        terminal.Write("\e[6;8r"u8);
        terminal.Resize(new TerminalSize(20, 4));
        terminal.Write("\e[3S\e[2Lx"u8);

        // A wide glyph in a one-column terminal (emulated with two).
        terminal.Resize(new TerminalSize(1, 3));
        terminal.Write("中中"u8);

        using var state = terminal.Capture();
        Assert.Equal(new TerminalSize(2, 3), state.Size);
        Assert.Equal("中", state[2, 0].Text);
    }

    [Fact]
    public void Overlong_parameter_lists_apply_as_in_xterm_js()
    {
        // libvterm 0.1.4 keeps 16 parameters (and must not see more); SGR follows xterm.js, which keeps 32.
        using var terminal = new VirtualTerminal(new TerminalSize(20, 2));
        terminal.Write("\e[1;4;22;22;22;22;22;22;22;22;22;22;22;22;22;3;7;7;7mA"u8);
        using var state = terminal.Capture();
        Assert.Equal(CellAttributes.Italic | CellAttributes.Reverse, state[0, 0].Style.Attributes);
        Assert.Equal(UnderlineStyle.Straight, state[0, 0].Style.Underline);
    }
}
