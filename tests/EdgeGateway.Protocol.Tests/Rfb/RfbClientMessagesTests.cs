using System.Buffers;
using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

[Trait("Area", "Vnc")]
public sealed class RfbClientMessagesTests
{
    private static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void SetPixelFormat_asks_for_32bpp_depth_24_little_endian_true_colour_rgb888()
    {
        var bytes = Write(b => RfbClientMessages.WriteSetPixelFormat(b, RfbPixelFormat.Rgb888));
        Assert.Equal(Convert.FromHexString("00000000" + "20180001" + "00FF00FF00FF" + "100800" + "000000"), bytes);
        Assert.Equal(RfbPixelFormat.Rgb888, RfbPixelFormat.Read(bytes.AsSpan(4)));
    }

    [Fact]
    public void SetEncodings_lists_signed_encodings_in_order()
    {
        var bytes = Write(b => RfbClientMessages.WriteSetEncodings(b, [16, 1, 0, -223]));
        Assert.Equal(Convert.FromHexString("02000004" + "00000010" + "00000001" + "00000000" + "FFFFFF21"), bytes);
    }

    [Fact]
    public void FramebufferUpdateRequest_key_pointer_and_cut_text()
    {
        Assert.Equal(Convert.FromHexString("0301" + "0000" + "0000" + "0320" + "0258"), Write(b => RfbClientMessages.WriteFramebufferUpdateRequest(b, true, 0, 0, 800, 600)));
        Assert.Equal(Convert.FromHexString("04010000" + "0000FF0D"), Write(b => RfbClientMessages.WriteKeyEvent(b, true, 0xFF0D)));
        Assert.Equal(Convert.FromHexString("0501" + "000A" + "0014"), Write(b => RfbClientMessages.WritePointerEvent(b, 1, 10, 20)));
        Assert.Equal(Convert.FromHexString("06000000" + "00000004" + "61E93F62"), Write(b => RfbClientMessages.WriteClientCutText(b, "aé€b")));
    }
}
