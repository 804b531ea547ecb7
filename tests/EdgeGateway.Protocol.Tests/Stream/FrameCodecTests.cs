using System.Buffers.Binary;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Stream;

[Trait("Area", "Ssh")]
public sealed class FrameCodecTests
{
    private static readonly byte[] SamplePayload = "hello, \u001b[1mworld\u001b[0m\r\n"u8.ToArray();

    public static TheoryData<FrameType> KnownTypes()
    {
        var data = new TheoryData<FrameType>();
        foreach (var type in Enum.GetValues<FrameType>())
        {
            data.Add(type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KnownTypes))]
    public void Encode_then_TryReadMessage_round_trips_every_frame_type(FrameType type)
    {
        foreach (var flags in new[] { FrameFlags.None, FrameFlags.Keyframe })
        {
            var frame = FrameCodec.Encode(type, flags, 42, SamplePayload);

            var status = FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out var header, out var payload);

            Assert.Equal(FrameReadStatus.Complete, status);
            Assert.Equal(new FrameHeader(type, flags, SamplePayload.Length, 42), header);
            Assert.Equal(SamplePayload, payload.ToArray());
            Assert.Equal(flags == FrameFlags.Keyframe, header.IsKeyframe);
        }
    }

    [Theory]
    [MemberData(nameof(KnownTypes))]
    public void Write_then_TryRead_round_trips_every_frame_type(FrameType type)
    {
        var buffer = new byte[FrameCodec.GetEncodedSize(SamplePayload.Length) + 7];

        var written = FrameCodec.Write(buffer, type, FrameFlags.Keyframe, 7, SamplePayload);
        var status = FrameCodec.TryRead(buffer, FrameCodec.DefaultMaxPayload, out var header, out var payload, out var consumed);

        Assert.Equal(FrameCodec.HeaderSize + SamplePayload.Length, written);
        Assert.Equal(FrameReadStatus.Complete, status);
        Assert.Equal(written, consumed);
        Assert.Equal(type, header.Type);
        Assert.True(header.IsKeyframe);
        Assert.Equal(SamplePayload, payload.ToArray());
    }

    [Fact]
    public void Encode_writes_the_documented_big_endian_header()
    {
        var frame = FrameCodec.Encode(FrameType.TerminalSnapshot, FrameFlags.Keyframe, 0x0102030405060708, [0xAA, 0xBB]);

        byte[] expected =
        [
            0x01, 0x03, 0x00, 0x01, // version, type, flags
            0x00, 0x00, 0x00, 0x02, // payload length
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // sequence
            0xAA, 0xBB,
        ];
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Empty_payload_round_trips()
    {
        var frame = FrameCodec.Encode(FrameType.End, FrameFlags.None, 0, []);

        var status = FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out var header, out var payload);

        Assert.Equal(FrameCodec.HeaderSize, frame.Length);
        Assert.Equal(FrameReadStatus.Complete, status);
        Assert.Equal(0, header.PayloadLength);
        Assert.True(payload.IsEmpty);
    }

    [Fact]
    public void Keyframe_flag_is_bit_zero_and_other_flag_bits_do_not_make_a_keyframe()
    {
        var frame = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.Keyframe, 1, SamplePayload);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)));

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 0xFFFE);
        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out var header, out _));
        Assert.False(header.IsKeyframe);
        Assert.Equal((FrameFlags)0xFFFE, header.Flags);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0x7FFF_FFFFUL)]
    [InlineData(0xFFFF_FFFFUL)]
    [InlineData(0x1_0000_0000UL)]
    [InlineData((ulong)long.MaxValue)]
    [InlineData((ulong)long.MaxValue + 1)]
    [InlineData(ulong.MaxValue)]
    public void Sequence_numbers_round_trip_at_the_extremes(ulong sequence)
    {
        var frame = FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, sequence, SamplePayload);

        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out var header, out _));
        Assert.Equal(sequence, header.Sequence);
        Assert.Equal(sequence, BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(8)));
    }

    [Fact]
    public void Every_prefix_of_a_frame_is_incomplete_to_TryRead_and_truncated_to_TryReadMessage()
    {
        var frame = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.Keyframe, ulong.MaxValue, SamplePayload);

        for (var length = 0; length < frame.Length; length++)
        {
            var prefix = frame.AsSpan(0, length);

            var streamStatus = FrameCodec.TryRead(prefix, FrameCodec.DefaultMaxPayload, out var header, out var payload, out var consumed);
            var messageStatus = FrameCodec.TryReadMessage(prefix, FrameCodec.DefaultMaxPayload, out _, out _);

            Assert.True(streamStatus == FrameReadStatus.Incomplete, $"prefix of {length} bytes: {streamStatus}");
            Assert.True(messageStatus == FrameReadStatus.Truncated, $"prefix of {length} bytes: {messageStatus}");
            Assert.Equal(0, consumed);
            Assert.Equal(default, header);
            Assert.True(payload.IsEmpty);
        }
    }

    [Fact]
    public void Trailing_bytes_are_an_error_for_a_message_but_the_next_frame_for_a_stream()
    {
        var first = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 1, SamplePayload);
        var second = FrameCodec.Encode(FrameType.TerminalResize, FrameFlags.None, 2, [0, 80, 0, 24]);
        byte[] both = [.. first, .. second];

        var messageStatus = FrameCodec.TryReadMessage(both, FrameCodec.DefaultMaxPayload, out var messageHeader, out var messagePayload);
        Assert.Equal(FrameReadStatus.TrailingBytes, messageStatus);
        Assert.Equal(default, messageHeader);
        Assert.True(messagePayload.IsEmpty);

        Assert.Equal(FrameReadStatus.TrailingBytes, FrameCodec.TryReadMessage([.. first, 0x00], FrameCodec.DefaultMaxPayload, out _, out _));

        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryRead(both, FrameCodec.DefaultMaxPayload, out var h1, out _, out var consumed1));
        Assert.Equal(first.Length, consumed1);
        Assert.Equal(1UL, h1.Sequence);
        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryRead(both.AsSpan(consumed1), FrameCodec.DefaultMaxPayload, out var h2, out var p2, out var consumed2));
        Assert.Equal(second.Length, consumed2);
        Assert.Equal(FrameType.TerminalResize, h2.Type);
        Assert.Equal(2UL, h2.Sequence);
        Assert.Equal(new byte[] { 0, 80, 0, 24 }, p2.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(0x7F)]
    [InlineData(0xFF)]
    public void Unsupported_version_is_rejected_from_the_first_byte(byte version)
    {
        var frame = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 1, SamplePayload);
        frame[0] = version;

        Assert.Equal(FrameReadStatus.UnsupportedVersion, FrameCodec.TryRead(frame.AsSpan(0, 1), FrameCodec.DefaultMaxPayload, out _, out _, out _));
        Assert.Equal(FrameReadStatus.UnsupportedVersion, FrameCodec.TryRead(frame, FrameCodec.DefaultMaxPayload, out _, out _, out var consumed));
        Assert.Equal(0, consumed);
        Assert.Equal(FrameReadStatus.UnsupportedVersion, FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out _, out _));
        Assert.Equal(FrameReadStatus.UnsupportedVersion, FrameCodec.TryReadMessage(frame.AsSpan(0, 3), FrameCodec.DefaultMaxPayload, out _, out _));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x04)]
    [InlineData(0x0E)]
    [InlineData(0x15)]
    [InlineData(0x7F)]
    [InlineData(0x86)] // the first value after DisplayResizeRequest
    [InlineData(0xFF)]
    public void Unknown_type_is_rejected_from_the_header(byte type)
    {
        var frame = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 1, SamplePayload);
        frame[1] = type;

        Assert.False(FrameCodec.IsKnown((FrameType)type));
        Assert.Equal(FrameReadStatus.UnknownType, FrameCodec.TryRead(frame.AsSpan(0, FrameCodec.HeaderSize), FrameCodec.DefaultMaxPayload, out _, out _, out _));
        Assert.Equal(FrameReadStatus.UnknownType, FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out _, out _));
    }

    [Theory]
    [InlineData(0xFFFF_FFFFU, FrameCodec.DefaultMaxPayload)]
    [InlineData(0xFFFF_FFFFU, int.MaxValue)]
    [InlineData(0x8000_0000U, int.MaxValue)]
    [InlineData(FrameCodec.DefaultMaxPayload + 1U, FrameCodec.DefaultMaxPayload)]
    [InlineData(1U, 0)]
    public void Payload_over_the_limit_is_rejected_from_the_header_alone(uint declaredLength, int maxPayload)
    {
        var header = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 1, []);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), declaredLength);

        Assert.Equal(FrameCodec.HeaderSize, header.Length);
        Assert.Equal(FrameReadStatus.PayloadTooLarge, FrameCodec.TryRead(header, maxPayload, out _, out _, out var consumed));
        Assert.Equal(0, consumed);
        Assert.Equal(FrameReadStatus.PayloadTooLarge, FrameCodec.TryReadMessage(header, maxPayload, out _, out _));
    }

    [Fact]
    public void Payload_exactly_at_the_limit_is_accepted()
    {
        var payload = new byte[300];
        var frame = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 1, payload);

        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadMessage(frame, maxPayload: 300, out var header, out _));
        Assert.Equal(300, header.PayloadLength);
        Assert.Equal(FrameReadStatus.PayloadTooLarge, FrameCodec.TryReadMessage(frame, maxPayload: 299, out _, out _));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MaxValue - FrameCodec.HeaderSize + 1)]
    [InlineData(int.MaxValue - 1)]
    public void A_huge_declared_length_under_a_huge_limit_is_incomplete_not_an_exception(int declaredLength)
    {
        var header = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 1, []);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)declaredLength);

        Assert.Equal(FrameReadStatus.Incomplete, FrameCodec.TryRead(header, int.MaxValue, out _, out _, out _));
        Assert.Equal(FrameReadStatus.Truncated, FrameCodec.TryReadMessage(header, int.MaxValue, out _, out _));
    }

    [Fact]
    public void Write_refuses_a_destination_that_is_too_short()
    {
        var buffer = new byte[FrameCodec.GetEncodedSize(SamplePayload.Length) - 1];

        Assert.Throws<ArgumentException>(() => FrameCodec.Write(buffer, FrameType.TerminalOutput, FrameFlags.None, 1, SamplePayload));
        Assert.Throws<ArgumentException>(() => FrameCodec.WriteHeader(new byte[FrameCodec.HeaderSize - 1], new FrameHeader(FrameType.End, FrameFlags.None, 0, 0)));
    }

    [Fact]
    public void WriteHeader_refuses_a_negative_payload_length()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            FrameCodec.WriteHeader(new byte[FrameCodec.HeaderSize], new FrameHeader(FrameType.End, FrameFlags.None, -1, 0)));
    }

    [Theory]
    [InlineData(FrameType.TerminalOutput, false)]
    [InlineData(FrameType.TerminalResize, false)]
    [InlineData(FrameType.TerminalSnapshot, false)]
    [InlineData(FrameType.End, false)]
    [InlineData(FrameType.TerminalInput, true)]
    [InlineData(FrameType.TerminalResizeRequest, true)]
    public void IsInput_is_true_only_for_controller_to_device_types(FrameType type, bool isInput)
    {
        Assert.Equal(isInput, new FrameHeader(type, FrameFlags.None, 0, 0).IsInput);
    }
}
