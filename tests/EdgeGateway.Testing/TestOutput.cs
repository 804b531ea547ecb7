namespace EdgeGateway.Testing;

/// <summary>Where tests leave artifacts (screenshots, logs) for a human or CI to look at after a run.</summary>
public static class TestOutput
{
    /// <summary>The artifacts directory under the test assembly's output directory; created on first use.</summary>
    public static string ArtifactsDirectory
    {
        get
        {
            var directory = Path.Combine(AppContext.BaseDirectory, "artifacts");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    /// <summary>
    /// A path in <see cref="ArtifactsDirectory"/> for <paramref name="fileName"/>, with characters a file name
    /// cannot hold replaced, so a test can pass its own display name.
    /// </summary>
    public static string GetPath(string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        var invalid = Path.GetInvalidFileNameChars();
        var safe = string.Create(fileName.Length, fileName, (span, name) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Array.IndexOf(invalid, name[i]) >= 0 ? '_' : name[i];
            }
        });
        return Path.Combine(ArtifactsDirectory, safe);
    }
}
