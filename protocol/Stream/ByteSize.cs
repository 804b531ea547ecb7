using System.Globalization;

namespace EdgeGateway.Protocol.Stream;

/// <summary>Byte counts as people read them in notices: binary units, one decimal at most, invariant culture.</summary>
public static class ByteSize
{
    /// <summary>
    /// <c>512 bytes</c>, <c>48 KiB</c>, <c>1.5 MiB</c>: below 1 KiB in bytes, below 1 MiB in KiB, else in MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public static string Format(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return bytes switch
        {
            >= 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
            >= 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
            1 => "1 byte",
            _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
        };
    }
}
