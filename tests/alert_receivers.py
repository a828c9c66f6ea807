"""Real receivers for staff alerts, on loopback: an SMTP server (aiosmtpd) and a
webhook endpoint (http.server), each keeping what it received."""

from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from scripts.processes import free_port


class SmtpInbox:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts.

    `start()` and `stop()` may be called again: a mail server that goes down and comes back.
    """

    def __init__(self, port: int | None = None, login: tuple[str, str] | None = None) -> None:
        """`login`: (user, password) the server insists on before it takes mail."""
        self.port = port or free_port()
        self.messages: List[EmailMessage] = []
        self.logins: List[str] = []
        self._login = login
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and self._login == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpInbox:
        options = {}
        if self._login:
            # Loopback only: a test server may take a login without TLS.
            options = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> List[EmailMessage]:
        """The messages delivered to `address`."""
        return [m for m in self.messages if address in m["X-Envelope-To"].split(", ")]

    def __enter__(self) -> SmtpInbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class WebhookReceiver:
    """A local webhook endpoint: keeps each JSON body posted, answers `status`."""

    def __init__(self) -> None:
        self.posts: List[dict] = []
        self.paths: List[str] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.status == 200:
                    receiver.posts.append(json.loads(body))
                    receiver.paths.append(self.path)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
