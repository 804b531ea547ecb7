using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Stream;

/// <summary>The header-only read a streaming reader relies on, and the flow-control arithmetic both ends share.</summary>
[Trait("Area", "SshField")]
public sealed class InputFlowTests
{
    [Fact]
    public void TryReadHeader_reads_a_header_whose_payload_has_not_arrived_yet()
    {
        var frame = FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 9, new byte[4 * 1024 * 1024]);

        var status = FrameCodec.TryReadHeader(frame.AsSpan(0, FrameCodec.HeaderSize + 10), 4 * 1024 * 1024, out var header);

        Assert.Equal(FrameReadStatus.Complete, status);
        Assert.Equal(new FrameHeader(FrameType.TerminalInput, FrameFlags.None, 4 * 1024 * 1024, 9), header);
        Assert.Equal(FrameReadStatus.Incomplete, FrameCodec.TryRead(frame.AsSpan(0, FrameCodec.HeaderSize + 10), int.MaxValue, out _, out _, out _));
    }

    [Fact]
    public void TryReadHeader_decides_the_size_limit_from_the_header_alone()
    {
        var header = FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, new byte[100]).AsSpan(0, FrameCodec.HeaderSize);

        Assert.Equal(FrameReadStatus.PayloadTooLarge, FrameCodec.TryReadHeader(header, 99, out var refused));
        Assert.Equal(default, refused);
        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadHeader(header, 100, out _));
    }

    [Fact]
    public void TryReadHeader_refuses_what_TryRead_refuses()
    {
        var frame = FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, [1, 2, 3]);
        var badVersion = (byte[])frame.Clone();
        badVersion[0] = 2;
        var badType = (byte[])frame.Clone();
        badType[1] = 0x7E;

        Assert.Equal(FrameReadStatus.Incomplete, FrameCodec.TryReadHeader(frame.AsSpan(0, FrameCodec.HeaderSize - 1), 10, out _));
        Assert.Equal(FrameReadStatus.UnsupportedVersion, FrameCodec.TryReadHeader(badVersion, 10, out _));
        Assert.Equal(FrameReadStatus.UnknownType, FrameCodec.TryReadHeader(badType, 10, out _));
    }

    [Fact]
    public void The_window_holds_the_threshold_plus_the_largest_frame_so_acks_always_come_before_the_cloud_stalls()
    {
        // The appliance acks once AckThreshold units were consumed; the cloud waits only when a frame does not fit.
        // If the largest frame could not fit beside an unacked remainder just under the threshold, both would wait.
        Assert.True(InputFlow.AckThreshold - 1 + InputFlow.Cost(InputFlow.MaxChunk) <= InputFlow.Window);
        Assert.Equal(InputFlow.MaxChunk + InputFlow.FrameOverhead, InputFlow.Cost(InputFlow.MaxChunk));
        Assert.Equal(256, InputFlow.Window / InputFlow.Cost(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InputFlow.Cost(-1));
    }
}
