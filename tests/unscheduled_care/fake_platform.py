"""A fake SAS platform on loopback: a ``http.server`` in a thread on 127.0.0.1 (random port) that
records what it receives and answers the statuses it is told to, in turn (then 201)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    method: str = "POST"


@dataclass
class FakePlatform:
    url: str = ""
    received: list[Received] = field(default_factory=list)  # every request, answered or not
    answers: list[int] = field(default_factory=list)  # statuses to answer next, in turn

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.headers.get("x-answered") == "201"]


@contextmanager
def fake_platform() -> Iterator[FakePlatform]:
    platform = FakePlatform()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status = platform.answers.pop(0) if platform.answers else 201
            headers = {name.lower(): value for name, value in self.headers.items()}
            headers["x-answered"] = str(status)
            platform.received.append(Received(self.path, headers, body, self.command))
            payload = json.dumps(
                body if status == 201 else {"resourceType": "OperationOutcome"}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_PUT = do_POST  # a cancellation: a conditional update

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    platform.url = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def free_port() -> int:
    """A loopback port where nothing listens (a platform that is down)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
