using System.Buffers.Binary;

namespace EdgeGateway.Protocol.Stream;

/// <summary>A terminal's size in character cells. Wire form: columns (u16), rows (u16), big-endian.</summary>
/// <param name="Columns">Width in cells, 1 to <see cref="MaxDimension"/>.</param>
/// <param name="Rows">Height in cells, 1 to <see cref="MaxDimension"/>.</param>
public readonly record struct TerminalSize(int Columns, int Rows)
{
    /// <summary>Encoded size in bytes.</summary>
    public const int EncodedSize = 4;

    /// <summary>Largest accepted width or height; bounds the memory a hostile peer can make us allocate.</summary>
    public const int MaxDimension = 1000;

    /// <summary>True when both dimensions are in range.</summary>
    public bool IsValid => Columns is >= 1 and <= MaxDimension && Rows is >= 1 and <= MaxDimension;

    /// <summary>Writes the size; returns <see cref="EncodedSize"/>.</summary>
    public int WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Columns);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Rows);
        return EncodedSize;
    }

    /// <summary>Reads a size from the start of <paramref name="source"/>; false when short or out of range.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out TerminalSize size)
    {
        size = default;
        if (source.Length < EncodedSize)
        {
            return false;
        }

        size = new TerminalSize(BinaryPrimitives.ReadUInt16BigEndian(source), BinaryPrimitives.ReadUInt16BigEndian(source[2..]));
        return size.IsValid;
    }
}
