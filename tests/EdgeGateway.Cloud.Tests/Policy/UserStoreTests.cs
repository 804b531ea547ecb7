using System.Reflection;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Policy;

[Trait("Area", "Ssh")]
public sealed class UserStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly CloudDatabase _database;
    private readonly UserStore _users;

    public UserStoreTests()
    {
        _database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path }));
        _users = new UserStore(_database, _time);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Create_then_Verify_with_the_password_returns_the_user()
    {
        var created = _users.Create("alice", "correct horse battery", Roles.Technician);

        Assert.NotNull(created);
        Assert.Equal("alice", created.Name);
        Assert.Equal(Roles.Technician, created.Role);
        Assert.Matches("^[0-9a-f]{32}$", created.Id);
        Assert.Equal(created, _users.Verify("alice", "correct horse battery"));
        Assert.Equal(created, _users.Find(created.Id));
        Assert.Equal(1, _users.Count());
    }

    [Fact]
    public void Create_stores_a_salted_hash_never_the_password()
    {
        _users.Create("alice", "correct horse battery", Roles.Operator);

        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT password_hash, created_at FROM users WHERE name = 'alice'";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.StartsWith("pbkdf2-sha256$", reader.GetString(0), StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse battery", reader.GetString(0), StringComparison.Ordinal);
        Assert.Equal("2030-01-02T03:04:05.0000000+00:00", reader.GetString(1));
    }

    [Fact]
    public void Verify_with_a_wrong_password_returns_null()
    {
        _users.Create("alice", "correct horse battery", Roles.Technician);

        Assert.Null(_users.Verify("alice", "wrong"));
        Assert.Null(_users.Verify("alice", "correct horse batter"));
        Assert.Null(_users.Verify("Alice", "correct horse battery")); // names are exact
    }

    [Fact]
    public void Verify_of_an_unknown_user_returns_null_after_deriving_a_key_all_the_same()
    {
        Assert.Null(_users.Verify("nobody", "anything"));

        // The unknown-user path hashes against a dummy so both answers take as long (no user enumeration by timing).
        var dummy = typeof(UserStore).GetField("DummyHash", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null);
        Assert.True(((Lazy<string>)dummy!).IsValueCreated);
    }

    [Fact]
    public void Create_with_a_taken_name_returns_null_and_keeps_the_first_user()
    {
        var first = _users.Create("alice", "first password", Roles.Technician);

        Assert.Null(_users.Create("alice", "second password", Roles.DomainAdmin));
        Assert.Equal(first, _users.Verify("alice", "first password"));
        Assert.Null(_users.Verify("alice", "second password"));
        Assert.Equal(1, _users.Count());
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("Technician")]
    [InlineData("")]
    public void Create_with_an_unknown_role_throws(string role)
    {
        var error = Assert.Throws<ArgumentException>(() => _users.Create("alice", "pw", role));

        Assert.Equal("role", error.ParamName);
        Assert.Equal(0, _users.Count());
    }

    [Theory]
    [InlineData("", "pw")]
    [InlineData("  ", "pw")]
    [InlineData("alice", "")]
    public void Create_without_a_name_or_password_throws(string name, string password)
    {
        Assert.ThrowsAny<ArgumentException>(() => _users.Create(name, password, Roles.Operator));
    }

    [Fact]
    public void Every_role_of_the_product_is_known()
    {
        foreach (var role in new[] { Roles.DomainAdmin, Roles.Technician, Roles.Operator, Roles.FieldEngineer })
        {
            Assert.NotNull(_users.Create("user-" + role, "pw", role));
        }

        Assert.Equal(4, _users.Count());
    }

    [Fact]
    public void Find_of_an_unknown_id_returns_null()
    {
        Assert.Null(_users.Find("0123456789abcdef0123456789abcdef"));
    }
}
