namespace EdgeGateway.Bench.Harness;

/// <summary>Where the repository and the build outputs the harness launches are.</summary>
public static class RepoPaths
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>The folder holding EdgeGateway.sln, found upwards from this assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The cloud's build output (same configuration as the harness).</summary>
    public static string CloudDll => Existing(Path.Combine(Root, "cloud", "bin", Configuration, "net10.0", "EdgeGateway.Cloud.dll"));

    /// <summary>The appliance's build output (same configuration as the harness): the framework-dependent variant.</summary>
    public static string ApplianceDll => Existing(Path.Combine(Root, "appliance", "bin", Configuration, "net10.0", "EdgeGateway.Appliance.dll"));

    /// <summary>The dotnet host that runs this process (or the one on PATH).</summary>
    public static string DotnetHost => EdgeGateway.Testing.ProductBinaries.DotnetHost;

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build the solution in {Configuration} first (scripts/bench.sh does).", path);

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            var dir = new DirectoryInfo(start);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeGateway.sln")))
            {
                dir = dir.Parent;
            }

            if (dir is not null)
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root (EdgeGateway.sln) not found above " + AppContext.BaseDirectory);
    }
}
