"""Fixtures of tests/lineage: loopback OpenLineage receivers.

A receiver is an http.server in a thread on 127.0.0.1 (an ephemeral port)
that records the path, headers and JSON body of every POST. It answers 200
at once (`receiver`), or only after 8 s (`slow_receiver`, far longer than the
timeout the tests configure). `down_url` is a port with nothing listening.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SLOW_ANSWER_S = 8.0  # far longer than the 300 ms timeout the tests configure


@dataclasses.dataclass
class Post:
    path: str
    headers: dict[str, str]  # names in lower case (HTTP header names are case-insensitive)
    raw: bytes

    @property
    def body(self) -> dict:
        return json.loads(self.raw)


class Receiver:
    """An OpenLineage HTTP endpoint on loopback that records what it gets."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.posts: list[Post] = []
        self.delay_s = delay_s
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.posts.append(Post(self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                time.sleep(delay_s)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the client gave up waiting: that is what the slow mode tests

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self) -> list[Post]:
        with self._lock:
            return list(self.posts)

    def clear(self) -> None:
        with self._lock:
            self.posts.clear()


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def slow_receiver():
    r = Receiver(delay_s=SLOW_ANSWER_S).start()
    yield r
    r.stop()


@pytest.fixture
def down_url():
    """A loopback URL that refuses connections: the port stays bound (so
    nothing else can take it) but never listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
