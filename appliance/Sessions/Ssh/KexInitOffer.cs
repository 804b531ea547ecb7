using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// The algorithms a device offers in its SSH_MSG_KEXINIT (RFC 4253 §7.1), read over a separate short connection when
/// a negotiation failed, so the user learns what the device offered instead of "key exchange failed".
/// </summary>
internal sealed record KexInitOffer(IReadOnlyList<string> KeyExchange, IReadOnlyList<string> HostKey, IReadOnlyList<string> Ciphers, IReadOnlyList<string> Macs)
{
    private const int MaxPacket = 35000; // RFC 4253 §6.1
    private const int MaxIdentificationBytes = 8192; // lines before the version line, and the version line

    /// <summary>
    /// Connects, sends an identification string, and reads the device's KEXINIT; null when the device does not
    /// answer like an SSH server within <paramref name="timeout"/>. Sends nothing else and closes.
    /// </summary>
    public static async Task<KexInitOffer?> ReadAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, deadline.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("SSH-2.0-EdgeGateway_probe\r\n"u8.ToArray(), deadline.Token);

            // Identification: lines until one starts with "SSH-" (RFC 4253 §4.2 allows lines before it).
            var seen = 0;
            var line = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                if (await stream.ReadAsync(one, deadline.Token) == 0 || ++seen > MaxIdentificationBytes)
                {
                    return null;
                }

                if (one[0] != (byte)'\n')
                {
                    line.Add(one[0]);
                    continue;
                }

                if (line.Count >= 4 && line[0] == 'S' && line[1] == 'S' && line[2] == 'H' && line[3] == '-')
                {
                    break;
                }

                line.Clear();
            }

            var header = new byte[5];
            await stream.ReadExactlyAsync(header, deadline.Token);
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length is < 2 or > MaxPacket)
            {
                return null;
            }

            var rest = new byte[length - 1];
            await stream.ReadExactlyAsync(rest, deadline.Token);
            var padding = header[4];
            return padding >= rest.Length ? null : TryParse(rest.AsSpan(0, rest.Length - padding), out var offer) ? offer : null;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or EndOfStreamException)
        {
            return null;
        }
    }

    /// <summary>Parses a KEXINIT payload (message number 20, cookie, name-lists); false when it is not one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out KexInitOffer offer)
    {
        offer = new KexInitOffer([], [], [], []);
        if (payload.Length < 17 || payload[0] != 20)
        {
            return false;
        }

        var rest = payload[17..];
        var lists = new string[][] { [], [], [], [], [], [] };
        for (var i = 0; i < lists.Length; i++)
        {
            if (rest.Length < 4)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(rest);
            if (length > (uint)(rest.Length - 4))
            {
                return false;
            }

            var text = Encoding.ASCII.GetString(rest.Slice(4, (int)length));
            lists[i] = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
            rest = rest[(4 + (int)length)..];
        }

        // kex, host key, cipher c→s, cipher s→c, MAC c→s, MAC s→c
        offer = new KexInitOffer(lists[0], lists[1], lists[2], lists[4]);
        return true;
    }
}
