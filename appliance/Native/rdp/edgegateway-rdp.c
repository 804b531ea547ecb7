/*
 * edgegateway-rdp: one RDP connection, headless, as a child process of the EdgeGateway appliance.
 *
 * FreeRDP 2 (libfreerdp2, Debian 12 / Raspberry Pi OS bookworm) does the protocol; its GDI keeps the desktop as
 * BGRX32 pixels. This program only moves things between FreeRDP and the appliance over its stdin/stdout, in the
 * length-prefixed messages described in docs/ARCHITECTURE.md ("RDP sessions (appliance)", "The pipe"):
 *   in:  START (host, port, user, domain, password, size, flags), CERT_ANSWER, POINTER, SCANCODE, UNICODE, RESIZE, STOP
 *   out: CERTIFICATE (PEM, the appliance decides), CONNECTED, PAINT (a rectangle of BGRX rows), PAINT_END, RESIZED,
 *        CURSOR, ENDED (category, FreeRDP error code, its text)
 * The password arrives over the pipe only (never argv or the environment) and is wiped from the message buffer once
 * FreeRDP has its copy. Anything the libraries print goes to stderr: stdout is the protocol's alone.
 *
 * One process per connection: a fault in FreeRDP ends this process, never the appliance or another session.
 */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/graphics.h>
#include <freerdp/codec/color.h>
#include <freerdp/addin.h>
#include <freerdp/client/channels.h>
#include <freerdp/client/cmdline.h>
#include <freerdp/client/disp.h>
#include <freerdp/channels/disp.h>
#include <freerdp/event.h>
#include <freerdp/error.h>
#include <winpr/synch.h>

/* ---- the pipe protocol (keep in step with appliance/Sessions/Rdp/RdpPipe.cs) ---- */

#define MSG_START 0x01
#define MSG_CERT_ANSWER 0x02
#define MSG_POINTER 0x10
#define MSG_SCANCODE 0x11
#define MSG_UNICODE 0x12
#define MSG_RESIZE 0x13
#define MSG_STOP 0x14
#define MSG_REFRESH 0x15 /* empty: the liveness probe, a Refresh Rect PDU for the top-left pixel */

#define MSG_CERTIFICATE 0x81
#define MSG_CONNECTED 0x82
#define MSG_PAINT 0x83
#define MSG_PAINT_END 0x84
#define MSG_RESIZED 0x85
#define MSG_CURSOR 0x86
#define MSG_ENDED 0x87

/* Categories in ENDED. */
#define END_CLOSED 0       /* the server ended the session (logoff, disconnect) or the appliance said STOP */
#define END_AUTH 1         /* the server refused the credentials */
#define END_UNREACHABLE 2  /* no TCP connection, DNS, timeout */
#define END_DROPPED 3      /* the connection broke after it was up */
#define END_LICENSING 4    /* the server's licensing refused the client */
#define END_CERTIFICATE 5  /* the appliance refused the server's certificate */
#define END_PROTOCOL 6     /* negotiation or anything else */
#define END_BAD_INPUT 7    /* the appliance sent something this program does not take */

/* START flags. */
#define START_ALLOW_RDP_SECURITY 0x01 /* standard RDP security (RC4, no TLS): only where the endpoint allows legacy */

#define MAX_IN_MESSAGE (64 * 1024)     /* appliance → here */
#define MAX_PAINT_PAYLOAD (1024 * 1024) /* here → appliance: rectangles are cut into bands of at most this */
#define MAX_STRING 1024

typedef struct
{
	rdpContext context; /* first: FreeRDP allocates ContextSize bytes and casts */
	DispClientContext* disp;
	BOOL dispReady;
	BOOL stopRequested;
	BOOL connected;
	BOOL certificateRefused;
	BOOL certificateAccepted;
	UINT64 lastStatsBytes;
} EgContext;

typedef struct
{
	rdpPointer pointer; /* first */
	BYTE* bgra;          /* width × height × 4, B G R A */
} EgPointer;

