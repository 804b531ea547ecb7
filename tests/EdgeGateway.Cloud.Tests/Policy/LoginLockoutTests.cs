using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Cloud.Tests.Policy;

[Trait("Area", "JointSession")]
public sealed class LoginLockoutTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public void Ten_failures_within_fifteen_minutes_lock_the_name_for_fifteen_minutes()
    {
        var lockout = new LoginLockout(_time);
        for (var i = 1; i < LoginLockout.MaxFailures; i++)
        {
            Assert.False(lockout.Failed("alice"));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Null(lockout.LockedFor("alice"));
        Assert.True(lockout.Failed("alice"));
        Assert.Equal(LoginLockout.LockDuration, lockout.LockedFor("alice"));
        Assert.Null(lockout.LockedFor("bob"));

        _time.Advance(LoginLockout.LockDuration - TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), lockout.LockedFor("alice"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(lockout.LockedFor("alice"));
    }

    [Fact]
    public void Failures_older_than_the_window_do_not_count()
    {
        var lockout = new LoginLockout(_time);
        for (var i = 0; i < LoginLockout.MaxFailures * 3; i++)
        {
            Assert.False(lockout.Failed("alice"));
            _time.Advance(LoginLockout.Window / (LoginLockout.MaxFailures - 1));
        }

        Assert.Null(lockout.LockedFor("alice"));
    }

    [Fact]
    public void A_successful_sign_in_clears_the_count()
    {
        var lockout = new LoginLockout(_time);
        for (var i = 1; i < LoginLockout.MaxFailures; i++)
        {
            lockout.Failed("alice");
        }

        lockout.Succeeded("alice");
        Assert.False(lockout.Failed("alice"));
        Assert.Null(lockout.LockedFor("alice"));
    }

    [Fact]
    public void Memory_stays_bounded_whatever_names_are_tried()
    {
        var lockout = new LoginLockout(_time);
        for (var i = 0; i < LoginLockout.Capacity + 1000; i++)
        {
            lockout.Failed("name-" + i);
        }

        Assert.InRange(lockout.TrackedNames, 1, LoginLockout.Capacity);
        for (var i = 1; i < LoginLockout.MaxFailures; i++)
        {
            lockout.Failed("alice");
        }

        Assert.True(lockout.Failed("alice"));
    }
}
