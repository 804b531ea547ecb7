using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeGateway.Appliance.Interop;

/// <summary>
/// libvterm 0.1.4 (Debian/Raspberry Pi OS package <c>libvterm0</c>): the terminal emulator behind
/// <see cref="Sessions.Terminal.VirtualTerminal"/>. Only the calls the appliance needs, and only API that 0.1.4 has.
/// </summary>
internal static unsafe partial class LibVterm
{
    internal const string Library = "libvterm.so.0";

    [LibraryImport(Library)]
    internal static partial VTermHandle vterm_new(int rows, int cols);

    [LibraryImport(Library)]
    internal static partial void vterm_free(nint vt);

    [LibraryImport(Library)]
    internal static partial void vterm_set_utf8(VTermHandle vt, int isUtf8);

    [LibraryImport(Library)]
    internal static partial void vterm_set_size(VTermHandle vt, int rows, int cols);

    [LibraryImport(Library)]
    internal static partial void vterm_get_size(VTermHandle vt, out int rows, out int cols);

    [LibraryImport(Library)]
    internal static partial nuint vterm_input_write(VTermHandle vt, byte* bytes, nuint length);

    [LibraryImport(Library)]
    internal static partial nuint vterm_output_read(VTermHandle vt, byte* buffer, nuint length);

    [LibraryImport(Library)]
    internal static partial nint vterm_obtain_screen(VTermHandle vt);

    [LibraryImport(Library)]
    internal static partial nint vterm_obtain_state(VTermHandle vt);

    [LibraryImport(Library)]
    internal static partial void vterm_screen_reset(nint screen, int hard);

    [LibraryImport(Library)]
    internal static partial void vterm_screen_enable_altscreen(nint screen, int altscreen);

    [LibraryImport(Library)]
    internal static partial void vterm_screen_set_callbacks(nint screen, VTermScreenCallbacks* callbacks, nint user);

    // Short, never blocks, never calls back: no GC transition needed (it runs once per cell on a capture).
    [LibraryImport(Library)]
    [SuppressGCTransition]
    internal static partial int vterm_screen_get_cell(nint screen, VTermPos pos, VTermScreenCell* cell);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    internal static partial void vterm_state_get_cursorpos(nint state, VTermPos* cursorPosition);

    [LibraryImport(Library)]
    [SuppressGCTransition]
    internal static partial int vterm_state_get_penattr(nint state, VTermAttr attr, VTermValue* value);

    /// <summary>
    /// The one screen callback table, shared by every terminal: libvterm keeps the pointer, so it lives in native
    /// memory for the life of the process. Only <c>settermprop</c> is set; the <c>user</c> pointer is a
    /// <see cref="GCHandle"/> to the terminal's <see cref="IVTermPropertySink"/>.
    /// </summary>
    internal static VTermScreenCallbacks* PropertyCallbacks { get; } = CreatePropertyCallbacks();

    private static VTermScreenCallbacks* CreatePropertyCallbacks()
    {
        var callbacks = (VTermScreenCallbacks*)NativeMemory.AllocZeroed((nuint)sizeof(VTermScreenCallbacks));
        callbacks->SetTermProp = &OnSetTermProp;
        return callbacks;
    }

    [UnmanagedCallersOnly]
    private static int OnSetTermProp(VTermProp prop, VTermValue* value, nint user)
    {
        // Nothing here may throw: an exception cannot cross back into libvterm.
        if (user != 0 && value != null && GCHandle.FromIntPtr(user).Target is IVTermPropertySink sink)
        {
            sink.OnPropertyChanged(prop, value->Number);
        }

        // Non-zero: accepted. libvterm only records a property (the alternate screen above all) when we accept it.
        return 1;
    }
}

/// <summary>Receives libvterm's terminal-property changes (cursor visibility, alternate screen, ...).</summary>
internal interface IVTermPropertySink
{
    /// <summary>Called on the thread that is writing into the terminal. <paramref name="value"/> is the bool or int.</summary>
    void OnPropertyChanged(VTermProp prop, int value);
}

/// <summary>Owns a <c>VTerm*</c> and, once set, the <see cref="GCHandle"/> its callbacks receive.</summary>
internal sealed class VTermHandle : SafeHandle
{
    private GCHandle _callbackTarget;

