using BenchmarkDotNet.Attributes;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Bench.Codec;

/// <summary>
/// Session-stream frame codec per frame, for a keystroke (1 byte), an echoed line (64 B) and a bulk chunk (4 KiB).
/// The baseline copies the same encoded frame once (memcpy): what any framing costs at least.
/// </summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private byte[] _payload = [];
    private byte[] _frame = [];
    private byte[] _destination = [];

    [Params(1, 64, 4096)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadBytes];
        new Random(42).NextBytes(_payload);
        _frame = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 123_456, _payload);
        _destination = new byte[_frame.Length];
    }

    [Benchmark(Baseline = true, Description = "copy the encoded frame (baseline)")]
    public int CopyFrame()
    {
        _frame.AsSpan().CopyTo(_destination);
        return _destination.Length;
    }

    [Benchmark(Description = "FrameCodec.Write")]
    public int Write() => FrameCodec.Write(_destination, FrameType.TerminalOutput, FrameFlags.None, 123_456, _payload);

    [Benchmark(Description = "FrameCodec.TryRead")]
    public int TryRead()
    {
        var status = FrameCodec.TryRead(_frame, FrameCodec.DefaultMaxPayload, out var header, out var payload, out var consumed);
        return (int)status + header.PayloadLength + payload.Length + consumed;
    }

    [Benchmark(Description = "FrameCodec.TryReadMessage")]
    public int TryReadMessage()
    {
        var status = FrameCodec.TryReadMessage(_frame, FrameCodec.DefaultMaxPayload, out var header, out var payload);
        return (int)status + header.PayloadLength + payload.Length;
    }
}
