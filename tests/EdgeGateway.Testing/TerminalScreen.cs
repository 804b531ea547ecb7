using System.Text;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Testing;

/// <summary>Renders what a viewer received through a real terminal emulator, as its screen's text.</summary>
public static class TerminalScreen
{
    /// <summary>Applies the frames as a browser would, starting from the first keyframe, and returns the screen's rows.</summary>
    public static string Render(IEnumerable<StreamClient.ReceivedFrame> frames)
    {
        VirtualTerminal? terminal = null;
        try
        {
            foreach (var frame in frames)
            {
                switch (frame.Header.Type)
                {
                    case FrameType.TerminalSnapshot when TerminalSize.TryRead(frame.Payload, out var size):
                        terminal?.Dispose();
                        terminal = new VirtualTerminal(size);
                        terminal.Write(frame.Payload.AsSpan(TerminalSize.EncodedSize));
                        break;
                    case FrameType.TerminalResize when terminal is not null && TerminalSize.TryRead(frame.Payload, out var size):
                        terminal.Resize(size);
                        break;
                    case FrameType.TerminalOutput when terminal is not null:
                        terminal.Write(frame.Payload);
                        break;
                    default:
                        break;
                }
            }

            if (terminal is null)
            {
                return string.Empty;
            }

            using var state = terminal.Capture();
            var text = new StringBuilder();
            for (var row = 0; row < state.Size.Rows; row++)
            {
                var line = new StringBuilder();
                foreach (var cell in state.GetRow(row))
                {
                    if (!cell.IsContinuation)
                    {
                        line.Append(cell.IsBlank ? " " : cell.Text);
                    }
                }

                text.Append(line.ToString().TrimEnd()).Append('\n');
            }

            return text.ToString();
        }
        finally
        {
            terminal?.Dispose();
        }
    }
}
