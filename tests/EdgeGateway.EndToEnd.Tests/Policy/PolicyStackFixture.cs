using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGateway.EndToEnd.Tests.Policy;

/// <summary>
/// A stack of its own for the administration tests (they change endpoint policy and domains, which other tests'
/// sessions must not see), with helpers to make people of each role — without access grants unless a test gives them.
/// </summary>
public sealed class PolicyStackFixture : IAsyncLifetime
{
    // The same sshd + stack as the SSH tests' fixture, but an instance of its own.
    private readonly Ssh.SshStackFixture _stack = new();

    public SshServer Device => _stack.Device;

    public EdgeGatewayStack Stack => _stack.Stack;

    public UserStore Users => Stack.Cloud.Services.GetRequiredService<UserStore>();

    public PolicyStore Policies => Stack.Cloud.Services.GetRequiredService<PolicyStore>();

    public AuditLog Audit => Stack.Cloud.Services.GetRequiredService<AuditLog>();

    public Task InitializeAsync() => _stack.InitializeAsync();

    public Task DisposeAsync() => _stack.DisposeAsync();

    /// <summary>A new user of <paramref name="role"/> (random name), signed in; with <paramref name="grant"/>, access to the test endpoint.</summary>
    public async Task<Person> PersonAsync(string role, bool grant = false, string? domainId = null)
    {
        var user = Account(role, grant, domainId, out var password);
        var (client, cookies) = await Stack.LoginAsync(user.Name, password);
        return new Person(user, password, client, cookies);
    }

    /// <summary>A new user of <paramref name="role"/>, not signed in (someone an administrator acts on).</summary>
    public UserInfo Account(string role, bool grant, string? domainId, out string password)
    {
        var name = role + "-" + Guid.NewGuid().ToString("N")[..8];
        password = Guid.NewGuid().ToString("N");
        var user = Users.Create(name, password, role, domainId ?? PolicyStore.DefaultDomain)!;
        if (grant)
        {
            Policies.Grant("user", user.Id, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, "test");
        }

        return user;
    }

    /// <summary>The id of a new user nobody signs in as.</summary>
    public string Victim(string role = Roles.Operator) => Account(role, grant: false, domainId: null, out _).Id;

    /// <summary>Someone not signed in.</summary>
    public HttpClient Anonymous() => Stack.CreateClient().Client;

    /// <summary>The audit events after <paramref name="afterSeq"/>.</summary>
    public IReadOnlyList<AuditEvent> AuditSince(long afterSeq) => Audit.Read(new AuditQuery(AfterSeq: afterSeq));

    public long LastAuditSeq => Audit.Read(new AuditQuery(Limit: 10_000)).LastOrDefault()?.Seq ?? 0;
}

public sealed record Person(UserInfo User, string Password, HttpClient Client, CookieContainer Cookies)
{
    public string Id => User.Id;

    public string Name => User.Name;
}

[CollectionDefinition(Name)]
public sealed class PolicyCollection : ICollectionFixture<PolicyStackFixture>
{
    public const string Name = "policy-stack";
}

/// <summary>HTTP helpers: a response's status and JSON body together.</summary>
internal static class Api
{
    public sealed record Reply(HttpStatusCode Status, JsonElement Body)
    {
        public string? Error => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetString() : null;

        public override string ToString() => $"{(int)Status} {Body}";
    }

    public static async Task<Reply> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static Task<Reply> GetJsonAsync(this HttpClient client, string path) => client.SendAsync(HttpMethod.Get, path);

    public static Task<Reply> PostJsonAsync(this HttpClient client, string path, object? body = null) => client.SendAsync(HttpMethod.Post, path, body ?? new { });

    public static Task<Reply> PutJsonAsync(this HttpClient client, string path, object? body = null) => client.SendAsync(HttpMethod.Put, path, body ?? new { });

    public static Task<Reply> PatchJsonAsync(this HttpClient client, string path, object body) => client.SendAsync(HttpMethod.Patch, path, body);

    public static Task<Reply> DeleteJsonAsync(this HttpClient client, string path) => client.SendAsync(HttpMethod.Delete, path);

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
