using System.Security.Cryptography;
using EdgeGateway.Cloud.Policy;

namespace EdgeGateway.Cloud.Tests.Policy;

[Trait("Area", "Ssh")]
public sealed class PasswordHasherTests
{
    [Fact]
    public void Hash_is_pbkdf2_sha256_with_210000_iterations_a_16_byte_salt_and_a_32_byte_hash()
    {
        var parts = PasswordHasher.Hash("correct horse").Split('$');

        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal("210000", parts[1]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
    }

    [Fact]
    public void Hash_salts_every_hash()
    {
        Assert.NotEqual(PasswordHasher.Hash("same"), PasswordHasher.Hash("same"));
    }

    [Fact]
    public void Verify_accepts_the_password_and_nothing_else()
    {
        var stored = PasswordHasher.Hash("correct horse");

        Assert.True(PasswordHasher.Verify("correct horse", stored));
        Assert.False(PasswordHasher.Verify("correct hors", stored));
        Assert.False(PasswordHasher.Verify("Correct horse", stored));
        Assert.False(PasswordHasher.Verify(string.Empty, stored));
    }

    [Fact]
    public void Verify_uses_the_iterations_and_length_stored_with_the_hash()
    {
        // A hash made with other parameters (an older release, a future tuning) still verifies.
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2("pw", salt, 20_000, HashAlgorithmName.SHA256, 24);
        var stored = $"pbkdf2-sha256$20000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";

        Assert.True(PasswordHasher.Verify("pw", stored));
        Assert.False(PasswordHasher.Verify("pW", stored));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain-text-password")]
    [InlineData("pbkdf2-sha1$210000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$9999$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$abc$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$210000$c2FsdHNhbHRzYWx0c2FsdA==")]
    [InlineData("pbkdf2-sha256$210000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaA==$extra")]
    [InlineData("pbkdf2-sha256$210000$not base64!$aGFzaA==")]
    [InlineData("pbkdf2-sha256$210000$c2FsdHNhbHRzYWx0c2FsdA==$not base64!")]
    [InlineData("pbkdf2-sha256$210000$c2FsdHNhbHRzYWx0c2FsdA==$")]
    public void Verify_of_a_malformed_stored_hash_is_false_not_an_exception(string stored)
    {
        Assert.False(PasswordHasher.Verify("anything", stored));
        Assert.False(PasswordHasher.Verify(string.Empty, stored));
    }

    [Fact]
    public void NewPassword_is_20_characters_of_an_unambiguous_alphabet_and_random()
    {
        var passwords = Enumerable.Range(0, 200).Select(_ => PasswordHasher.NewPassword()).ToList();

        Assert.All(passwords, p =>
        {
            Assert.Equal(20, p.Length);
            Assert.DoesNotContain(p, c => "0O1lI".Contains(c, StringComparison.Ordinal) || !char.IsAsciiLetterOrDigit(c));
        });
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
    }
}
