"""Real servers on loopback for notification tests: an SMTP server (aiosmtpd) and an HTTP SMS
gateway that records what it receives and answers with scripted status codes."""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


@contextmanager
def smtp_server():
    """Yield ``(port, inbox)``: an SMTP server on 127.0.0.1 collecting messages in ``inbox.messages``."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class SmsGatewayServer:
    """An HTTP server on 127.0.0.1 playing an SMS operator: ``statuses`` is the list of codes it
    answers, in order (the last repeats); ``received`` holds (headers, body bytes) of each request."""

    def __init__(self, statuses=(200,)) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict, bytes]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                index = min(len(gateway.received) - 1, len(gateway.statuses) - 1)
                status = gateway.statuses[index]
                payload = json.dumps({"code": 0 if status == 200 else status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sms/send"

    def __enter__(self) -> SmsGatewayServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