static int g_out = -1; /* the appliance's pipe (our stdout, moved off fd 1) */
static int g_in = -1;  /* the appliance's pipe (our stdin, moved off fd 0) */
static BYTE g_inBuf[MAX_IN_MESSAGE + 5];
static size_t g_inLen;
static BYTE* g_paint; /* one band's message */

/* ---- output ---- */

static void put16(BYTE* p, UINT32 v)
{
	p[0] = (BYTE)(v >> 8);
	p[1] = (BYTE)v;
}

static void put32(BYTE* p, UINT32 v)
{
	p[0] = (BYTE)(v >> 24);
	p[1] = (BYTE)(v >> 16);
	p[2] = (BYTE)(v >> 8);
	p[3] = (BYTE)v;
}

static UINT32 get16(const BYTE* p)
{
	return ((UINT32)p[0] << 8) | p[1];
}

static UINT32 get32(const BYTE* p)
{
	return ((UINT32)p[0] << 24) | ((UINT32)p[1] << 16) | ((UINT32)p[2] << 8) | p[3];
}

static void write_all(const BYTE* data, size_t length)
{
	while (length > 0)
	{
		ssize_t n = write(g_out, data, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3); /* the appliance is gone: nobody to paint for */
		data += n;
		length -= (size_t)n;
	}
}

/* A whole message whose body the caller wrote at buffer + 5. */
static void send_message(BYTE* buffer, BYTE type, size_t bodyLength)
{
	put32(buffer, (UINT32)(bodyLength + 1));
	buffer[4] = type;
	write_all(buffer, bodyLength + 5);
}

static void send_ended(BYTE category, UINT32 code, const char* text)
{
	BYTE buffer[5 + 5 + MAX_STRING];
	size_t length = text ? strlen(text) : 0;
	if (length > MAX_STRING)
		length = MAX_STRING;
	buffer[5] = category;
	put32(buffer + 6, code);
	if (length)
		memcpy(buffer + 10, text, length);
	send_message(buffer, MSG_ENDED, 5 + length);
}

/* ---- input ---- */

/* Reads what the pipe has, waiting for bytes if there are none (the main loop calls it only once input_ready says a
 * read will not block); FALSE at end of input or on error. */
