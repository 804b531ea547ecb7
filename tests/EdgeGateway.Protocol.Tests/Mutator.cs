using System.Buffers.Binary;

namespace EdgeGateway.Protocol.Tests;

/// <summary>Seeded input generator for the never-throws fuzz loops: random bytes and mutated valid inputs.</summary>
internal static class Mutator
{
    private static readonly uint[] InterestingLengths = [0, 1, 3, 4, 15, 16, 17, 255, 256, 512, 513, 65535, 1 << 20, (1 << 20) + 1, 0x7FFF_FFF0, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x03, 0x0F, 0x7F, 0x80, 0x81, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xFF, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)':', (byte)',', (byte)'\\'];

    /// <summary>Random bytes; the first two are often a valid version and type so the header paths are reached.</summary>
    public static byte[] RandomBytes(Random random, int maxLength)
    {
        var bytes = new byte[random.Next(maxLength + 1)];
        random.NextBytes(bytes);
        if (bytes.Length > 0 && random.Next(2) == 0)
        {
            bytes[0] = 1;
        }

        if (bytes.Length > 1 && random.Next(2) == 0)
        {
            bytes[1] = (byte)(random.Next(2) == 0 ? random.Next(0, 4) : random.Next(0x0E, 0x11) + (random.Next(2) * 0x72));
        }

        return bytes;
    }

    /// <summary>Applies one to four random mutations to a copy of <paramref name="seed"/>.</summary>
    public static byte[] Mutate(Random random, byte[] seed)
    {
        var data = new List<byte>(seed);
        var count = random.Next(1, 5);
        for (var i = 0; i < count; i++)
        {
            MutateOnce(random, data);
        }

        return [.. data];
    }

    private static void MutateOnce(Random random, List<byte> data)
    {
        switch (random.Next(9))
        {
            case 0 when data.Count > 0: // flip a bit
                var bit = random.Next(data.Count * 8);
                data[bit / 8] ^= (byte)(1 << (bit % 8));
                break;
            case 1 when data.Count > 0: // overwrite a byte
                data[random.Next(data.Count)] = random.Next(2) == 0 ? (byte)random.Next(256) : InterestingBytes[random.Next(InterestingBytes.Length)];
                break;
            case 2 when data.Count > 0: // truncate
                var keep = random.Next(data.Count);
                data.RemoveRange(keep, data.Count - keep);
                break;
            case 3: // append
                for (var n = random.Next(1, 32); n > 0; n--)
                {
                    data.Add((byte)random.Next(256));
                }

                break;
            case 4: // insert
                data.Insert(random.Next(data.Count + 1), InterestingBytes[random.Next(InterestingBytes.Length)]);
                break;
            case 5 when data.Count > 0: // delete a range
                var start = random.Next(data.Count);
                data.RemoveRange(start, random.Next(1, Math.Min(16, data.Count - start) + 1));
                break;
            case 6 when data.Count >= 8: // a frame's declared payload length
                var length = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(length, InterestingLengths[random.Next(InterestingLengths.Length)]);
                for (var j = 0; j < 4; j++)
                {
                    data[4 + j] = length[j];
                }

                break;
            case 7 when data.Count > 0: // duplicate a chunk
                var from = random.Next(data.Count);
                var chunk = data.GetRange(from, random.Next(1, Math.Min(64, data.Count - from) + 1));
                data.InsertRange(random.Next(data.Count + 1), chunk);
                break;
            default: // swap two bytes
                if (data.Count > 1)
                {
                    var a = random.Next(data.Count);
                    var b = random.Next(data.Count);
                    (data[a], data[b]) = (data[b], data[a]);
                }

                break;
        }
    }
}
