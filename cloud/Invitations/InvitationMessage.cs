using System.Globalization;
using System.Net;
using System.Text;
using MimeKit;

namespace EdgeGateway.Cloud.Invitations;

/// <summary>
/// What an invitation e-mail says. <see cref="Url"/> holds the link's key: it goes into the message and nowhere else
/// (not the log, not the audit).
/// </summary>
/// <param name="Inviter">The name of who invites (the Controller or an administrator).</param>
/// <param name="SessionName">The session's name as everyone sees it.</param>
/// <param name="EndpointName">The device the session is on.</param>
/// <param name="Code">The session's code, <c>NNN-NNN-NNNN</c>.</param>
/// <param name="Url">The join link (<c>https://…/#/invite/{key}</c>).</param>
/// <param name="JoinUrl">The page where a signed-in user enters a code (<c>https://…/#/join</c>).</param>
/// <param name="ExpiresAt">When the link stops working.</param>
/// <param name="ValidFor">How long the link is valid from now (shown rounded to whole minutes).</param>
public sealed record InvitationContent(string Inviter, string SessionName, string EndpointName, string Code, string Url, string JoinUrl, DateTimeOffset ExpiresAt, TimeSpan ValidFor)
{
    public override string ToString() => $"InvitationContent {{ Inviter = {Inviter}, SessionName = {SessionName}, EndpointName = {EndpointName}, Code = {Code}, Url = ***, ExpiresAt = {ExpiresAt:u} }}";
}

/// <summary>
/// Builds the invitation e-mail: a plain-text part and a simple HTML part (multipart/alternative) with the same
/// facts — who invites, session, endpoint, code, link, expiry in UTC and as "valid for N minutes" — and two lines of
/// instructions. Every value is cleaned of control characters (no header or line injection through a session name)
/// and HTML-encoded in the HTML part; the subject is encoded by MimeKit (RFC 2047) as needed.
/// </summary>
public static class InvitationMessage
{
    /// <summary>The longest session or person name put into a message; longer ones are cut with "…".</summary>
    public const int MaxNameLength = 200;

    /// <summary>The subject line for <paramref name="sessionName"/>.</summary>
    public static string Subject(string sessionName) => $"Invitation to the remote support session \"{Clean(sessionName)}\"";

    /// <summary>The message from <paramref name="from"/> to <paramref name="to"/> (both already validated addresses).</summary>
    public static MimeMessage Build(InvitationContent content, MailboxAddress from, MailboxAddress to)
    {
        ArgumentNullException.ThrowIfNull(content);
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(to);
        message.Subject = Subject(content.SessionName);
        message.Body = new BodyBuilder { TextBody = Text(content), HtmlBody = Html(content) }.ToMessageBody();
        return message;
    }

    /// <summary>The plain-text part.</summary>
    public static string Text(InvitationContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var f = Facts(content);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{f.Inviter} invites you to a remote support session.\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Session:  {f.Session}\n");
        text.Append(CultureInfo.InvariantCulture, $"Endpoint: {f.Endpoint}\n");
        text.Append(CultureInfo.InvariantCulture, $"Code:     {f.Code}\n");
        text.Append(CultureInfo.InvariantCulture, $"Link:     {f.Url}\n");
        text.Append(CultureInfo.InvariantCulture, $"Expires:  {f.Expiry} ({f.ValidFor})\n\n");
        text.Append(CultureInfo.InvariantCulture, $"1. Open the link in your browser and enter your name: you join the session as a viewer.\n");
        text.Append(CultureInfo.InvariantCulture, $"2. With an account on this remote-access service, you can instead sign in at {f.JoinUrl} and enter the code.\n\n");
        text.Append("If you did not expect this invitation, ignore it: the link stops working when it expires.\n");
        return text.ToString();
    }

