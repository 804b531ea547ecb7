using System.Text;

namespace EdgeGateway.Testing;

/// <summary>Text to paste: what a configuration file or a script looks like to a terminal, reproducible by seed.</summary>
public static class PasteText
{
    /// <summary>
    /// Random printable ASCII in lines of 1–200 characters, each ended by LF (the last character too), exactly
    /// <paramref name="length"/> characters. Lines stay far below the 4,095-byte limit of a pty's canonical mode.
    /// </summary>
    public static string RandomPrintableLines(int length, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length);
        var column = 0;
        var lineLength = random.Next(1, 201);
        for (var i = 0; i < length; i++)
        {
            if (i == length - 1 || column == lineLength)
            {
                text.Append('\n');
                column = 0;
                lineLength = random.Next(1, 201);
            }
            else
            {
                text.Append((char)random.Next(0x20, 0x7F));
                column++;
            }
        }

        return text.ToString();
    }
}
