using System.Net.WebSockets;
using System.Text;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// A remote display's input (contract §1): pointer and key input are 5 bytes and go on from whoever may type; any
/// other length is dropped and counted; clipboard text passes only where the endpoint's policy allows browser →
/// device, in paste-flagged slices when large, and never over 256 KiB; a page that lost track of the display asks
/// for a keyframe with a text message, at most once a second.
/// </summary>
public sealed partial class InputReaderTests
{
    [Fact]
    [Trait("Area", "Vnc")]
    public async Task Pointer_and_key_input_of_five_bytes_go_to_the_appliance_as_they_came()
    {
        await ConnectAsync(isController: true);
        var pointer = FrameCodec.Encode(FrameType.PointerInput, FrameFlags.None, 1, [0b100, 0x01, 0x40, 0x00, 0xc8]);
        var key = FrameCodec.Encode(FrameType.KeyInput, FrameFlags.None, 2, [1, 0x00, 0x00, 0xff, 0x0d]);

        await SendAsync(pointer);
        await SendAsync(key);

        Assert.Equal(pointer, await NextForwardedAsync());
        Assert.Equal(key, await NextForwardedAsync());
    }

    [Fact]
    [Trait("Area", "Vnc")]
    public async Task Pointer_and_key_input_of_any_other_length_is_dropped_and_counted()
    {
        await ConnectAsync(isController: true);
        byte[][] malformed =
        [
            FrameCodec.Encode(FrameType.PointerInput, FrameFlags.None, 1, [1, 0, 0, 0]),
            FrameCodec.Encode(FrameType.PointerInput, FrameFlags.None, 2, [1, 0, 0, 0, 0, 0]),
            FrameCodec.Encode(FrameType.KeyInput, FrameFlags.None, 3, []),
            FrameCodec.Encode(FrameType.KeyInput, FrameFlags.None, 4, new byte[InputFlow.MaxChunk + 100]),
        ];
        foreach (var frame in malformed)
        {
            await SendAsync(frame);
        }

        var key = FrameCodec.Encode(FrameType.KeyInput, FrameFlags.None, 5, [0, 0, 0, 0, 0x61]);
        await SendAsync(key);

        Assert.Equal(key, await NextForwardedAsync());
        Assert.Empty(_forwarded);
        Assert.Equal(malformed.Length, _harness.DroppedInputMetric);
    }

    [Fact]
    [Trait("Area", "Vnc")]
    public async Task A_viewers_pointer_and_keys_never_reach_the_appliance()
    {
        await ConnectAsync(isController: false, clipboardToDevice: true);

        await SendAsync(FrameCodec.Encode(FrameType.PointerInput, FrameFlags.None, 1, [1, 0, 10, 0, 10]));
        await SendAsync(FrameCodec.Encode(FrameType.KeyInput, FrameFlags.None, 2, [1, 0, 0, 0, 0x61]));
        await SendAsync(FrameCodec.Encode(FrameType.ClipboardInput, FrameFlags.None, 3, "secret"u8));

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await CloseAsync(WebSocketCloseStatus.NormalClosure));
        Assert.Empty(_forwarded);
        Assert.Equal(3, _harness.DroppedInputMetric);
    }

    [Fact]
    [Trait("Area", "Vnc")]
    public async Task Clipboard_text_is_dropped_with_a_notice_when_the_policy_keeps_it_from_the_device()
    {
        await ConnectAsync(isController: true, clipboardToDevice: false);

        await SendAsync(FrameCodec.Encode(FrameType.ClipboardInput, FrameFlags.None, 1, "password123"u8));
        var notice = await NextTextAsync();
        var key = FrameCodec.Encode(FrameType.KeyInput, FrameFlags.None, 2, [1, 0, 0, 0, 0x61]);
        await SendAsync(key);

        Assert.Equal("clipboard-off", notice.GetProperty("reason").GetString());
        Assert.Equal("Clipboard text was not sent: this endpoint's policy does not allow it.", notice.GetProperty("message").GetString());
        Assert.Equal(key, await NextForwardedAsync());
        Assert.Empty(_forwarded);
        Assert.Equal(1, _harness.DroppedInputMetric);
    }

    [Fact]
    [Trait("Area", "Vnc")]
    public async Task Clipboard_text_goes_on_where_the_policy_allows_large_text_in_paste_flagged_slices()
    {
        await ConnectAsync(isController: true, clipboardToDevice: true);
        var small = FrameCodec.Encode(FrameType.ClipboardInput, FrameFlags.None, 1, "Batch 4711"u8);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Grüße aus der Leitwarte. ", 4000)));
        Assert.InRange(text.Length, InputFlow.MaxChunk * 2, InputReader.MaxClipboardBytes);

        await SendAsync(small);
        await SendAsync(FrameCodec.Encode(FrameType.ClipboardInput, FrameFlags.None, 2, text));

        Assert.Equal(small, await NextForwardedAsync());
        var received = new List<byte>();
        while (received.Count < text.Length)
        {
            var slice = await NextForwardedAsync();
            Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadMessage(slice, InputFlow.MaxChunk, out var header, out var payload));
            Assert.Equal(FrameType.ClipboardInput, header.Type);
            var expected = FrameFlags.Paste | (received.Count == 0 ? FrameFlags.PasteStart : FrameFlags.None) | (received.Count + payload.Length == text.Length ? FrameFlags.PasteEnd : FrameFlags.None);
            Assert.Equal(expected, header.Flags);
            received.AddRange(payload.ToArray());
        }

        Assert.Equal(text, received.ToArray());
    }

    [Fact]
    [Trait("Area", "Vnc")]
    public async Task Clipboard_text_over_256_KiB_is_refused_whole_with_a_notice()
    {
        await ConnectAsync(isController: true, clipboardToDevice: true);

        await SendAsync(FrameCodec.Encode(FrameType.ClipboardInput, FrameFlags.None, 1, new byte[InputReader.MaxClipboardBytes + 1]));
        var notice = await NextTextAsync();

        Assert.Equal("clipboard-too-large", notice.GetProperty("reason").GetString());
        Assert.Equal("The clipboard text was not sent: it has 262,145 bytes, and at most 262,144 bytes (256 KiB) are sent.", notice.GetProperty("message").GetString());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await CloseAsync(WebSocketCloseStatus.NormalClosure));
        Assert.Empty(_forwarded);
    }

    [Fact]
    [Trait("Area", "Vnc")]
    public async Task A_resync_request_restarts_the_page_from_a_keyframe_at_most_once_a_second()
    {
        var resyncs = 0;
        await ConnectAsync(isController: true, resync: () => Interlocked.Increment(ref resyncs));
        var request = """{"type":"resync"}"""u8.ToArray();
        var key = FrameCodec.Encode(FrameType.KeyInput, FrameFlags.None, 1, [1, 0, 0, 0, 0x61]);

        await _browser!.SendAsync(request, WebSocketMessageType.Text, true, CancellationToken.None);
        await _browser.SendAsync(request, WebSocketMessageType.Text, true, CancellationToken.None);
        await _browser.SendAsync("""{"type":"resync","x":1}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await SendAsync(key);
        Assert.Equal(key, await NextForwardedAsync()); // everything before it was read
        Assert.Equal(1, Volatile.Read(ref resyncs));

        _harness.Time.Advance(InputReader.ResyncInterval);
        await _browser.SendAsync(request, WebSocketMessageType.Text, true, CancellationToken.None);
        await Conditions.WaitUntilAsync(() => Volatile.Read(ref resyncs) == 2, Patience, "a resync a second later");
    }
}
