namespace EdgeGateway.Testing;

/// <summary>Waiting for a condition with a deadline, never for time.</summary>
public static class Conditions
{
    /// <summary>Polls <paramref name="condition"/> every few milliseconds until it holds.</summary>
    /// <exception cref="Xunit.Sdk.XunitException">It did not hold within <paramref name="timeout"/>; the message names <paramref name="what"/>.</exception>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.");
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }
}
