using System.Collections.Concurrent;
using System.Security.Cryptography;
using OtpNet;
using QRCoder;

namespace EdgeGateway.Cloud.Policy;

/// <summary>What a TOTP code check found.</summary>
public enum TotpCheck
{
    /// <summary>The code is right and had not been used: the sign-in may go on.</summary>
    Valid,

    /// <summary>Not the code of the current time step, the one before or the one after (or not six digits).</summary>
    Wrong,

    /// <summary>Right, but a code of this time step or a later one was used already (RFC 6238 §5.2: accept once).</summary>
    Reused,
}

/// <summary>
/// RFC 6238 time-based one-time codes as every authenticator app implements them: HMAC-SHA1, 30 s steps, 6 digits, a
/// 160-bit secret (RFC 4226 §4's recommended length). A code of the step before or after now is accepted too (§5.2: one
/// step of clock drift and the time it takes to type), and each is accepted once: <see cref="UserStore.TryUseTotpStep"/>
/// keeps the last step used. The secret is Base32 in the store and in the enrolment shown to its owner; it is never
/// logged or audited.
/// </summary>
public sealed class TotpAuthenticator(UserStore users, TimeProvider time)
{
    /// <summary>The issuer authenticator apps show next to the account name.</summary>
    public const string Issuer = "EdgeGateway";

    private static readonly VerificationWindow Window = new(previous: 1, future: 1);

    /// <summary>A new random secret, Base32 (32 characters).</summary>
    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    /// <summary>Checks a code against a secret without recording it (enrolment's first code).</summary>
    /// <param name="base32Secret">The secret, Base32.</param>
    /// <param name="code">What the user typed: six digits, spaces and dashes ignored.</param>
    /// <param name="step">The time step the code matched (Unix seconds / 30).</param>
    public bool Matches(string base32Secret, string? code, out long step)
    {
        ArgumentNullException.ThrowIfNull(base32Secret);
        step = 0;
        var digits = Normalize(code);
        return digits is not null
            && new Totp(Base32Encoding.ToBytes(base32Secret)).VerifyTotp(time.GetUtcNow().UtcDateTime, digits, out step, Window);
    }

    /// <summary>Checks a sign-in code of the user's enrolled secret and, when right, uses it up.</summary>
    public TotpCheck Check(string userId, string base32Secret, string? code) =>
        !Matches(base32Secret, code, out var step) ? TotpCheck.Wrong
        : users.TryUseTotpStep(userId, step) ? TotpCheck.Valid
        : TotpCheck.Reused;

    /// <summary>The Key URI authenticator apps read from the QR code: <c>otpauth://totp/EdgeGateway:alice?secret=…&amp;issuer=EdgeGateway</c>.</summary>
    public static string KeyUri(string accountName, string base32Secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(accountName)}?secret={base32Secret}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits=6&period=30";

    /// <summary>A QR code of <paramref name="text"/> as a PNG <c>data:</c> URI (the page's CSP allows <c>img-src data:</c>).</summary>
    public static string QrCodeDataUri(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return "data:image/png;base64," + Convert.ToBase64String(new PngByteQRCode(data).GetGraphic(5));
    }

    /// <summary>"123 456" and "123-456" are typed as often as "123456": keep the digits, refuse anything else.</summary>
    private static string? Normalize(string? code)
    {
        if (code is null || code.Length > 16)
        {
            return null;
        }

        var digits = new string([.. code.Where(c => c is not (' ' or '-'))]);
        return digits.Length == 6 && digits.All(char.IsAsciiDigit) ? digits : null;
    }
}

/// <summary>An enrolment handed to a user who must set up an authenticator: scan <see cref="QrCode"/> (or type <see cref="Secret"/>), then confirm with a code before <see cref="ExpiresAt"/>.</summary>
/// <param name="Token">Names this enrolment in the confirmation; proves the password was right.</param>
/// <param name="Secret">The new Base32 secret, for typing into an app by hand.</param>
/// <param name="Uri">The <c>otpauth://</c> Key URI.</param>
/// <param name="QrCode">The Key URI as a QR code (PNG data URI).</param>
/// <param name="ExpiresAt">When the enrolment lapses (<see cref="TotpEnrolments.Lifetime"/> after the sign-in).</param>
public sealed record TotpEnrolment(string Token, string Secret, string Uri, string QrCode, DateTimeOffset ExpiresAt);

/// <summary>
/// Enrolments waiting for their first code, in memory: a user who passed the password but has no authenticator yet gets
/// one, valid <see cref="Lifetime"/>, for at most <see cref="MaxAttempts"/> codes. One per user (a new sign-in replaces
/// it); at most <see cref="Capacity"/> in all, expired ones pruned first, so memory stays bounded whatever is sent.
/// A node's restart drops them: the user signs in again and scans a new code.
/// </summary>
public sealed class TotpEnrolments(TimeProvider time)
{
    /// <summary>How long an enrolment waits for its confirming code.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>Wrong codes an enrolment takes before it is dropped.</summary>
    public const int MaxAttempts = 5;

    /// <summary>Most enrolments held at once.</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, Pending> _byToken = new(StringComparer.Ordinal);

    private sealed class Pending(string userId, string secret, DateTimeOffset expiresAt)
    {
        public string UserId { get; } = userId;

        public string Secret { get; } = secret;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public int Attempts;
    }

    /// <summary>Starts an enrolment for the user (replacing an earlier one of theirs).</summary>
    public TotpEnrolment Begin(UserInfo user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = time.GetUtcNow();
        foreach (var (token, pending) in _byToken)
        {
            if (pending.UserId == user.Id || pending.ExpiresAt <= now)
            {
                _byToken.TryRemove(token, out _);
            }
        }

        while (_byToken.Count >= Capacity && _byToken.OrderBy(p => p.Value.ExpiresAt).FirstOrDefault() is { Key: { } oldest })
        {
            _byToken.TryRemove(oldest, out _);
        }

        var secret = TotpAuthenticator.NewSecret();
        var newToken = Base64UrlToken();
        var expires = now + Lifetime;
        _byToken[newToken] = new Pending(user.Id, secret, expires);
        var uri = TotpAuthenticator.KeyUri(user.Name, secret);
        return new TotpEnrolment(newToken, secret, uri, TotpAuthenticator.QrCodeDataUri(uri), expires);
    }

    /// <summary>
    /// The user and secret of a live enrolment, counting one attempt; null when the token is unknown, expired or used up.
    /// Call <see cref="Complete"/> once the code was right.
    /// </summary>
    public (string UserId, string Secret)? Attempt(string? token)
    {
        if (token is null || !_byToken.TryGetValue(token, out var pending))
        {
            return null;
        }

        if (pending.ExpiresAt <= time.GetUtcNow() || Interlocked.Increment(ref pending.Attempts) > MaxAttempts)
        {
            _byToken.TryRemove(token, out _);
            return null;
        }

        return (pending.UserId, pending.Secret);
    }

    /// <summary>Ends an enrolment (confirmed).</summary>
    public void Complete(string token) => _byToken.TryRemove(token, out _);

    private static string Base64UrlToken() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
