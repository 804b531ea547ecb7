using System.Text;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Control;

/// <summary>
/// What the appliance and the cloud exchange to agree on the running sessions after a reconnect: the Hello's list of
/// running sessions, and a stop or an end with <see cref="EndReason.ConnectionLost"/> for a session one side no longer
/// governs.
/// </summary>
[Trait("Area", "SshField")]
public sealed class ReconciliationMessageTests
{
    private const string SessionId = ControlCodecTests.SessionId;

    [Theory]
    [InlineData("stop")]
    [InlineData("ended")]
    public void Connection_lost_travels_by_name_and_round_trips(string type)
    {
        const string text = "The cloud restarted while the session was running, and the session was ended.";
        ControlMessage message = type == "stop" ? new StopSession(SessionId, EndReason.ConnectionLost, text) : new SessionEnded(SessionId, EndReason.ConnectionLost, text);

        var json = ControlCodec.Encode(message);

        Assert.Contains("\"reason\":\"ConnectionLost\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.True(ControlCodec.TryDecode(json, out var decoded, out var error), error);
        Assert.Equal(message, decoded);
    }

    [Fact]
    public void Hello_lists_the_running_sessions()
    {
        const string other = "fedcba9876543210fedcba9876543210";
        var json = ControlCodec.Encode(new Hello("1.0", [], [SessionId, other]));

        Assert.True(ControlCodec.TryDecode(json, out var decoded, out var error), error);
        Assert.Equal([SessionId, other], Assert.IsType<Hello>(decoded).ActiveSessions);
    }

    [Theory]
    [InlineData("""{"type":"hello","v":1,"softwareVersion":"1","endpoints":[],"activeSessions":["../../etc"]}""")]
    [InlineData("""{"type":"hello","v":1,"softwareVersion":"1","endpoints":[],"activeSessions":[""]}""")]
    [InlineData("""{"type":"hello","v":1,"softwareVersion":"1","endpoints":[]}""")]
    public void Hello_with_a_bad_or_missing_session_list_is_refused(string json)
    {
        Assert.False(ControlCodec.TryDecode(Encoding.UTF8.GetBytes(json), out var decoded, out var error));
        Assert.Null(decoded);
        Assert.NotNull(error);
    }

    [Fact]
    public void Hello_with_more_than_a_thousand_sessions_is_refused()
    {
        var ids = Enumerable.Range(0, 1001).Select(i => i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.False(ControlCodec.TryDecode(ControlCodec.Encode(new Hello("1.0", [], ids)), out _, out var error));
        Assert.Contains("oversized", error, StringComparison.Ordinal);
    }
}