    public VTermHandle()
        : base(invalidHandleValue: 0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Keeps <paramref name="target"/> reachable from native code until the terminal is freed.</summary>
    public nint SetCallbackTarget(object target)
    {
        if (_callbackTarget.IsAllocated)
        {
            throw new InvalidOperationException("The callback target is already set.");
        }

        _callbackTarget = GCHandle.Alloc(target);
        return GCHandle.ToIntPtr(_callbackTarget);
    }

    protected override bool ReleaseHandle()
    {
        LibVterm.vterm_free(handle);
        if (_callbackTarget.IsAllocated)
        {
            _callbackTarget.Free();
        }

        return true;
    }
}

/// <summary><c>VTermPos</c>: a zero-based cell position.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VTermPos(int row, int col)
{
    public int Row = row;
    public int Col = col;
}

/// <summary><c>VTermProp</c> (vterm.h, 0.1.4).</summary>
internal enum VTermProp
{
    CursorVisible = 1,
    CursorBlink = 2,
    AltScreen = 3,
    Title = 4,
    IconName = 5,
    Reverse = 6,
    CursorShape = 7,
    Mouse = 8,
}

/// <summary><c>VTermAttr</c> (vterm.h, 0.1.4), for <c>vterm_state_get_penattr</c>.</summary>
internal enum VTermAttr
{
    Bold = 1,
    Underline = 2,
    Italic = 3,
    Blink = 4,
    Reverse = 5,
    Strike = 6,
    Font = 7,
    Foreground = 8,
    Background = 9,
}

/// <summary>
/// <c>VTermColor</c>: a 4-byte tagged union. <see cref="Type"/> bit 0 set = indexed (the index is in
/// <see cref="Red"/>, the other two bytes are stale), clear = RGB; bit 1 = default foreground, bit 2 = default
/// background.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VTermColor
{
    public const byte TypeIndexed = 0x01;
    public const byte TypeDefaultMask = 0x06;

    public byte Type;
    public byte Red;
    public byte Green;
    public byte Blue;
}

/// <summary><c>VTermValue</c>: a union of int (bool, number), <c>char*</c> (string) and <see cref="VTermColor"/>.</summary>
[StructLayout(LayoutKind.Explicit)]
internal struct VTermValue
{
    [FieldOffset(0)]
    public int Number;

    [FieldOffset(0)]
    public VTermColor Color;

    [FieldOffset(0)]
    public nint String;
}

/// <summary>
/// <c>VTermScreenCell</c> as libvterm 0.1.4 lays it out (measured with offsetof/sizeof on x86-64; arm64 has the same
/// little-endian bit-field ABI): <c>uint32_t chars[6]</c> at 0, <c>char width</c> at 24, the
/// <c>VTermScreenCellAttrs</c> bit-field word at 28, <c>fg</c> at 32, <c>bg</c> at 36; 40 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VTermScreenCell
{
    public const int MaxChars = 6;

    /// <summary>Code points; ends at the first 0 (later slots are not written). <c>0xFFFFFFFF</c> = right half of a wide glyph.</summary>
    public VTermChars Chars;

    /// <summary>1, or 2 when the next cell holds this glyph's right half.</summary>
    public byte Width;

    /// <summary>The attribute bit-fields; see <see cref="VTermCellAttrs"/>. Bits above 13 are not written.</summary>
    public uint Attrs;

    public VTermColor Foreground;

    public VTermColor Background;
}

[InlineArray(VTermScreenCell.MaxChars)]
internal struct VTermChars
{
    private uint _element0;
}

/// <summary>Bit positions of <c>VTermScreenCellAttrs</c> in its <c>unsigned int</c> (GCC, little-endian).</summary>
internal static class VTermCellAttrs
{
    public const uint Bold = 1u << 0;
    public const int UnderlineShift = 1;       // 2 bits: 1 single, 2 double, 3 curly
    public const uint Italic = 1u << 3;
    public const uint Blink = 1u << 4;
    public const uint Reverse = 1u << 5;
    public const uint Strike = 1u << 6;
    public const int FontShift = 7;            // 4 bits: 0-9
    public const uint DoubleWidthLine = 1u << 11;
    public const int DoubleHeightShift = 12;   // 2 bits
}

/// <summary><c>VTermScreenCallbacks</c>: eight function pointers; only <see cref="SetTermProp"/> is used.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VTermScreenCallbacks
{
    public nint Damage;
    public nint MoveRect;
    public nint MoveCursor;
    public delegate* unmanaged<VTermProp, VTermValue*, nint, int> SetTermProp;
    public nint Bell;
    public nint Resize;
    public nint ScrollbackPushLine;
    public nint ScrollbackPopLine;
}
