"""`make chat` talks to the assistant where RASA_PORT says it runs."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers import ROOT


class FakeRest:
    """A REST channel that answers every message with one reply, and keeps what it got."""

    def __init__(self):
        self.received = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.received.append((self.path, body))
                data = json.dumps([{"recipient_id": "x", "text": "hello from the fake"}])
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_make_chat_talks_to_the_rasa_port_setting():
    fake = FakeRest()
    try:
        env = {**os.environ, "RASA_PORT": str(fake.port)}
        done = subprocess.run(
            [sys.executable, "scripts/chat.py", "--sender", "tenant-9"],
            cwd=ROOT,
            env=env,
            input="hello there\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        fake.server.shutdown()
    assert f"127.0.0.1:{fake.port}" in done.stdout
    assert "bot> hello from the fake" in done.stdout, done.stdout + done.stderr
    assert fake.received == [
        ("/webhooks/rest/webhook", {"sender": "tenant-9", "message": "hello there"})
    ]
