using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using Renci.SshNet.Security;
using Renci.SshNet.Security.Cryptography;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// <c>ssh-dss</c> host keys (RFC 4253 §6.6), which SSH.NET no longer ships but old switches and PLC modules still
/// have. Verification only, by .NET's <see cref="DSA"/> (SHA-1, 160-bit r‖s). Offered only for endpoints that allow
/// legacy algorithms (<see cref="SshAlgorithmPolicy"/>).
/// </summary>
internal sealed class DsaHostKey : Key
{
    /// <summary>The algorithm name.</summary>
    public const string Name = "ssh-dss";

    private readonly BigInteger[] _public;
    private readonly Verifier _verifier;
    private readonly int _bits;

    private DsaHostKey(BigInteger p, BigInteger q, BigInteger g, BigInteger y, DSA dsa)
    {
        _public = [p, q, g, y];
        _bits = (int)p.GetBitLength();
        _verifier = new Verifier(dsa);
    }

    /// <inheritdoc/>
    public override BigInteger[] Public => _public;

    /// <inheritdoc/>
    public override int KeyLength => _bits;

    /// <inheritdoc/>
    protected override DigitalSignature DigitalSignature => _verifier;

    /// <summary>
    /// Reads a host key blob: <c>string "ssh-dss", mpint p, mpint q, mpint g, mpint y</c>.
    /// </summary>
    /// <exception cref="CryptographicException">The blob is malformed or the key is unusable (hostile input from the device).</exception>
    public static KeyHostAlgorithm Create(byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var reader = new BlobReader(blob);
        if (!reader.ReadString().SequenceEqual("ssh-dss"u8))
        {
            throw new CryptographicException("not an ssh-dss key");
        }

        var p = reader.ReadMpint();
        var q = reader.ReadMpint();
        var g = reader.ReadMpint();
        var y = reader.ReadMpint();
        if (p.Sign <= 0 || q.Sign <= 0 || g.Sign <= 0 || y.Sign <= 0 || p.GetBitLength() > 8192 || q.GetBitLength() > 512)
        {
            throw new CryptographicException("unusable ssh-dss key");
        }

        var length = (int)((p.GetBitLength() + 7) / 8);
        var qLength = (int)((q.GetBitLength() + 7) / 8);
        var dsa = DSA.Create(new DSAParameters
        {
            P = Unsigned(p, length),
            Q = Unsigned(q, qLength),
            G = Unsigned(g, length),
            Y = Unsigned(y, length),
        });
        return new KeyHostAlgorithm(Name, new DsaHostKey(p, q, g, y, dsa));
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static byte[] Unsigned(BigInteger value, int length)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > length)
        {
            throw new CryptographicException("ssh-dss key field out of range");
        }

        var padded = new byte[length];
        bytes.CopyTo(padded, length - bytes.Length);
        return padded;
    }

    private sealed class Verifier(DSA dsa) : DigitalSignature
    {
        // RFC 4253 §6.6: the signature blob is r and s, 160 bits each, SHA-1 over the data.
        public override bool Verify(byte[] input, byte[] signature) =>
            signature is { Length: 40 } && dsa.VerifyData(input, signature, HashAlgorithmName.SHA1, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        public override byte[] Sign(byte[] input) => throw new NotSupportedException("The appliance only verifies ssh-dss host keys.");
    }

    private ref struct BlobReader(ReadOnlySpan<byte> blob)
    {
        private ReadOnlySpan<byte> _rest = blob;

        public ReadOnlySpan<byte> ReadString()
        {
            if (_rest.Length < 4)
            {
                throw new CryptographicException("truncated ssh-dss key");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(_rest);
            if (length > (uint)(_rest.Length - 4))
            {
                throw new CryptographicException("truncated ssh-dss key");
            }

            var value = _rest.Slice(4, (int)length);
            _rest = _rest[(4 + (int)length)..];
            return value;
        }

        public BigInteger ReadMpint() => new(ReadString(), isUnsigned: false, isBigEndian: true);
    }
}