static BOOL fill_input(void)
{
	if (g_inLen == sizeof(g_inBuf))
		return TRUE;
	for (;;)
	{
		ssize_t n = read(g_in, g_inBuf + g_inLen, sizeof(g_inBuf) - g_inLen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		g_inLen += (size_t)n;
		return TRUE;
	}
}

/* True when a read of the appliance's pipe will not block: bytes, or its end closed (the appliance gone). WinPR's
 * descriptor event signals bytes only, not a hang-up, so the end of the pipe is looked for here. */
static BOOL input_ready(void)
{
	struct pollfd p = { .fd = g_in, .events = POLLIN };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* The next whole message: 1 with type, body and length set, 0 when more bytes are needed, -1 when malformed. */
static int next_message(BYTE* type, BYTE** body, size_t* length)
{
	if (g_inLen < 4)
		return 0;
	UINT32 size = get32(g_inBuf);
	if (size < 1 || size > MAX_IN_MESSAGE)
		return -1;
	if (g_inLen < 4 + (size_t)size)
		return 0;
	*type = g_inBuf[4];
	*body = g_inBuf + 5;
	*length = size - 1;
	return 1;
}

static void consume_message(void)
{
	UINT32 size = get32(g_inBuf);
	size_t total = 4 + (size_t)size;
	memmove(g_inBuf, g_inBuf + total, g_inLen - total);
	g_inLen -= total;
}

/* A length-prefixed (u16) UTF-8 string into a fresh NUL-terminated copy; NULL when it does not fit. */
static char* take_string(const BYTE** p, const BYTE* end)
{
	if (end - *p < 2)
		return NULL;
	UINT32 n = get16(*p);
	*p += 2;
	if (n > MAX_STRING || (size_t)(end - *p) < n)
		return NULL;
	char* s = calloc(1, (size_t)n + 1);
	if (!s)
		return NULL;
	memcpy(s, *p, n);
	*p += n;
	return s;
}

/* ---- certificates: the appliance decides (pinned fingerprint, or first use) ---- */

static int eg_verify_x509(freerdp* instance, const BYTE* data, size_t length, const char* hostname, UINT16 port,
                          DWORD flags)
{
	EgContext* eg = (EgContext*)instance->context;
	(void)hostname;
	(void)port;
	(void)flags;
	if (length > MAX_PAINT_PAYLOAD)
		return 0;
	BYTE* buffer = malloc(5 + length);
	if (!buffer)
		return 0;
	memcpy(buffer + 5, data, length);
	send_message(buffer, MSG_CERTIFICATE, length);
	free(buffer);

	/* Nothing else is sent before the answer: FreeRDP waits here, before any credential leaves (CredSSP follows TLS). */
	for (;;)
	{
		BYTE type;
		BYTE* body;
		size_t bodyLength;
		int status = next_message(&type, &body, &bodyLength);
		if (status < 0)
			break;
		if (status == 0)
		{
			if (!fill_input())
				break;
			continue;
		}

		if (type == MSG_CERT_ANSWER && bodyLength == 1)
		{
			BOOL accept = body[0] == 1;
			consume_message();
			if (!accept)
				eg->certificateRefused = TRUE;
			else
				eg->certificateAccepted = TRUE;
			return accept ? 2 : 0; /* 2: for this session only, nothing stored on disk */
		}

		if (type == MSG_STOP)
			eg->stopRequested = TRUE;
		consume_message(); /* input before the desktop exists goes nowhere */
		if (eg->stopRequested)
			break;
	}

	eg->certificateRefused = TRUE;
	return 0;
}

/* ---- painting ---- */

static void send_rect(rdpGdi* gdi, INT32 x, INT32 y, INT32 w, INT32 h)
{
	INT32 width = (INT32)gdi->width, height = (INT32)gdi->height;
	if (x < 0)
	{
		w += x;
		x = 0;
	}
	if (y < 0)
	{
		h += y;
		y = 0;
	}
	if (x + w > width)
		w = width - x;
	if (y + h > height)
		h = height - y;
	if (w <= 0 || h <= 0)
		return;

	INT32 rowsPerBand = (INT32)(MAX_PAINT_PAYLOAD / ((size_t)w * 4));
	if (rowsPerBand < 1)
		rowsPerBand = 1;
	for (INT32 top = y; top < y + h; top += rowsPerBand)
	{
		INT32 rows = y + h - top < rowsPerBand ? y + h - top : rowsPerBand;
		BYTE* out = g_paint + 5;
		put16(out, (UINT32)x);
		put16(out + 2, (UINT32)top);
		put16(out + 4, (UINT32)w);
		put16(out + 6, (UINT32)rows);
		BYTE* pixels = out + 8;
		for (INT32 r = 0; r < rows; r++)
		{
			const BYTE* src = gdi->primary_buffer + (size_t)(top + r) * gdi->stride + (size_t)x * 4;
			memcpy(pixels + (size_t)r * w * 4, src, (size_t)w * 4);
		}
		send_message(g_paint, MSG_PAINT, 8 + (size_t)rows * w * 4);
	}
}

static void send_paint_end(EgContext* eg)
{
	BYTE buffer[5 + 8];
	UINT64 in = 0, out = 0, inPackets = 0, outPackets = 0;
	freerdp_get_stats(eg->context.rdp, &in, &out, &inPackets, &outPackets);
	put32(buffer + 5, (UINT32)(in >> 32));
	put32(buffer + 9, (UINT32)in);
	send_message(buffer, MSG_PAINT_END, 8);
}

static BOOL eg_end_paint(rdpContext* context)
{
	rdpGdi* gdi = context->gdi;
	HGDI_WND hwnd = gdi->primary->hdc->hwnd;
	if (hwnd->invalid->null)
		return TRUE;

	for (INT32 i = 0; i < hwnd->ninvalid; i++)
	{
		HGDI_RGN r = &hwnd->cinvalid[i];
		send_rect(gdi, r->x, r->y, r->w, r->h);
	}

	send_paint_end((EgContext*)context);
	hwnd->invalid->null = TRUE;
	hwnd->ninvalid = 0;
	return TRUE;
}

static void send_resized(rdpGdi* gdi)
{
	BYTE buffer[5 + 4];
	put16(buffer + 5, gdi->width);
	put16(buffer + 7, gdi->height);
	send_message(buffer, MSG_RESIZED, 4);
}

static BOOL eg_desktop_resize(rdpContext* context)
{
	rdpSettings* settings = context->settings;
	if (!gdi_resize(context->gdi, settings->DesktopWidth, settings->DesktopHeight))
		return FALSE;
	send_resized(context->gdi);
	return TRUE;
}

/* ---- the server's pointer shape ---- */

static BOOL eg_pointer_new(rdpContext* context, rdpPointer* pointer)
{
	EgPointer* p = (EgPointer*)pointer;
	if (pointer->width == 0 || pointer->height == 0 || pointer->width > 384 || pointer->height > 384)
		return TRUE; /* no shape kept: Set sends "none" */
	p->bgra = calloc((size_t)pointer->width * pointer->height, 4);
	if (!p->bgra)
		return FALSE;
	if (!freerdp_image_copy_from_pointer_data(p->bgra, PIXEL_FORMAT_BGRA32, pointer->width * 4, 0, 0,
	                                          pointer->width, pointer->height, pointer->xorMaskData,
	                                          pointer->lengthXorMask, pointer->andMaskData,
	                                          pointer->lengthAndMask, pointer->xorBpp, &context->gdi->palette))
	{
		free(p->bgra);
		p->bgra = NULL;
	}
	return TRUE;
}

static void eg_pointer_free(rdpContext* context, rdpPointer* pointer)
{
	EgPointer* p = (EgPointer*)pointer;
	(void)context;
	free(p->bgra);
	p->bgra = NULL;
}

static void send_cursor(UINT32 hotX, UINT32 hotY, UINT32 width, UINT32 height, const BYTE* bgra)
{
	size_t bytes = (size_t)width * height * 4;
	BYTE* buffer = malloc(5 + 8 + bytes);
	if (!buffer)
		return;
	put16(buffer + 5, hotX);
	put16(buffer + 7, hotY);
	put16(buffer + 9, width);
	put16(buffer + 11, height);
	if (bytes)
		memcpy(buffer + 13, bgra, bytes);
	send_message(buffer, MSG_CURSOR, 8 + bytes);
	free(buffer);
}

static BOOL eg_pointer_set(rdpContext* context, const rdpPointer* pointer)
{
	const EgPointer* p = (const EgPointer*)pointer;
	(void)context;
	if (!p->bgra)
		send_cursor(0, 0, 0, 0, NULL);
	else
		send_cursor(pointer->xPos, pointer->yPos, pointer->width, pointer->height, p->bgra);
	return TRUE;
}

static BOOL eg_pointer_set_null(rdpContext* context)
{
	(void)context;
	send_cursor(0, 0, 0, 0, NULL);
	return TRUE;
}

static BOOL eg_pointer_set_default(rdpContext* context)
{
	(void)context;
	return TRUE; /* the viewer keeps its own default arrow */
}

static BOOL eg_pointer_set_position(rdpContext* context, UINT32 x, UINT32 y)
{
	(void)context;
	(void)x;
	(void)y;
	return TRUE;
}

/* ---- display control (MS-RDPEDISP), where the server offers it ---- */

static UINT eg_disp_caps(DispClientContext* disp, UINT32 maxMonitors, UINT32 factorA, UINT32 factorB)
{
	EgContext* eg = (EgContext*)disp->custom;
	(void)maxMonitors;
	(void)factorA;
	(void)factorB;
	eg->dispReady = TRUE;
	return CHANNEL_RC_OK;
}

static void eg_channel_connected(void* ctx, ChannelConnectedEventArgs* e)
{
	EgContext* eg = (EgContext*)ctx;
	if (strcmp(e->name, DISP_DVC_CHANNEL_NAME) == 0)
	{
		eg->disp = (DispClientContext*)e->pInterface;
		eg->disp->custom = eg;
		eg->disp->DisplayControlCaps = eg_disp_caps;
	}
}

static void eg_channel_disconnected(void* ctx, ChannelDisconnectedEventArgs* e)
{
	EgContext* eg = (EgContext*)ctx;
	if (strcmp(e->name, DISP_DVC_CHANNEL_NAME) == 0)
	{
		eg->disp = NULL;
		eg->dispReady = FALSE;
	}
}

static void request_resize(EgContext* eg, UINT32 width, UINT32 height)
{
	if (!eg->disp || !eg->dispReady || width < 200 || height < 200 || width > 8192 || height > 8192)
		return; /* not offered by this server: the desktop keeps its size */
	DISPLAY_CONTROL_MONITOR_LAYOUT layout = { 0 };
	layout.Flags = DISPLAY_CONTROL_MONITOR_PRIMARY;
	layout.Width = width & ~1u; /* MS-RDPEDISP 2.2.2.2.1: the width must be even */
	layout.Height = height;
	layout.Orientation = ORIENTATION_LANDSCAPE;
	layout.DesktopScaleFactor = 100;
	layout.DeviceScaleFactor = 100;
	eg->disp->SendMonitorLayout(eg->disp, 1, &layout);
}

/* ---- connection ---- */

static BOOL eg_pre_connect(freerdp* instance)
{
	rdpContext* context = instance->context;
	PubSub_SubscribeChannelConnected(context->pubSub, eg_channel_connected);
	PubSub_SubscribeChannelDisconnected(context->pubSub, eg_channel_disconnected);
	return freerdp_client_load_addins(context->channels, context->settings);
}

static BOOL eg_post_connect(freerdp* instance)
{
	rdpContext* context = instance->context;
	if (!gdi_init(instance, PIXEL_FORMAT_BGRX32))
		return FALSE;

	rdpPointer pointer = { 0 };
	pointer.size = sizeof(EgPointer);
	pointer.New = eg_pointer_new;
	pointer.Free = eg_pointer_free;
	pointer.Set = eg_pointer_set;
	pointer.SetNull = eg_pointer_set_null;
	pointer.SetDefault = eg_pointer_set_default;
	pointer.SetPosition = eg_pointer_set_position;
	graphics_register_pointer(context->graphics, &pointer);

	/* Without EndPaint the first update after activation ends the connection (FIELD-NOTES). */
	context->update->EndPaint = eg_end_paint;
	context->update->DesktopResize = eg_desktop_resize;
	return TRUE;
}

static void eg_post_disconnect(freerdp* instance)
{
	gdi_free(instance);
}

static BYTE categorize(EgContext* eg, UINT32 error, BOOL wasConnected)
{
	if (eg->certificateRefused)
		return END_CERTIFICATE;
	if (eg->stopRequested)
		return END_CLOSED;
	UINT32 info = freerdp_error_info(eg->context.instance);
	if ((info >= 0x100 && info <= 0x10A) || error == FREERDP_ERROR_INSUFFICIENT_PRIVILEGES)
		return info >= 0x100 && info <= 0x10A ? END_LICENSING : END_AUTH; /* ERRINFO_LICENSE_* */
	switch (error)
	{
		case FREERDP_ERROR_AUTHENTICATION_FAILED:
		case FREERDP_ERROR_CONNECT_LOGON_FAILURE:
		case FREERDP_ERROR_CONNECT_WRONG_PASSWORD:
		case FREERDP_ERROR_CONNECT_ACCESS_DENIED:
		case FREERDP_ERROR_CONNECT_ACCOUNT_RESTRICTION:
		case FREERDP_ERROR_CONNECT_ACCOUNT_LOCKED_OUT:
		case FREERDP_ERROR_CONNECT_ACCOUNT_EXPIRED:
		case FREERDP_ERROR_CONNECT_ACCOUNT_DISABLED:
		case FREERDP_ERROR_CONNECT_LOGON_TYPE_NOT_GRANTED:
		case FREERDP_ERROR_CONNECT_NO_OR_MISSING_CREDENTIALS:
		case FREERDP_ERROR_CONNECT_PASSWORD_EXPIRED:
		case FREERDP_ERROR_CONNECT_PASSWORD_CERTAINLY_EXPIRED:
		case FREERDP_ERROR_CONNECT_PASSWORD_MUST_CHANGE:
		case FREERDP_ERROR_CONNECT_CLIENT_REVOKED:
		case FREERDP_ERROR_SERVER_DENIED_CONNECTION:
			return END_AUTH;
		case FREERDP_ERROR_DNS_ERROR:
		case FREERDP_ERROR_DNS_NAME_NOT_FOUND:
		case FREERDP_ERROR_CONNECT_FAILED:
			return END_UNREACHABLE;
		case FREERDP_ERROR_CONNECT_TRANSPORT_FAILED:
			if (wasConnected)
				return END_DROPPED;
			/* Many servers (FreeRDP's among them) just close the connection when CredSSP refuses the login. */
			if (eg->certificateAccepted && (eg->context.settings->SelectedProtocol & (0x2 | 0x8)))
				return END_AUTH;
			return END_UNREACHABLE;
		default:
			break;
	}
	if (wasConnected)
		return (info == ERRINFO_RPC_INITIATED_DISCONNECT || info == ERRINFO_RPC_INITIATED_LOGOFF ||
		        info == ERRINFO_LOGOFF_BY_USER || info == ERRINFO_RPC_INITIATED_DISCONNECT_BY_USER ||
		        info == ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION || info == ERRINFO_IDLE_TIMEOUT ||
		        info == ERRINFO_LOGON_TIMEOUT)
		           ? END_CLOSED
		           : (error == FREERDP_ERROR_SUCCESS && info == ERRINFO_SUCCESS ? END_DROPPED : END_PROTOCOL);
	return END_PROTOCOL;
}

static void send_connected(EgContext* eg)
{
	rdpSettings* settings = eg->context.settings;
	BYTE buffer[5 + 15];
	put16(buffer + 5, eg->context.gdi->width);
	put16(buffer + 7, eg->context.gdi->height);
	put32(buffer + 9, settings->SelectedProtocol);
	put32(buffer + 13, settings->RdpVersion);
	buffer[17] = settings->UnicodeInput ? 1 : 0;
	buffer[18] = settings->SupportDisplayControl ? 1 : 0;
	buffer[19] = settings->RefreshRect ? 1 : 0; /* the server takes Refresh Rect PDUs (General Capability Set) */
	send_message(buffer, MSG_CONNECTED, 15);
}

/* One input message after the connection is up. FALSE: stop. */
static BOOL apply_input(EgContext* eg, BYTE type, const BYTE* body, size_t length)
{
	rdpInput* input = eg->context.input;
	switch (type)
	{
		case MSG_POINTER:
			if (length != 6)
				return FALSE;
			return freerdp_input_send_mouse_event(input, (UINT16)get16(body), (UINT16)get16(body + 2),
			                                      (UINT16)get16(body + 4)) || TRUE;
		case MSG_SCANCODE:
			if (length != 4)
				return FALSE;
			return freerdp_input_send_keyboard_event(input, (UINT16)get16(body), (UINT16)get16(body + 2)) ||
			       TRUE;
		case MSG_UNICODE:
			if (length != 4)
				return FALSE;
			return freerdp_input_send_unicode_keyboard_event(input, (UINT16)get16(body),
			                                                 (UINT16)get16(body + 2)) ||
			       TRUE;
		case MSG_RESIZE:
			if (length != 4)
				return FALSE;
			request_resize(eg, get16(body), get16(body + 2));
			return TRUE;
		case MSG_STOP:
			eg->stopRequested = TRUE;
			return FALSE;
		case MSG_REFRESH:
		{
			/* MS-RDPBCGR 2.2.11.2: the server repaints the area, changed or not; that paint is the device's answer. */
			RECTANGLE_16 area = { 0, 0, 1, 1 };
			if (length != 0)
				return FALSE;
			if (eg->context.settings->RefreshRect && eg->context.update->RefreshRect)
				eg->context.update->RefreshRect(&eg->context, 1, &area);
			return TRUE;
		}
		default:
			return FALSE;
	}
}

static int run(freerdp* instance)
{
	EgContext* eg = (EgContext*)instance->context;
	rdpSettings* settings = instance->settings;

	/* START: the first message, whole. */
	BYTE type;
	BYTE* body;
	size_t length;
	int status;
	while ((status = next_message(&type, &body, &length)) == 0)
	{
		if (!fill_input())
			return 2;
	}
	if (status < 0 || type != MSG_START)
	{
		send_ended(END_BAD_INPUT, 0, "the first message was not START");
		return 2;
	}

	const BYTE* p = body;
	const BYTE* end = body + length;
	if (end - p < 2 + 2 + 2 + 1 + 4)
	{
		send_ended(END_BAD_INPUT, 0, "START too short");
		return 2;
	}
	UINT32 port = get16(p);
	UINT32 width = get16(p + 2);
	UINT32 height = get16(p + 4);
	BYTE flags = p[6];
	UINT32 connectTimeoutMs = get32(p + 7);
	p += 11;
	char* host = take_string(&p, end);
	char* user = take_string(&p, end);
	char* domain = take_string(&p, end);
	char* password = take_string(&p, end);
	/* FreeRDP keeps its own copies: the password is wiped here at once. */
	memset(body, 0, length);
	consume_message();
	if (!host || !user || !domain || !password || p != end || port == 0 || width < 200 || height < 200 ||
	    width > 8192 || height > 8192)
	{
		if (password)
			memset(password, 0, strlen(password));
		free(host);
		free(user);
		free(domain);
		free(password);
		send_ended(END_BAD_INPUT, 0, "START malformed");
		return 2;
	}

	settings->ServerHostname = host;
	settings->ServerPort = port;
	settings->Username = user;
	settings->Domain = domain[0] ? domain : NULL;
	if (!domain[0])
		free(domain);
	settings->Password = password;
	settings->DesktopWidth = width;
	settings->DesktopHeight = height;
	settings->ColorDepth = 32;
	settings->SoftwareGdi = TRUE;
	/* Lossless pixels: no graphics pipeline (H.264/AVC and progressive codecs are lossy), no RemoteFX. */
	settings->SupportGraphicsPipeline = FALSE;
	settings->RemoteFxCodec = FALSE;
	settings->GfxH264 = FALSE;
	settings->GfxAVC444 = FALSE;
	/* Security: TLS and NLA (CredSSP) as the server requires; standard RDP security (RC4) only when allowed. */
	settings->NlaSecurity = TRUE;
	settings->TlsSecurity = TRUE;
	settings->RdpSecurity = (flags & START_ALLOW_RDP_SECURITY) ? TRUE : FALSE;
	settings->ExtSecurity = FALSE;
	settings->NegotiateSecurityLayer = TRUE;
	settings->IgnoreCertificate = FALSE;
	settings->ExternalCertificateManagement = TRUE;
	settings->AutoReconnectionEnabled = FALSE;
	settings->KeyboardLayout = 0x00000409; /* US: the appliance maps keysyms to US scancodes */
	/* Liveness: FreeRDP's own TCP keep-alive and ack timeout; an idle desktop sends nothing and is not a failure. */
	settings->TcpKeepAlive = TRUE;
	settings->TcpKeepAliveDelay = 5;
	settings->TcpKeepAliveInterval = 5;
	settings->TcpKeepAliveRetries = 3;
	settings->TcpAckTimeout = 20000;
	settings->TcpConnectTimeout = connectTimeoutMs ? connectTimeoutMs : 15000;
	/* The display control channel for resizing, where the server offers it; nothing else (no clipboard, drives, sound). */
	settings->SupportDisplayControl = TRUE;
	settings->DynamicResolutionUpdate = TRUE;
	settings->SupportDynamicChannels = TRUE;
	settings->DeviceRedirection = FALSE;
	settings->RedirectClipboard = FALSE;
	settings->AudioPlayback = FALSE;
	settings->AudioCapture = FALSE;
	settings->RemoteAssistanceMode = FALSE;
	/* FreeRDP's addin loader registers device redirection (rdpdr) for these; none is needed here. */
	settings->NetworkAutoDetect = FALSE;
	settings->SupportHeartbeatPdu = FALSE;
	settings->SupportMultitransport = FALSE;

	if (!freerdp_connect(instance))
	{
		UINT32 error = freerdp_get_last_error(instance->context);
		send_ended(categorize(eg, error, FALSE), error, freerdp_get_last_error_string(error));
		return 1;
	}

	eg->connected = TRUE;
	send_connected(eg);

	HANDLE inputEvent = CreateFileDescriptorEvent(NULL, FALSE, FALSE, g_in, WINPR_FD_READ);
	BOOL inputOpen = TRUE;
	while (!freerdp_shall_disconnect(instance))
	{
		HANDLE handles[MAXIMUM_WAIT_OBJECTS];
		DWORD count = freerdp_get_event_handles(instance->context, handles, MAXIMUM_WAIT_OBJECTS - 1);
		if (count == 0)
			break;
		handles[count++] = inputEvent;
		DWORD wait = WaitForMultipleObjects(count, handles, FALSE, 1000);
		if (wait == WAIT_FAILED)
			break;

		BOOL ready = input_ready();
		if (ready || g_inLen > 0)
		{
			if (ready && !fill_input())
			{
				inputOpen = FALSE; /* the appliance is gone */
				eg->stopRequested = TRUE;
				break;
			}
			BOOL keep = TRUE;
			while (keep && (status = next_message(&type, &body, &length)) == 1)
			{
				keep = apply_input(eg, type, body, length);
				if (!keep && !eg->stopRequested)
				{
					send_ended(END_BAD_INPUT, type, "malformed input message");
					freerdp_disconnect(instance);
					CloseHandle(inputEvent);
					return 2;
				}
				consume_message();
			}
			if (status < 0)
			{
				send_ended(END_BAD_INPUT, 0, "oversized input message");
				freerdp_disconnect(instance);
				CloseHandle(inputEvent);
				return 2;
			}
			if (eg->stopRequested)
				break;
		}

		if (!freerdp_check_event_handles(instance->context))
			break;
	}

	UINT32 error = freerdp_get_last_error(instance->context);
	BYTE category = categorize(eg, error, TRUE);
	freerdp_disconnect(instance);
	CloseHandle(inputEvent);
	if (inputOpen)
		send_ended(category, error, error ? freerdp_get_last_error_string(error) : "disconnected");
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* The appliance gone, its end of the pipe closes and the loops below end this connection. No PR_SET_PDEATHSIG:
	 * Linux sends it when the *thread* that forked this process ends, and the appliance forks on pool threads that
	 * retire while the session lives (it killed live sessions). */
	/* The pipe gets private descriptors; fds 0 and 1 become /dev/null and stderr, so nothing a library prints can
	 * corrupt the protocol. */
	g_in = dup(STDIN_FILENO);
	g_out = dup(STDOUT_FILENO);
	int devnull = open("/dev/null", O_RDONLY);
	if (g_in < 0 || g_out < 0 || devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return 4;
	close(devnull);
	if (!getenv("WLOG_LEVEL"))
		setenv("WLOG_LEVEL", "ERROR", 1);

	/* Channels (drdynvc, disp) are built into libfreerdp-client2: look there, never for plugin files. */
	freerdp_register_addin_provider(freerdp_channels_load_static_addin_entry, 0);
	g_paint = malloc(5 + 8 + MAX_PAINT_PAYLOAD);
	freerdp* instance = freerdp_new();
	if (!g_paint || !instance)
		return 4;
	instance->ContextSize = sizeof(EgContext);
	instance->PreConnect = eg_pre_connect;
	instance->PostConnect = eg_post_connect;
	instance->PostDisconnect = eg_post_disconnect;
	instance->VerifyX509Certificate = eg_verify_x509;
	if (!freerdp_context_new(instance))
		return 4;

	int code = run(instance);
	freerdp_context_free(instance);
	freerdp_free(instance);
	free(g_paint);
	return code;
}
