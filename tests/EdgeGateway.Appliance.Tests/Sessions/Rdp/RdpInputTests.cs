using EdgeGateway.Appliance.Sessions.Rdp;

namespace EdgeGateway.Appliance.Tests.Sessions.Rdp;

/// <summary>Keysyms and the page's button mask to RDP keyboard and pointer events (MS-RDPBCGR 2.2.8.1.1.3.1.1).</summary>
[Trait("Area", "Rdp")]
public sealed class RdpInputTests
{
    private static RdpKeyEvent Scan(ushort code, bool down = true, bool extended = false) => RdpKeyEvent.Scan(code, extended, down);

    [Fact]
    public void Printable_characters_go_as_Unicode_when_the_server_takes_it()
    {
        var keyboard = new RdpKeyboard();
        Assert.Equal([RdpKeyEvent.Text('a', true)], keyboard.Map('a', true, unicodeInput: true));
        Assert.Equal([RdpKeyEvent.Text('a', false)], keyboard.Map('a', false, unicodeInput: true));
        Assert.Equal([RdpKeyEvent.Text('é', true)], keyboard.Map(0xE9, true, unicodeInput: true));
        Assert.Equal([RdpKeyEvent.Text('€', true)], keyboard.Map(0x010020AC, true, unicodeInput: true));

        // Outside the BMP: a surrogate pair.
        Assert.Equal([RdpKeyEvent.Text('\uD83D', true), RdpKeyEvent.Text('\uDE00', true)], keyboard.Map(0x0101F600, true, unicodeInput: true));
    }

    [Fact]
    public void Without_Unicode_input_characters_are_US_scancodes_with_the_Shift_they_need()
    {
        var keyboard = new RdpKeyboard();
        Assert.Equal([Scan(0x1E)], keyboard.Map('a', true, unicodeInput: false));
        Assert.Equal([Scan(0x1E, down: false)], keyboard.Map('a', false, unicodeInput: false));
        Assert.Equal([Scan(0x2A), Scan(0x1E), Scan(0x2A, down: false)], keyboard.Map('A', true, unicodeInput: false));
        Assert.Equal([Scan(0x2A), Scan(0x02), Scan(0x2A, down: false)], keyboard.Map('!', true, unicodeInput: false));
        Assert.Equal([Scan(0x39)], keyboard.Map(' ', true, unicodeInput: false));
        Assert.Equal([Scan(0x0C)], keyboard.Map('-', true, unicodeInput: false));
        Assert.Equal([Scan(0x2B)], keyboard.Map('\\', true, unicodeInput: false));

        // The user holds Shift: no extra Shift; a character that needs none has the held Shift let go around it.
        Assert.Equal([Scan(0x2A)], keyboard.Map(0xFFE1, true, unicodeInput: false));
        Assert.Equal([Scan(0x1E)], keyboard.Map('A', true, unicodeInput: false));
        Assert.Equal([Scan(0x2A, down: false), Scan(0x02), Scan(0x2A)], keyboard.Map('1', true, unicodeInput: false));

        // Not on a US keyboard: nothing.
        Assert.Empty(new RdpKeyboard().Map(0xE9, true, unicodeInput: false));
    }

    [Fact]
    public void With_Ctrl_Alt_or_Super_held_characters_are_scancodes_even_with_Unicode_input()
    {
        var keyboard = new RdpKeyboard();
        Assert.Equal([Scan(0x1D)], keyboard.Map(0xFFE3, true, unicodeInput: true)); // Control_L
        Assert.Equal([Scan(0x2E)], keyboard.Map('c', true, unicodeInput: true));
        Assert.Equal([Scan(0x2E)], keyboard.Map('C', true, unicodeInput: true)); // some pages send the upper case
        Assert.Equal([Scan(0x1D, down: false)], keyboard.Map(0xFFE3, false, unicodeInput: true));
        Assert.Equal([RdpKeyEvent.Text('c', true)], keyboard.Map('c', true, unicodeInput: true));

        Assert.Equal([Scan(0x5B, extended: true)], keyboard.Map(0xFFEB, true, unicodeInput: true)); // Super_L: Windows key
        Assert.Equal([Scan(0x13)], keyboard.Map('r', true, unicodeInput: true));
    }

    [Fact]
    public void Ctrl_Alt_Del_from_the_page_is_three_scancodes()
    {
        var keyboard = new RdpKeyboard();
        uint[] sequence = [0xFFE3, 0xFFE9, 0xFFFF];
        var downs = sequence.SelectMany(k => keyboard.Map(k, true, unicodeInput: true)).ToArray();
        var ups = sequence.Reverse().SelectMany(k => keyboard.Map(k, false, unicodeInput: true)).ToArray();
        Assert.Equal([Scan(0x1D), Scan(0x38), Scan(0x53, extended: true)], downs);
        Assert.Equal([Scan(0x53, down: false, extended: true), Scan(0x38, down: false), Scan(0x1D, down: false)], ups);
        Assert.False(keyboard.ShortcutHeld);
    }

