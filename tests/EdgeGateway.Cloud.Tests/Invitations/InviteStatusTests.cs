using EdgeGateway.Cloud.Invitations;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Cloud.Tests.Invitations;

/// <summary>An invite's status is computed from its record and the clock: revoked &gt; accepted &gt; expired &gt; pending.</summary>
[Trait("Area", "Support")]
public sealed class InviteStatusTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 2, 0, 0, TimeSpan.Zero));

    private InviteRecord Invite(TimeSpan validFor) => new("i1", "s1", "u1", _time.GetUtcNow(), _time.GetUtcNow() + validFor, null, "anna@plant.test");

    [Fact]
    public void An_unused_invite_is_pending_until_its_expiry_then_expired()
    {
        var invite = Invite(TimeSpan.FromMinutes(1));
        Assert.Equal(InviteStatus.Pending, InviteStatus.Of(invite, _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(InviteStatus.Pending, InviteStatus.Of(invite, _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(InviteStatus.Expired, InviteStatus.Of(invite, _time.GetUtcNow()));
    }

    [Fact]
    public void Accepted_stays_accepted_after_the_expiry()
    {
        var invite = Invite(TimeSpan.FromMinutes(1)) with { AcceptedAt = _time.GetUtcNow(), AcceptedBy = "guest-1" };
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(InviteStatus.Accepted, InviteStatus.Of(invite, _time.GetUtcNow()));
    }

    [Fact]
    public void Revoked_wins_over_everything()
    {
        var invite = Invite(TimeSpan.FromMinutes(1)) with { AcceptedAt = _time.GetUtcNow(), RevokedAt = _time.GetUtcNow() };
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(InviteStatus.Revoked, InviteStatus.Of(invite, _time.GetUtcNow()));
    }

    [Fact]
    public void The_view_carries_the_address_and_the_status_and_no_key()
    {
        var view = InviteView.Of(Invite(TimeSpan.FromMinutes(15)), _time.GetUtcNow());

        Assert.Equal(("anna@plant.test", InviteStatus.Pending), (view.Email, view.Status));
        Assert.DoesNotContain(typeof(InviteView).GetProperties(), p => p.Name.Contains("Key", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("Hash", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("anna@plant.test", true)]
    [InlineData("  anna.berger+support@sub.plant.test ", true)]
    [InlineData("", false)]
    [InlineData("anna", false)]
    [InlineData("@plant.test", false)]
    [InlineData("anna@", false)]
    [InlineData("anna@@plant.test", false)]
    [InlineData("Anna <anna@plant.test>", false)]
    [InlineData("anna@plant.test, bob@plant.test", false)]
    [InlineData("anna@plant.test;bob@plant.test", false)]
    [InlineData("anna@plant.test\r\nBcc: x@evil.test", false)]
    [InlineData("an na@plant.test", false)]
    public void One_bare_address_is_accepted(string input, bool accepted) =>
        Assert.Equal(accepted, SessionGovernance.ParseAddress(input) is not null);

    [Fact]
    public void An_address_over_254_characters_is_refused() =>
        Assert.Null(SessionGovernance.ParseAddress(new string('a', 64) + "@" + new string('b', 186) + ".test"));
}
