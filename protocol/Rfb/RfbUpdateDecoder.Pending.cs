using System.Buffers;

namespace EdgeGateway.Protocol.Rfb;

public sealed partial class RfbUpdateDecoder
{
    // Hextile, ZRLE and Tight land in the next commits; until then they are not advertised and refused.
    private void BeginHextile(IRfbUpdateSink sink) => throw NotYet();

    private void BeginTight(IRfbUpdateSink sink) => throw NotYet();

    private bool ReadHextileTiles(ref SequenceReader<byte> reader, IRfbUpdateSink sink) => throw NotYet();

    private bool ReadZrleLength(ref SequenceReader<byte> reader) => throw NotYet();

    private bool ReadZrleData(ref SequenceReader<byte> reader, IRfbUpdateSink sink) => throw NotYet();

    private bool ReadTightHeader(ref SequenceReader<byte> reader, IRfbUpdateSink sink) => throw NotYet();

    private bool ReadTightData(ref SequenceReader<byte> reader, IRfbUpdateSink sink) => throw NotYet();

    private RfbProtocolException NotYet() =>
        new($"The VNC server sent a rectangle in encoding {RfbEncoding.Name(_encoding)}, which the client did not ask for.");
}