    [Theory]
    [InlineData(0xFF0Du, 0x1C, false)] // Return
    [InlineData(0xFF8Du, 0x1C, true)]  // KP_Enter
    [InlineData(0xFF08u, 0x0E, false)] // BackSpace
    [InlineData(0xFF09u, 0x0F, false)] // Tab
    [InlineData(0xFF1Bu, 0x01, false)] // Escape
    [InlineData(0xFF51u, 0x4B, true)]  // Left
    [InlineData(0xFF52u, 0x48, true)]  // Up
    [InlineData(0xFF53u, 0x4D, true)]  // Right
    [InlineData(0xFF54u, 0x50, true)]  // Down
    [InlineData(0xFF50u, 0x47, true)]  // Home
    [InlineData(0xFF57u, 0x4F, true)]  // End
    [InlineData(0xFF55u, 0x49, true)]  // Page_Up
    [InlineData(0xFF56u, 0x51, true)]  // Page_Down
    [InlineData(0xFF63u, 0x52, true)]  // Insert
    [InlineData(0xFFFFu, 0x53, true)]  // Delete
    [InlineData(0xFFBEu, 0x3B, false)] // F1
    [InlineData(0xFFC7u, 0x44, false)] // F10
    [InlineData(0xFFC8u, 0x57, false)] // F11
    [InlineData(0xFFC9u, 0x58, false)] // F12
    [InlineData(0xFFE4u, 0x1D, true)]  // Control_R
    [InlineData(0xFFEAu, 0x38, true)]  // Alt_R
    [InlineData(0xFFECu, 0x5C, true)]  // Super_R
    public void Named_keys_are_scancodes_with_the_extended_flag_where_the_PC_keyboard_sends_E0(uint keysym, int code, bool extended)
    {
        Assert.Equal([Scan((ushort)code, extended: extended)], new RdpKeyboard().Map(keysym, true, unicodeInput: true));
        Assert.Equal([Scan((ushort)code, down: false, extended: extended)], new RdpKeyboard().Map(keysym, false, unicodeInput: true));
    }

    [Fact]
    public void Unknown_keysyms_and_control_characters_send_nothing()
    {
        var keyboard = new RdpKeyboard();
        Assert.Empty(keyboard.Map(0xFE03, true, unicodeInput: true)); // ISO_Level3_Shift (AltGr): its characters come as keysyms
        Assert.Empty(keyboard.Map(0x0100D800, true, unicodeInput: true)); // a lone surrogate
        Assert.Empty(keyboard.Map(0x01000085, true, unicodeInput: true)); // a C1 control
        Assert.Empty(keyboard.Map(0x1F, true, unicodeInput: true));
    }

    [Fact]
    public void The_button_mask_becomes_moves_button_changes_and_wheel_notches()
    {
        Assert.Equal([RdpPointer.Move], RdpPointer.Events(0, 0));
        Assert.Equal([RdpPointer.Move, (ushort)(RdpPointer.Button1 | RdpPointer.Down)], RdpPointer.Events(0, 1));
        Assert.Equal([RdpPointer.Move, RdpPointer.Button1], RdpPointer.Events(1, 0));
        Assert.Equal([RdpPointer.Move, (ushort)(RdpPointer.Button3 | RdpPointer.Down)], RdpPointer.Events(0, 2)); // middle
        Assert.Equal([RdpPointer.Move, (ushort)(RdpPointer.Button2 | RdpPointer.Down)], RdpPointer.Events(0, 4)); // right
        Assert.Equal([RdpPointer.Move, (ushort)0x0278], RdpPointer.Events(0, 8)); // wheel up: +120
        Assert.Equal([RdpPointer.Move, (ushort)0x0388], RdpPointer.Events(0, 16)); // wheel down: -120 in 9 bits
        Assert.Equal([RdpPointer.Move], RdpPointer.Events(8, 0)); // the wheel "button" going up is no notch
        Assert.Equal([RdpPointer.Move, (ushort)0x0588], RdpPointer.Events(0, 32)); // horizontal, left
        Assert.Equal([RdpPointer.Move, (ushort)0x0478], RdpPointer.Events(0, 64)); // horizontal, right
    }

    [Theory]
    [InlineData("plain", "plain", "")]
    [InlineData(@"PLANT\operator", "operator", "PLANT")]
    [InlineData("operator@plant.example", "operator@plant.example", "")]
    public void The_user_name_gives_the_domain_apart_only_in_the_backslash_form(string username, string user, string domain) =>
        Assert.Equal((user, domain), RdpDeviceSession.SplitUser(username));
}
