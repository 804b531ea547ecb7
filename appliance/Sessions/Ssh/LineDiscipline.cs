using System.Buffers;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// The local terminal's canonical mode for a shell that runs without a PTY (a device with <c>PermitTTY no</c>):
/// what the OpenSSH client's own terminal does in that case. Typed text is echoed and edited locally (erase, kill
/// line) and goes to the device a line at a time, ending in LF; the device's LF becomes CR LF on the screen (ONLCR).
/// Escape sequences (arrow keys, function keys) have no meaning without a terminal and are dropped.
/// </summary>
internal sealed class LineDiscipline
{
    /// <summary>Longest line kept (as a kernel's canonical mode keeps 4,096 bytes); further bytes are dropped until Enter.</summary>
    public const int MaxLine = 4096;

    private readonly ArrayBufferWriter<byte> _line = new(256);
    private int _escape; // 0: none, 1: after ESC, 2: inside a CSI/SS3 sequence

    /// <summary>
    /// Applies typed input. <paramref name="toDevice"/> gets whole lines (with LF), <paramref name="echo"/> what the
    /// local terminal shows.
    /// </summary>
    public void Input(ReadOnlySpan<byte> input, IBufferWriter<byte> toDevice, IBufferWriter<byte> echo)
    {
        foreach (var b in input)
        {
            if (_escape == 1)
            {
                _escape = b is (byte)'[' or (byte)'O' ? 2 : 0;
                continue;
            }

            if (_escape == 2)
            {
                _escape = b is >= 0x40 and <= 0x7e ? 0 : 2;
                continue;
            }

            switch (b)
            {
                case 0x1b:
                    _escape = 1;
                    break;
                case (byte)'\r' or (byte)'\n':
                    toDevice.Write(_line.WrittenSpan);
                    toDevice.Write("\n"u8);
                    echo.Write("\r\n"u8);
                    _line.ResetWrittenCount();
                    break;
                case 0x7f or 0x08:
                    EraseCharacter(echo);
                    break;
                case 0x15: // ^U: kill the line
                    while (_line.WrittenCount > 0)
                    {
                        EraseCharacter(echo);
                    }

                    break;
                case 0x03: // ^C: without a terminal there is no process group to interrupt; drop the line as a shell would
                    _line.ResetWrittenCount();
                    echo.Write("^C\r\n"u8);
                    break;
                case (byte)'\t' or >= 0x20:
                    if (_line.WrittenCount < MaxLine)
                    {
                        _line.Write([b]);
                        echo.Write([b]);
                    }

                    break;
                default:
                    break; // other control characters mean nothing to a line
            }
        }
    }

    /// <summary>Device output as the screen should get it: every LF preceded by CR.</summary>
    public static void Output(ReadOnlySpan<byte> output, IBufferWriter<byte> screen)
    {
        while (output.Length > 0)
        {
            var lf = output.IndexOf((byte)'\n');
            if (lf < 0)
            {
                screen.Write(output);
                return;
            }

            screen.Write(output[..lf]);
            screen.Write("\r\n"u8);
            output = output[(lf + 1)..];
        }
    }

    private void EraseCharacter(IBufferWriter<byte> echo)
    {
        var line = _line.WrittenSpan;
        if (line.Length == 0)
        {
            return;
        }

        // One character, not one byte: step back over UTF-8 continuation bytes.
        var start = line.Length - 1;
        while (start > 0 && (line[start] & 0xC0) == 0x80)
        {
            start--;
        }

        var kept = line[..start].ToArray();
        _line.ResetWrittenCount();
        _line.Write(kept);
        echo.Write("\b \b"u8);
    }
}
