using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// A newcomer's first screen is a clean prompt in the device account's home (issue 8, §5): no "Could not chdir to home
/// directory … Permission denied" because the home sits in a folder the account cannot enter, and no start in "/".
/// </summary>
[Trait("Area", "SshField")]
[Collection(SshCollection.Name)]
public sealed class DeviceAccountTests(SshStackFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task First_screen_after_login_is_a_clean_prompt_in_the_home_directory()
    {
        var stack = fixture.Stack;
        var device = fixture.Device;
        var (http, cookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var session = await EdgeGatewayStack.StartSessionAsync(http, device);
        await using var controller = await stack.OpenStreamAsync(cookies, session.Id);
        try
        {
            await controller.WaitForOutputAsync(device.UserName + "@", Wait);

            // What the Controller's terminal shows before typing anything: the prompt, in "~", and no complaint.
            var screen = TerminalScreen.Render(controller.Frames);
            Assert.DoesNotContain("Could not chdir", screen, StringComparison.Ordinal);
            Assert.DoesNotContain("Permission denied", screen, StringComparison.Ordinal);
            Assert.Contains(":~$", screen, StringComparison.Ordinal);

            await controller.SendInputAsync("echo cwd=$(pwd)=\r");
            await controller.WaitForOutputAsync($"cwd={device.HomeDirectory}=", Wait);
        }
        finally
        {
            await http.DeleteAsync(new Uri($"/api/sessions/{session.Id}", UriKind.Relative));
            http.Dispose();
        }
    }
}
