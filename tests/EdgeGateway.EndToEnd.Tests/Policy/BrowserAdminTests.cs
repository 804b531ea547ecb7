using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Policy;

/// <summary>
/// The administration pages in Chromium, two people in two browser contexts: the admin creates a technician (the
/// generated password shown once), grants access and makes the endpoint require a request for access; the technician
/// signs in with that password, finds Connect withheld and requests access; the admin approves it in the queue; the
/// technician's dashboard then shows the approval and offers Connect. Screenshots at each step.
/// </summary>
[Collection(PolicyCollection.Name)]
[Trait("Area", "JointSession")]
public sealed class BrowserAdminTests(PolicyStackFixture fixture)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToContainTextOptions Text = new() { Timeout = 30_000 };
    private const string E = EdgeGatewayStack.EndpointId;

    [Fact]
    public async Task Admin_creates_a_technician_requires_approval_and_approves_the_technicians_request()
    {
        var adminPerson = fixture.Account(Roles.DomainAdmin, grant: false, domainId: null, out var adminPassword);
        var technicianName = "tech-" + Guid.NewGuid().ToString("N")[..6];
        await using var chromium = await Chromium.LaunchAsync();
        var admin = await chromium.NewPageAsync();
        admin.SetDefaultTimeout(30_000);
        var adminErrors = Chromium.CollectConsoleErrors(admin);
        try
        {
            await SignInAsync(admin, adminPerson.Name, adminPassword);
            await admin.GetByTestId("nav-admin").ClickAsync();
            await Assertions.Expect(admin.GetByTestId($"user-row-{adminPerson.Name}")).ToBeVisibleAsync(Visible);

            await admin.GetByTestId("new-user-name").FillAsync(technicianName);
            await admin.GetByTestId("new-user-role").SelectOptionAsync(Roles.Technician);
            await admin.GetByTestId("create-user").ClickAsync();
            await Assertions.Expect(admin.GetByTestId($"user-row-{technicianName}")).ToBeVisibleAsync(Visible);
            var password = (await admin.GetByTestId("admin-secret").TextContentAsync())!.Trim();
            Assert.Equal(20, password.Length);
            await admin.ScreenshotAsync(new() { Path = TestOutput.GetPath("admin-user-created.png"), FullPage = true });

            await admin.GetByTestId("grant-subject").SelectOptionAsync(new SelectOptionValue { Label = technicianName });
            await admin.GetByTestId("grant-endpoint").SelectOptionAsync($"{EdgeGatewayStack.ApplianceId}|{E}");
            await admin.GetByTestId("create-grant").ClickAsync();
            // The grant's row (the subject list names the technician already): the page has reloaded.
            await Assertions.Expect(admin.GetByTestId("admin-grants").Locator("tbody")).ToContainTextAsync(technicianName, Text);

            var policyId = $"{EdgeGatewayStack.ApplianceId}-{E}";
            await admin.GetByTestId($"policy-rfaRequired-{policyId}").CheckAsync();
            await admin.GetByTestId($"policy-maxParticipants-{policyId}").FillAsync("6");
            await admin.GetByTestId($"policy-save-{policyId}").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("admin-status")).ToContainTextAsync("Saved the policy", Text);
            Assert.Equal(new EndpointPolicy(true, 6, true, null, false, false), fixture.Policies.EndpointPolicy(EdgeGatewayStack.ApplianceId, E));
            await admin.ScreenshotAsync(new() { Path = TestOutput.GetPath("admin-policy-saved.png"), FullPage = true });

            // The technician, in a context of their own.
            await using var technicianContext = await chromium.NewContextAsync(new BrowserNewContextOptions());
            var technician = await technicianContext.NewPageAsync();
            technician.SetDefaultTimeout(30_000);
            var technicianErrors = Chromium.CollectConsoleErrors(technician);
            await SignInAsync(technician, technicianName, password);
            await Assertions.Expect(technician.GetByTestId($"connect-{E}")).ToBeDisabledAsync(new() { Timeout = 30_000 });
            await technician.GetByTestId($"request-access-{E}").ClickAsync();
            await technician.GetByTestId($"access-reason-{E}").FillAsync("Replace the drive's firmware");
            await technician.GetByTestId($"access-submit-{E}").ClickAsync();
            await Assertions.Expect(technician.GetByTestId($"access-state-{E}")).ToContainTextAsync("Pending", Text);
            await technician.ScreenshotAsync(new() { Path = TestOutput.GetPath("admin-technician-request-pending.png"), FullPage = true });

            await admin.GetByTestId("nav-access-requests").ClickAsync();
            var request = fixture.Policies.Requests(PolicyStore.DefaultDomain, null).First(r => r.Status == "pending" && fixture.Users.Find(r.UserId)?.Name == technicianName);
            await Assertions.Expect(admin.GetByTestId($"access-request-{request.Id}")).ToContainTextAsync("Replace the drive's firmware", Text);
            await admin.ScreenshotAsync(new() { Path = TestOutput.GetPath("admin-request-queue.png"), FullPage = true });
            await admin.GetByTestId($"decision-reason-{request.Id}").FillAsync("Agreed with the shift lead");
            await admin.GetByTestId($"approve-{request.Id}").ClickAsync();
            await Assertions.Expect(admin.GetByTestId($"access-request-state-{request.Id}")).ToContainTextAsync("Approved", Text);

            // The technician's dashboard refreshes by itself (every 5 s): approval shown, Connect offered.
            await Assertions.Expect(technician.GetByTestId($"access-state-{E}")).ToContainTextAsync("Approved — until", Text);
            await Assertions.Expect(technician.GetByTestId($"connect-{E}")).ToBeEnabledAsync(new() { Timeout = 30_000 });
            await technician.ScreenshotAsync(new() { Path = TestOutput.GetPath("admin-technician-approved.png"), FullPage = true });
            Assert.Empty(technicianErrors);
            Assert.Empty(adminErrors);
        }
        finally
        {
            fixture.Policies.SetEndpointPolicy(EdgeGatewayStack.ApplianceId, E, EndpointPolicy.Default);
        }
    }

    private async Task SignInAsync(IPage page, string name, string password)
    {
        await page.GotoAsync(fixture.Stack.BaseAddress.ToString());
        await page.GetByTestId("login-username").FillAsync(name);
        await page.GetByTestId("login-password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId($"appliance-status-{EdgeGatewayStack.ApplianceId}")).ToContainTextAsync("nline", Text);
    }
}