    /// <summary>The HTML part: one short page, inline styles only (mail clients drop style sheets and scripts).</summary>
    public static string Html(InvitationContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var f = Facts(content);
        static string E(string value) => WebUtility.HtmlEncode(value);
        const string Cell = "padding:4px 16px 4px 0;color:#555;vertical-align:top";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
        html.Append(E(Subject(content.SessionName)));
        html.Append("</title></head>\n<body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;color:#1d1f23\">\n");
        html.Append("<div style=\"max-width:560px;margin:0 auto;background:#fff;border:1px solid #d9dce1;border-radius:6px;padding:24px\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<p style=\"margin:0 0 16px\"><strong>{E(f.Inviter)}</strong> invites you to a remote support session.</p>\n");
        html.Append("<table style=\"border-collapse:collapse;margin:0 0 20px\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"{Cell}\">Session</td><td><strong>{E(f.Session)}</strong></td></tr>\n");
        html.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"{Cell}\">Endpoint</td><td>{E(f.Endpoint)}</td></tr>\n");
        html.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"{Cell}\">Code</td><td style=\"font-family:Consolas,Menlo,monospace;font-size:17px;letter-spacing:1px\">{E(f.Code)}</td></tr>\n");
        html.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"{Cell}\">Expires</td><td>{E(f.Expiry)} ({E(f.ValidFor)})</td></tr>\n");
        html.Append("</table>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p style=\"margin:0 0 20px\"><a href=\"{E(f.Url)}\" style=\"display:inline-block;background:#0b5cad;color:#fff;text-decoration:none;padding:10px 18px;border-radius:4px;font-weight:600\">Join the session</a></p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p style=\"margin:0 0 8px;font-size:13px;color:#555\">Or copy this link: <span style=\"word-break:break-all\">{E(f.Url)}</span></p>\n");
        html.Append("<ol style=\"margin:16px 0;padding-left:20px\">\n");
        html.Append("<li>Open the link in your browser and enter your name: you join the session as a viewer.</li>\n");
        html.Append(CultureInfo.InvariantCulture, $"<li>With an account on this remote-access service, you can instead sign in at <a href=\"{E(f.JoinUrl)}\">{E(f.JoinUrl)}</a> and enter the code.</li>\n");
        html.Append("</ol>\n");
        html.Append("<p style=\"margin:16px 0 0;font-size:13px;color:#777\">If you did not expect this invitation, ignore it: the link stops working when it expires.</p>\n");
        html.Append("</div>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>"valid for 15 minutes": whole minutes, at least 1.</summary>
    public static string ValidFor(TimeSpan validFor)
    {
        var minutes = Math.Max(1, (int)Math.Round(validFor.TotalMinutes, MidpointRounding.AwayFromZero));
        return minutes == 1 ? "valid for 1 minute" : $"valid for {minutes.ToString(CultureInfo.InvariantCulture)} minutes";
    }

    private static (string Inviter, string Session, string Endpoint, string Code, string Url, string JoinUrl, string Expiry, string ValidFor) Facts(InvitationContent c) => (
        Clean(c.Inviter),
        Clean(c.SessionName),
        Clean(c.EndpointName),
        Clean(c.Code),
        Clean(c.Url, int.MaxValue),
        Clean(c.JoinUrl, int.MaxValue),
        c.ExpiresAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        ValidFor(c.ValidFor));

    /// <summary>Control characters (line breaks included) become spaces, runs of spaces one; cut at <paramref name="max"/> characters.</summary>
    internal static string Clean(string? value, int max = MaxNameLength)
    {
        var text = new StringBuilder(Math.Min(value?.Length ?? 0, 4096));
        foreach (var ch in value ?? string.Empty)
        {
            var c = char.IsControl(ch) || ch is '\u2028' or '\u2029' ? ' ' : ch;
            if (c == ' ' && (text.Length == 0 || text[^1] == ' '))
            {
                continue;
            }

            text.Append(c);
        }

        var clean = text.ToString().TrimEnd();
        return clean.Length > max ? string.Concat(clean.AsSpan(0, max - 1), "…") : clean;
    }
}
