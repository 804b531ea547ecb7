using BenchmarkDotNet.Attributes;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Bench.Codec;

/// <summary>
/// Control messages (source-generated JSON) encode and decode, for a small one (keyframe request), a session start
/// (with a secret) and an appliance's Hello. The baseline copies the same encoded bytes once.
/// </summary>
[MemoryDiagnoser]
public class ControlCodecBenchmarks
{
    private ControlMessage _message = null!;
    private byte[] _encoded = [];
    private byte[] _destination = [];

    [Params("keyframe", "start", "hello")]
    public string Message { get; set; } = "keyframe";

    [GlobalSetup]
    public void Setup()
    {
        const string session = "0123456789abcdef0123456789abcdef";
        _message = Message switch
        {
            "start" => new StartSession(session, "device-ssh", "user-1", "operator", new Secret("correct horse battery staple"), 100, 30),
            "hello" => new Hello("1.0.0", [new EndpointInfo("device-ssh", "Line 3 HMI", "ssh", "10.1.2.3", 22), new EndpointInfo("plc-vnc", "PLC panel", "ssh", "10.1.2.4", 2222)], [session]),
            _ => new KeyframeRequest(session),
        };
        _encoded = ControlCodec.Encode(_message);
        _destination = new byte[_encoded.Length];
    }

    [Benchmark(Baseline = true, Description = "copy the encoded message (baseline)")]
    public int Copy()
    {
        _encoded.AsSpan().CopyTo(_destination);
        return _destination.Length;
    }

    [Benchmark(Description = "ControlCodec.Encode")]
    public int Encode() => ControlCodec.Encode(_message).Length;

    [Benchmark(Description = "ControlCodec.TryDecode")]
    public bool Decode() => ControlCodec.TryDecode(_encoded, out _, out _);
}

