using System.Diagnostics;

namespace EdgeGateway.Testing;

/// <summary>Runs a short command to completion and captures its output (useradd, ssh-keygen, sshd -t…).</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string? input = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Stable, untranslated messages: callers match on them and show them in exceptions.
        info.Environment["LC_ALL"] = "C";

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ProcessResult(fileName, process.ExitCode, await output, await error);
    }

    public static async Task<ProcessResult> RunCheckedAsync(string fileName, IEnumerable<string> arguments, string? input = null, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(fileName, arguments, input, cancellationToken);
        return result.ExitCode == 0 ? result : throw result.ToException();
    }
}

/// <summary>A finished command: its exit code and what it wrote to standard output and standard error.</summary>
public sealed record ProcessResult(string FileName, int ExitCode, string Output, string Error)
{
    public InvalidOperationException ToException() =>
        new($"{FileName} exited with code {ExitCode}: {(Error.Length > 0 ? Error : Output).Trim()}");
}
