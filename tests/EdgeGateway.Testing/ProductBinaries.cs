namespace EdgeGateway.Testing;

/// <summary>Where the product's own build outputs are, for tests and the benchmark harness that run them as processes.</summary>
public static class ProductBinaries
{
    /// <summary>The configuration this assembly was built in: the binaries started are the same build's.</summary>
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>The cloud's build output: <c>cloud/bin/{Configuration}/net10.0/EdgeGateway.Cloud.dll</c>.</summary>
    public static string CloudDll => EdgeGatewayStack.RepositoryPath("cloud", "bin", Configuration, "net10.0", "EdgeGateway.Cloud.dll");

    /// <summary>The appliance's build output (framework-dependent): <c>appliance/bin/{Configuration}/net10.0/EdgeGateway.Appliance.dll</c>.</summary>
    public static string ApplianceDll => EdgeGatewayStack.RepositoryPath("appliance", "bin", Configuration, "net10.0", "EdgeGateway.Appliance.dll");

    /// <summary>The dotnet host that runs this process (or the one on PATH).</summary>
    public static string DotnetHost
    {
        get
        {
            var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
            {
                return fromCli;
            }

            var self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }
}
