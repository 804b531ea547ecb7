using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Stream;

[Trait("Area", "Ssh")]
public sealed class TerminalSizeTests
{
    [Theory]
    [InlineData(80, 24)]
    [InlineData(1, 1)]
    [InlineData(TerminalSize.MaxDimension, TerminalSize.MaxDimension)]
    [InlineData(132, 43)]
    public void WriteTo_then_TryRead_round_trips(int columns, int rows)
    {
        var size = new TerminalSize(columns, rows);
        var buffer = new byte[TerminalSize.EncodedSize];

        Assert.Equal(TerminalSize.EncodedSize, size.WriteTo(buffer));
        Assert.True(TerminalSize.TryRead(buffer, out var read));
        Assert.Equal(size, read);
    }

    [Fact]
    public void Wire_form_is_columns_then_rows_big_endian()
    {
        var buffer = new byte[TerminalSize.EncodedSize];
        new TerminalSize(0x0102, 0x0304).WriteTo(buffer);

        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x04 }, buffer);
    }

    [Theory]
    [InlineData(0, 24)]
    [InlineData(80, 0)]
    [InlineData(TerminalSize.MaxDimension + 1, 24)]
    [InlineData(80, TerminalSize.MaxDimension + 1)]
    [InlineData(ushort.MaxValue, ushort.MaxValue)]
    public void TryRead_rejects_out_of_range_dimensions(int columns, int rows)
    {
        byte[] wire = [(byte)(columns >> 8), (byte)columns, (byte)(rows >> 8), (byte)rows];

        Assert.False(TerminalSize.TryRead(wire, out _));
        Assert.False(new TerminalSize(columns, rows).IsValid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void TryRead_rejects_short_input(int length)
    {
        Assert.False(TerminalSize.TryRead(new byte[] { 0, 80, 0, 24 }.AsSpan(0, length), out var size));
        Assert.Equal(default, size);
    }

    [Fact]
    public void TryRead_reads_the_start_of_a_longer_payload()
    {
        // A snapshot payload is a size followed by VT bytes.
        byte[] snapshot = [0, 80, 0, 24, (byte)'\u001b', (byte)'c'];

        Assert.True(TerminalSize.TryRead(snapshot, out var size));
        Assert.Equal(new TerminalSize(80, 24), size);
    }
}
