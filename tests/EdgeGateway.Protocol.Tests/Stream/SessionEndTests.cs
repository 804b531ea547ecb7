using System.Text;
using System.Text.Unicode;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Stream;

[Trait("Area", "Ssh")]
public sealed class SessionEndTests
{
    public static TheoryData<EndReason> Reasons()
    {
        var data = new TheoryData<EndReason>();
        foreach (var reason in Enum.GetValues<EndReason>())
        {
            data.Add(reason);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void Encode_then_TryDecode_round_trips_every_reason(EndReason reason)
    {
        var payload = SessionEnd.Encode(reason, "connection closed by 10.0.0.7 — bye");

        Assert.True(SessionEnd.TryDecode(payload, out var decodedReason, out var message));
        Assert.Equal(reason, decodedReason);
        Assert.Equal("connection closed by 10.0.0.7 — bye", message);
    }

    [Fact]
    public void Empty_message_round_trips()
    {
        var payload = SessionEnd.Encode(EndReason.DeviceClosed, string.Empty);

        Assert.Equal(new byte[] { (byte)EndReason.DeviceClosed }, payload);
        Assert.True(SessionEnd.TryDecode(payload, out var reason, out var message));
        Assert.Equal(EndReason.DeviceClosed, reason);
        Assert.Equal(string.Empty, message);
    }

    [Fact]
    public void Long_ascii_message_is_cut_to_the_limit()
    {
        var payload = SessionEnd.Encode(EndReason.Error, new string('x', 2000));

        Assert.Equal(1 + SessionEnd.MaxMessageBytes, payload.Length);
        Assert.True(SessionEnd.TryDecode(payload, out _, out var message));
        Assert.Equal(new string('x', SessionEnd.MaxMessageBytes), message);
    }

    [Theory]
    [InlineData("é")] // 2 bytes
    [InlineData("€")] // 3 bytes
    [InlineData("😀")] // 4 bytes (a surrogate pair in UTF-16)
    public void Long_multibyte_message_is_cut_on_a_character_boundary(string character)
    {
        // Shift the text by 0..3 ASCII bytes so the limit falls on every position inside a character.
        for (var shift = 0; shift < 4; shift++)
        {
            var text = new string('a', shift) + string.Concat(Enumerable.Repeat(character, 400));

            var payload = SessionEnd.Encode(EndReason.Refused, text);

            var cut = payload.AsSpan(1);
            Assert.True(Utf8.IsValid(cut), $"shift {shift}: cut is not valid UTF-8");
            Assert.InRange(cut.Length, SessionEnd.MaxMessageBytes - Encoding.UTF8.GetByteCount(character) + 1, SessionEnd.MaxMessageBytes);
            Assert.True(SessionEnd.TryDecode(payload, out _, out var message));
            Assert.StartsWith(message, text, StringComparison.Ordinal);
            Assert.DoesNotContain('\uFFFD', message);
        }
    }

    [Fact]
    public void Message_exactly_at_the_limit_is_kept_whole()
    {
        var text = new string('a', SessionEnd.MaxMessageBytes - 3) + "€";

        var payload = SessionEnd.Encode(EndReason.Expired, text);

        Assert.True(SessionEnd.TryDecode(payload, out _, out var message));
        Assert.Equal(text, message);
    }

    [Fact]
    public void Encode_refuses_a_null_message()
    {
        Assert.Throws<ArgumentNullException>(() => SessionEnd.Encode(EndReason.Error, null!));
    }

    [Fact]
    public void TryDecode_rejects_an_empty_payload()
    {
        Assert.False(SessionEnd.TryDecode([], out _, out var message));
        Assert.Equal(string.Empty, message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)] // the first value after CertificateChanged
    [InlineData(0x7F)]
    [InlineData(0xFF)]
    public void TryDecode_rejects_an_unknown_reason(byte reason)
    {
        Assert.False(SessionEnd.TryDecode([reason, (byte)'x'], out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3 })] // lead byte without its continuation
    [InlineData(new byte[] { 0x80 })] // lone continuation byte
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // encoded UTF-16 surrogate
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong '/'
    public void TryDecode_rejects_invalid_utf8(byte[] text)
    {
        Assert.False(SessionEnd.TryDecode([(byte)EndReason.Error, .. text], out _, out var message));
        Assert.Equal(string.Empty, message);
    }

    [Fact]
    public void TryDecode_rejects_a_message_over_the_limit()
    {
        var payload = new byte[2 + SessionEnd.MaxMessageBytes];
        payload[0] = (byte)EndReason.Error;
        payload.AsSpan(1).Fill((byte)'x');

        Assert.False(SessionEnd.TryDecode(payload, out _, out _));
        Assert.True(SessionEnd.TryDecode(payload.AsSpan(0, 1 + SessionEnd.MaxMessageBytes), out _, out _));
    }
}
