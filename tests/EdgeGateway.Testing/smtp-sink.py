#!/usr/bin/python3
"""SMTP sink for the e-mail invitation tests (SmtpSink in EdgeGateway.Testing), on Debian's python3-aiosmtpd.

Listens on 127.0.0.1 on a port the kernel picks, prints "LISTENING <port>" once it accepts connections, and writes
every message it is given to DIR/NNNN.eml (written under a temporary name, then renamed: a reader never sees half a
message). With --user and --password it requires AUTH (PLAIN or LOGIN; over plain loopback, hence
auth_require_tls=False) and accepts only that pair; each attempt is appended to DIR/auth.log as "ok USER" or
"refused USER" (never the password). Stops on SIGTERM or when its stdin closes (the test process went away).
"""
import argparse
import logging
import warnings
import asyncio
import os
import signal
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# Plain AUTH is what the tests mean (loopback only); aiosmtpd warns about it on every start.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
warnings.filterwarnings("ignore", category=DeprecationWarning)
logging.getLogger("mail.log").setLevel(logging.ERROR)


class Capture:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        final = os.path.join(self.directory, "%04d.eml" % self.count)
        partial = final + ".part"
        with open(partial, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(partial, final)
        return "250 2.0.0 Message accepted"


def authenticator_for(directory, user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else "?"
        with open(os.path.join(directory, "auth.log"), "a") as f:
            f.write("%s %s %s\n" % ("ok" if ok else "refused", mechanism, login))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself
    return authenticate


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    handler = Capture(args.dir)
    options = {"hostname": "sink.test", "data_size_limit": 1024 * 1024}
    if args.user is not None:
        options.update(authenticator=authenticator_for(args.dir, args.user, args.password or ""),
                       auth_required=True, auth_require_tls=False)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **options), host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    print("LISTENING %d" % port, flush=True)

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def watch_stdin():
        while await reader.read(4096):
            pass
        stop.set()

    watcher = asyncio.create_task(watch_stdin())
    await stop.wait()
    watcher.cancel()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
