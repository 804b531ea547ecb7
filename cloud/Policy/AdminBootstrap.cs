using EdgeGateway.Cloud.Configuration;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// No default passwords: on the very first start the cloud creates the user <c>admin</c> with a random
/// password and writes it, owner-readable only, to <c>{DataDirectory}/initial-admin-password</c>. The log says
/// where it is, never what it is.
/// </summary>
internal sealed partial class AdminBootstrap(UserStore users, IOptions<CloudOptions> options, ILogger<AdminBootstrap> logger) : IHostedService
{
    public const string FileName = "initial-admin-password";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (users.Count() > 0)
        {
            return Task.CompletedTask;
        }

        var password = PasswordHasher.NewPassword();
        users.Create("admin", password, Roles.DomainAdmin);
        var path = Path.GetFullPath(Path.Combine(options.Value.DataDirectory, FileName));
        Pairing.CertificateAuthority.WritePrivate(path, password + "\n");
        Log.Created(logger, path);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(4000, LogLevel.Warning, "Created the user 'admin'; its one-time password is in {Path} (readable by this account only)")]
        public static partial void Created(ILogger logger, string path);
    }
}
