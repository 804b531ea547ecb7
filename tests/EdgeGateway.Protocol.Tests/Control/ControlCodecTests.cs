using System.Text;
using System.Text.Json;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Control;

[Trait("Area", "Ssh")]
public sealed class ControlCodecTests
{
    internal const string SessionId = "0123456789abcdef0123456789abcdef";
    internal const string Password = "s3cr3t-P@ss word";

    internal static ControlMessage Sample(string type) => type switch
    {
        "hello" => new Hello("1.2.3", [new EndpointInfo("plc-1", "PLC 1 (line 4)", "ssh", "10.0.0.7", 22), new EndpointInfo("hmi", "HMI", "ssh", "hmi.local", 2222)], [SessionId]),
        "start" => new StartSession(SessionId, "plc-1", "user-42", "admin", new Secret(Password), 80, 24),
        "started" => new SessionStarted(SessionId, new SessionDetails("SSH-2.0-OpenSSH_9.2p1", "curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256", false, true, "AUTHORISED USE ONLY\n")),
        "device" => new DeviceStatus(SessionId, Responding: false),
        "input-refused" => new InputRefused(SessionId, "Not sent: the device is not responding."),
        "ended" => new SessionEnded(SessionId, EndReason.AuthenticationFailed, "Permission denied"),
        "stop" => new StopSession(SessionId, EndReason.Terminated, "ended by an administrator"),
        "keyframe" => new KeyframeRequest(SessionId),
        "input-ack" => new InputAck(SessionId, InputFlow.AckThreshold),
        "auth-prompt" => new AuthPrompt(SessionId, "Second factor", [new PromptField("Verification code: ", Echo: false)]),
        "auth-response" => new AuthResponse(SessionId, [new Secret("otp-424242")]),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    [Theory]
    [InlineData("hello")]
    [InlineData("start")]
    [InlineData("started")]
    [InlineData("ended")]
    [InlineData("stop")]
    [InlineData("keyframe")]
    [InlineData("device")]
    [InlineData("input-refused")]
    [InlineData("input-ack")]
    [InlineData("auth-prompt")]
    [InlineData("auth-response")]
    public void Encode_then_TryDecode_round_trips_every_message_type(string type)
    {
        var original = Sample(type);

        var json = ControlCodec.Encode(original);
        var ok = ControlCodec.TryDecode(json, out var decoded, out var error);

        Assert.True(ok, error);
        Assert.Null(error);
        Assert.NotNull(decoded);
        Assert.IsType(original.GetType(), decoded);
        Assert.Equal(ControlMessage.CurrentVersion, decoded.V);
        Assert.Equal(json, ControlCodec.Encode(decoded));

        using var document = JsonDocument.Parse(json);
        Assert.Equal(type, document.RootElement.GetProperty("type").GetString());
        Assert.Equal(ControlMessage.CurrentVersion, document.RootElement.GetProperty("v").GetInt32());
    }

    [Fact]
    public void Decoded_messages_keep_their_fields()
    {
        Assert.True(ControlCodec.TryDecode(ControlCodec.Encode(Sample("start")), out var start, out _));
        var s = Assert.IsType<StartSession>(start);
        Assert.Equal((SessionId, "plc-1", "user-42", "admin", Password, 80, 24), (s.SessionId, s.EndpointId, s.ControllerId, s.Username, s.Password.Reveal(), s.Columns, s.Rows));

        Assert.True(ControlCodec.TryDecode(ControlCodec.Encode(Sample("hello")), out var hello, out _));
        var h = Assert.IsType<Hello>(hello);
        Assert.Equal("1.2.3", h.SoftwareVersion);
        Assert.Equal(new EndpointInfo("hmi", "HMI", "ssh", "hmi.local", 2222), h.Endpoints[1]);
        Assert.Equal([SessionId], h.ActiveSessions);

        Assert.True(ControlCodec.TryDecode(ControlCodec.Encode(Sample("ended")), out var ended, out _));
        Assert.Equal(EndReason.AuthenticationFailed, Assert.IsType<SessionEnded>(ended).Reason);
    }

    [Fact]
    public void Wire_form_uses_camel_case_names_and_string_enums()
    {
        var json = Encoding.UTF8.GetString(ControlCodec.Encode(Sample("stop")));

        Assert.Contains("\"sessionId\":\"" + SessionId + "\"", json, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"Terminated\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Type_discriminator_may_come_after_other_properties()
    {
        var json = $$"""{"sessionId":"{{SessionId}}","v":1,"type":"keyframe"}""";

        Assert.True(ControlCodec.TryDecode(Encoding.UTF8.GetBytes(json), out var message, out var error), error);
        Assert.Equal(SessionId, Assert.IsType<KeyframeRequest>(message).SessionId);
    }

    [Fact]
    public void Secret_travels_in_the_json_but_never_in_ToString()
    {
        var start = (StartSession)Sample("start");

        Assert.DoesNotContain(Password, start.ToString(), StringComparison.Ordinal);
        Assert.Contains("Password = ***", start.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, $"{start.Password}", StringComparison.Ordinal);
        Assert.DoesNotContain(Password, (start with { Columns = 100 }).ToString(), StringComparison.Ordinal);

        using var document = JsonDocument.Parse(ControlCodec.Encode(start));
        Assert.Equal(Password, document.RootElement.GetProperty("password").GetString());

        Assert.True(ControlCodec.TryDecode(ControlCodec.Encode(start), out var decoded, out _));
        Assert.DoesNotContain(Password, Assert.IsType<StartSession>(decoded).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Secret_prints_stars_and_reveals_only_on_request()
    {
        var secret = new Secret(Password);

        Assert.Equal("***", secret.ToString());
        Assert.Equal(Password, secret.Reveal());
        Assert.False(secret.IsEmpty);
        Assert.True(new Secret(string.Empty).IsEmpty);
        Assert.Throws<ArgumentNullException>(() => new Secret(null!));
    }

    [Theory]
    [InlineData("""{"type":"reboot","v":1,"sessionId":"0123456789abcdef0123456789abcdef"}""")]
    [InlineData("""{"type":"START","v":1,"sessionId":"0123456789abcdef0123456789abcdef"}""")]
    [InlineData("""{"type":"","v":1,"sessionId":"0123456789abcdef0123456789abcdef"}""")]
    [InlineData("""{"type":7,"v":1,"sessionId":"0123456789abcdef0123456789abcdef"}""")]
    [InlineData("""{"type":null,"v":1,"sessionId":"0123456789abcdef0123456789abcdef"}""")]
    [InlineData("""{"v":1,"sessionId":"0123456789abcdef0123456789abcdef"}""")]
    [InlineData("""{}""")]
    public void Unknown_or_missing_type_is_rejected(string json)
    {
        AssertRejected(json, "type");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Other_versions_are_rejected(int version)
    {
        var error = AssertRejected($$"""{"type":"keyframe","v":{{version}},"sessionId":"{{SessionId}}"}""", "control message version");

        Assert.Contains(version.ToString(System.Globalization.CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_message_is_rejected_before_parsing()
    {
        var padded = new byte[ControlCodec.MaxMessageBytes + 1];
        var valid = ControlCodec.Encode(Sample("keyframe"));
        padded.AsSpan().Fill((byte)' ');
        valid.CopyTo(padded, 0);

        Assert.False(ControlCodec.TryDecode(padded, out var message, out var error));
        Assert.Null(message);
        Assert.Contains("exceeds", error, StringComparison.Ordinal);

        // One byte less is still accepted: the limit is inclusive.
        Assert.True(ControlCodec.TryDecode(padded.AsSpan(0, ControlCodec.MaxMessageBytes), out _, out error), error);
    }

    [Theory]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")] // upper case
    [InlineData("0123456789abcdef0123456789abcde")] // 31
    [InlineData("0123456789abcdef0123456789abcdef0")] // 33
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("0123456789abcdef/123456789abcdef")]
    [InlineData("0123456789abcdef+123456789abcdef")]
    [InlineData("0123456789abcdef#123456789abcdef")]
    [InlineData("")]
    public void Invalid_session_ids_are_rejected_in_every_message_type(string sessionId)
    {
        foreach (var message in new ControlMessage[]
        {
            new StartSession(sessionId, "plc-1", "user-42", "admin", new Secret(Password), 80, 24),
            new SessionStarted(sessionId),
            new SessionEnded(sessionId, EndReason.Error, "x"),
            new StopSession(sessionId, EndReason.Terminated, "x"),
            new KeyframeRequest(sessionId),
            new Hello("1.0", [], [sessionId]),
        })
        {
            var error = AssertRejected(ControlCodec.Encode(message), "invalid control message");
            Assert.Contains("session", error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("PLC-1")]
    [InlineData("-plc")]
    [InlineData("plc/1")]
    [InlineData("plc+")]
    [InlineData("plc#")]
    [InlineData("../plc")]
    public void Invalid_endpoint_ids_are_rejected(string endpointId)
    {
        AssertRejected(ControlCodec.Encode(new Hello("1.0", [new EndpointInfo(endpointId, "PLC", "ssh", "10.0.0.7", 22)], [])), "invalid control message: invalid endpoint");
        AssertRejected(ControlCodec.Encode(new StartSession(SessionId, endpointId, "user-42", "admin", new Secret(Password), 80, 24)), "invalid control message");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Hello_with_an_invalid_port_is_rejected(int port)
    {
        AssertRejected(ControlCodec.Encode(new Hello("1.0", [new EndpointInfo("plc", "PLC", "ssh", "10.0.0.7", port)], [])), "invalid control message: invalid endpoint");
    }

    [Theory]
    [InlineData(0, 24)]
    [InlineData(80, 0)]
    [InlineData(1001, 24)]
    [InlineData(-80, 24)]
    public void StartSession_with_an_invalid_terminal_size_is_rejected(int columns, int rows)
    {
        AssertRejected(ControlCodec.Encode(new StartSession(SessionId, "plc-1", "user-42", "admin", new Secret(Password), columns, rows)), "invalid control message: invalid terminal size");
    }

    [Theory]
    [InlineData("""{"type":"start","v":1,"sessionId":"0123456789abcdef0123456789abcdef","endpointId":"plc-1","controllerId":"u","username":"admin","password":42,"columns":80,"rows":24}""")]
    [InlineData("""{"type":"start","v":1,"sessionId":"0123456789abcdef0123456789abcdef","endpointId":"plc-1","controllerId":"u","username":"admin","password":null,"columns":80,"rows":24}""")]
    [InlineData("""{"type":"start","v":1,"sessionId":"0123456789abcdef0123456789abcdef","endpointId":"plc-1","controllerId":"u","username":"admin","columns":80,"rows":24}""")]
    [InlineData("""{"type":"start","v":1,"sessionId":"0123456789abcdef0123456789abcdef","endpointId":"plc-1","controllerId":"","username":"admin","password":"x","columns":80,"rows":24}""")]
    [InlineData("""{"type":"started","v":1}""")]
    [InlineData("""{"type":"started","v":1,"sessionId":null}""")]
    [InlineData("""{"type":"ended","v":1,"sessionId":"0123456789abcdef0123456789abcdef","reason":"Bored","message":""}""")]
    [InlineData("""{"type":"ended","v":1,"sessionId":"0123456789abcdef0123456789abcdef","reason":99,"message":""}""")]
    [InlineData("""{"type":"stop","v":1,"sessionId":"0123456789abcdef0123456789abcdef","reason":"Terminated","message":null}""")]
    [InlineData("""{"type":"hello","v":1,"softwareVersion":"1","endpoints":null,"activeSessions":[]}""")]
    [InlineData("""{"type":"hello","v":1,"softwareVersion":"1","endpoints":[null],"activeSessions":[]}""")]
    [InlineData("""{"type":"hello","v":1,"softwareVersion":"1","endpoints":[],"activeSessions":[null]}""")]
    [InlineData("""{"type":"keyframe","v":"1","sessionId":"0123456789abcdef0123456789abcdef"}""")]
    [InlineData("""{"type":"keyframe","v":1e400,"sessionId":"0123456789abcdef0123456789abcdef"}""")]
    public void Missing_null_or_mistyped_fields_are_rejected(string json)
    {
        var error = AssertRejected(json, "control message");
        Assert.Matches("^(malformed|invalid) control message: ", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("\"start\"")]
    [InlineData("""{"type":"keyframe","v":1,"sessionId":"0123456789abcdef0123456789abcdef"}x""")]
    [InlineData("""{"type":"keyframe","v":1,"sessionId":"0123456789abcdef0123456789abcdef",}""")]
    [InlineData("""{'type':'keyframe'}""")]
    [InlineData("""{"type":"keyframe","v":1,"sessionId":"0123456789abcdef0123456789abcdef"} {}""")]
    [InlineData("""{"type":"hello","v":1,"softwareVersion":"1","endpoints":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]],"activeSessions":[]}""")]
    public void Malformed_json_is_rejected(string json)
    {
        var error = AssertRejected(json, "control message");
        Assert.Matches("^(malformed|empty) control message", error);
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var json = Encoding.UTF8.GetBytes($$"""{"type":"ended","v":1,"sessionId":"{{SessionId}}","reason":"Error","message":"AB"}""");
        var at = Array.IndexOf(json, (byte)'A');
        json[at] = 0xC3;
        json[at + 1] = 0x28;

        AssertRejected(json, "control message");
    }

    private static string AssertRejected(string json, string expectedError) => AssertRejected(Encoding.UTF8.GetBytes(json), expectedError);

    private static string AssertRejected(byte[] utf8, string expectedError)
    {
        var ok = ControlCodec.TryDecode(utf8, out var message, out var error);

        Assert.False(ok, $"accepted {Encoding.UTF8.GetString(utf8)}");
        Assert.Null(message);
        Assert.NotNull(error);
        Assert.Contains(expectedError, error, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    [Trait("Area", "SshField")]
    public void Prompts_and_answers_are_bounded_and_an_answer_prints_as_stars()
    {
        var tooMany = new AuthPrompt(SessionId, string.Empty, [.. Enumerable.Repeat(new PromptField("Code: ", false), AuthPrompt.MaxPrompts + 1)]);
        var tooLong = new AuthPrompt(SessionId, string.Empty, [new PromptField(new string('x', AuthPrompt.MaxPromptLength + 1), false)]);
        var none = new AuthPrompt(SessionId, string.Empty, []);
        var longAnswer = new AuthResponse(SessionId, [new Secret(new string('1', AuthResponse.MaxAnswerLength + 1))]);

        foreach (var bad in new ControlMessage[] { tooMany, tooLong, none, longAnswer })
        {
            Assert.False(ControlCodec.TryDecode(ControlCodec.Encode(bad), out _, out var error), bad.GetType().Name);
            Assert.StartsWith("invalid control message", error, StringComparison.Ordinal);
        }

        Assert.True(ControlCodec.TryDecode(ControlCodec.Encode(Sample("auth-response")), out var answer, out _));
        Assert.Equal("otp-424242", Assert.IsType<AuthResponse>(answer).Answers.Single().Reveal());
        Assert.DoesNotContain("otp-424242", answer.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("otp-424242", string.Join(",", ((AuthResponse)answer).Answers), StringComparison.Ordinal);
    }

    [Fact]
    public void Started_without_details_from_an_older_appliance_still_decodes()
    {
        var json = $$"""{"type":"started","v":1,"sessionId":"{{SessionId}}"}""";

        Assert.True(ControlCodec.TryDecode(Encoding.UTF8.GetBytes(json), out var message, out var error), error);
        Assert.Null(Assert.IsType<SessionStarted>(message).Details);
    }

    [Fact]
    public void An_oversized_banner_or_refusal_message_is_rejected()
    {
        var banner = new SessionStarted(SessionId, new SessionDetails(null, null, null, null, null, false, true, new string('x', SessionDetails.MaxBannerLength + 1)));
        var refusal = new InputRefused(SessionId, new string('x', 513));

        Assert.False(ControlCodec.TryDecode(ControlCodec.Encode(banner), out _, out var bannerError));
        Assert.Contains("oversized banner", bannerError, StringComparison.Ordinal);
        Assert.False(ControlCodec.TryDecode(ControlCodec.Encode(refusal), out _, out var refusalError));
        Assert.Contains("invalid message", refusalError, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Area", "SshField")]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData((long)InputFlow.Window * 64 + 1)]
    public void InputAck_with_an_impossible_unit_count_is_refused(long units)
    {
        var json = ControlCodec.Encode(new InputAck(SessionId, units));

        Assert.False(ControlCodec.TryDecode(json, out _, out var error));
        Assert.Contains("unit count", error, StringComparison.Ordinal);
    }
}
