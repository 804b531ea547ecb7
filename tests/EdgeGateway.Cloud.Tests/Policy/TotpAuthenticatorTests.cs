using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Policy;

[Trait("Area", "JointSession")]
public sealed class TotpAuthenticatorTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly UserStore _users;
    private readonly TotpAuthenticator _totp;
    private readonly UserInfo _alice;
    private readonly string _secret = TotpAuthenticator.NewSecret();

    public TotpAuthenticatorTests()
    {
        _users = new UserStore(new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path })), _time);
        _totp = new TotpAuthenticator(_users, _time);
        _alice = _users.Create("alice", "correct horse battery", Roles.DomainAdmin)!;
    }

    public void Dispose() => _temp.Dispose();

    private string Code(TimeSpan offset) => new Totp(Base32Encoding.ToBytes(_secret)).ComputeTotp((_time.GetUtcNow() + offset).UtcDateTime);

    [Fact]
    public void A_new_secret_is_160_bits_of_Base32()
    {
        Assert.Matches("^[A-Z2-7]{32}$", _secret);
        Assert.Equal(20, Base32Encoding.ToBytes(_secret).Length);
        Assert.NotEqual(_secret, TotpAuthenticator.NewSecret());
    }

    [Fact]
    public void The_current_code_and_one_step_either_side_are_accepted_two_steps_off_are_not()
    {
        Assert.Equal(TotpCheck.Wrong, _totp.Check(_alice.Id, _secret, Code(TimeSpan.FromSeconds(-61))));
        Assert.Equal(TotpCheck.Wrong, _totp.Check(_alice.Id, _secret, Code(TimeSpan.FromSeconds(61))));
        Assert.Equal(TotpCheck.Valid, _totp.Check(_alice.Id, _secret, Code(TimeSpan.FromSeconds(-30))));
        Assert.Equal(TotpCheck.Valid, _totp.Check(_alice.Id, _secret, Code(TimeSpan.Zero)));
        Assert.Equal(TotpCheck.Valid, _totp.Check(_alice.Id, _secret, Code(TimeSpan.FromSeconds(30))));
    }

    [Fact]
    public void A_code_is_accepted_once_and_an_older_one_is_refused_after_a_newer_one()
    {
        var now = Code(TimeSpan.Zero);
        Assert.Equal(TotpCheck.Valid, _totp.Check(_alice.Id, _secret, now));
        Assert.Equal(TotpCheck.Reused, _totp.Check(_alice.Id, _secret, now));
        Assert.Equal(TotpCheck.Reused, _totp.Check(_alice.Id, _secret, Code(TimeSpan.FromSeconds(-30))));

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TotpCheck.Valid, _totp.Check(_alice.Id, _secret, Code(TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("abcdef")]
    [InlineData("12345678901234567890")]
    public void Malformed_codes_are_wrong(string code) => Assert.Equal(TotpCheck.Wrong, _totp.Check(_alice.Id, _secret, code));

    [Fact]
    public void Spaces_and_dashes_in_a_code_are_ignored()
    {
        var code = Code(TimeSpan.Zero);
        Assert.Equal(TotpCheck.Valid, _totp.Check(_alice.Id, _secret, $"{code[..3]} {code[3..]}"));
    }

    [Fact]
    public void The_key_uri_and_qr_code_are_what_authenticator_apps_read()
    {
        var uri = TotpAuthenticator.KeyUri("alice admin", _secret);
        Assert.Equal($"otpauth://totp/EdgeGateway:alice%20admin?secret={_secret}&issuer=EdgeGateway&algorithm=SHA1&digits=6&period=30", uri);
        var qr = TotpAuthenticator.QrCodeDataUri(uri);
        Assert.StartsWith("data:image/png;base64,", qr, StringComparison.Ordinal);
        var png = Convert.FromBase64String(qr["data:image/png;base64,".Length..]);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Fact]
    public void An_enrolment_takes_five_attempts_then_is_gone()
    {
        var enrolments = new TotpEnrolments(_time);
        var enrolment = enrolments.Begin(_alice);
        for (var i = 0; i < TotpEnrolments.MaxAttempts; i++)
        {
            Assert.Equal((_alice.Id, enrolment.Secret), enrolments.Attempt(enrolment.Token));
        }

        Assert.Null(enrolments.Attempt(enrolment.Token));
    }

    [Fact]
    public void An_enrolment_expires_and_a_new_sign_in_replaces_the_old_one()
    {
        var enrolments = new TotpEnrolments(_time);
        var first = enrolments.Begin(_alice);
        var second = enrolments.Begin(_alice);
        Assert.Null(enrolments.Attempt(first.Token));
        Assert.NotEqual(first.Secret, second.Secret);
        Assert.Equal(_time.GetUtcNow() + TotpEnrolments.Lifetime, second.ExpiresAt);

        _time.Advance(TotpEnrolments.Lifetime);
        Assert.Null(enrolments.Attempt(second.Token));
        Assert.Null(enrolments.Attempt("no such token"));
        Assert.Null(enrolments.Attempt(null));
    }
}
