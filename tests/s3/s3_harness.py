"""Loopback S3 for the tests in tests/s3: moto's S3 server and a counting,
fault-injecting HTTP proxy in front of it. Both listen on 127.0.0.1 only, on
ports the OS picks.

pulsetier talks to the proxy (AWS_ENDPOINT_URL=http://127.0.0.1:<proxy port>);
the tests set up and inspect buckets with boto3 straight against moto, so the
proxy's log holds pulsetier's requests only and faults never hit the setup.

The proxy forwards every method with its headers and body to moto (a new
upstream connection per request) and logs each request: method, path, query,
a few headers (`x-amz-copy-source`, `If-None-Match`, `x-amz-security-token`),
the keys of a `POST ?delete` batch, what the proxy did with it and moto's
status. Faults (`FaultProxy.configure`), random ones decided by a seeded RNG,
one draw per request in arrival order:
  - `fail_ratio`: answer 503 SlowDown without forwarding;
  - `drop_ratio`: read the request, then close the connection without
    answering and without forwarding;
  - `drop_after_ratio`: forward the request (so it takes effect), then close
    the connection without answering (the response is lost); never for
    "bucket/key" prefixes in `drop_after_exempt`;
  - `drop_after_once`: (method, "bucket/key prefix"): the first matching
    request is forwarded and its response lost (exactly once, not random);
  - `first_of_each_kind`: outcomes given, in order, to the first requests of
    each kind (list, get, head, put, copy, delete), before any random draw:
    ("503", "dropped") fails the first request of every kind with 503 and
    drops the second, so every kind of request is retried deterministically;
  - `delay_once`: (method, "bucket/key prefix"): the first matching request
    is held `delay_seconds` before it is forwarded (outcome `delayed`), so
    another client's request can overtake it (a lost race, deterministically);
    with `delay_then_drop` it is never forwarded: after the delay the
    connection is closed (outcome `held_dropped`), as when the client dies
    with the request in flight. `FaultProxy.held` is set when it arrives;
  - `cut_list_ratio`: a listing (GET ?list-type) is forwarded, then its
    answer is sent with the full `Content-Length` but only the first half of
    the body before the connection is closed (outcome `cut_body`): the body
    is cut mid-read;
  - `short_read_ratio`: a ranged object GET (`Range:` header) is forwarded,
    then answered with only the first half of the bytes, the status, the
    `Content-Range` and a `Content-Length` that matches the half, and the
    connection closed (outcome `short_body`): a well-formed answer with
    fewer bytes than asked for;
  - `short_read_keys`: "bucket/key" prefixes whose ranged GETs are always
    answered short (outcome `short_body`), whatever the draw;
  - `fail_writes_to`: a bucket name: every PUT/POST/DELETE to it (copies are
    PUTs, deletes are `POST ?delete` batches) gets 503 without forwarding;
    `fail_writes_except` lists key prefixes inside that bucket that are let
    through (a delete batch only when every key in it matches).
"""

from __future__ import annotations

import collections
import dataclasses
import html
import http.client
import http.server
import random
import re
import socket
import threading
import time
import urllib.parse

from moto.server import ThreadedMotoServer

LOOPBACK = "127.0.0.1"
UPSTREAM_TIMEOUT_S = 60

# Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; the proxy sets its
# own framing (Content-Length) on both legs.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "transfer-encoding", "upgrade", "content-length",
}
WRITE_METHODS = {"PUT", "POST", "DELETE"}
DELETE_KEY = re.compile(r"<Key>(.*?)</Key>", re.S)

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate. (injected by the test proxy)"
             b"</Message></Error>")


class MotoS3:
    """moto's S3 server on 127.0.0.1 and a free port, in this process."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)

    def start(self) -> "MotoS3":
        self._server.start()
        host, port = self._server.get_host_and_port()
        assert host == LOOPBACK, host
        self.port = port
        self.endpoint = f"http://{LOOPBACK}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()


@dataclasses.dataclass(frozen=True)
class Request:
    """One request as the proxy saw it."""
    method: str
    path: str  # URL-decoded path, e.g. /in-bucket/fixtures/accounts/...
    query: dict  # parsed query string: name -> first value
    copy_source: str | None  # x-amz-copy-source, decoded
    if_none_match: str | None  # If-None-Match (conditional put)
    security_token: str | None  # x-amz-security-token (AWS_SESSION_TOKEN)
    deleted_keys: tuple[str, ...]  # keys of a `POST ?delete` batch
    kind: str  # list | get | head | put | copy | delete | other
    outcome: str  # forwarded | 503 | dropped | dropped_after | delayed | held_dropped
    status: int | None  # moto's status (None when not forwarded)

    @property
    def bucket(self) -> str:
        return self.path.lstrip("/").split("/", 1)[0]

    @property
    def key(self) -> str:
        parts = self.path.lstrip("/").split("/", 1)
        return parts[1] if len(parts) > 1 else ""


@dataclasses.dataclass
class Faults:
    seed: int = 0
    fail_ratio: float = 0.0
    drop_ratio: float = 0.0
    drop_after_ratio: float = 0.0
    fail_writes_to: str | None = None
    fail_writes_except: tuple[str, ...] = ()
    drop_after_once: tuple[str, str] | None = None
    drop_after_exempt: tuple[str, ...] = ()
    first_of_each_kind: tuple[str, ...] = ()
    delay_once: tuple[str, str] | None = None
    delay_seconds: float = 2.0
    delay_then_drop: bool = False
    cut_list_ratio: float = 0.0
    short_read_ratio: float = 0.0
    short_read_keys: tuple[str, ...] = ()


class FaultProxy:
    """Counting, fault-injecting HTTP/1.1 proxy on 127.0.0.1 in front of moto."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._lock = threading.Lock()
        self._log: list[Request] = []
        self._faults = Faults()
        self.held = threading.Event()  # a `delay_once` request arrived
        self._rng = random.Random(0)
        self._kind_counts: collections.Counter = collections.Counter()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                proxy._serve(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _handle

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except (ConnectionError, socket.timeout):  # the client went away
                    self.close_connection = True

            def __getattr__(self, name):
                # any other method (PROPFIND, …) is forwarded too
                if name.startswith("do_"):
                    return self._handle
                raise AttributeError(name)

        self._server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ control

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def configure(self, **faults) -> None:
        """Set the faults (see module doc) and clear the log."""
        with self._lock:
            self._faults = Faults(**faults)
            self.held.clear()
            self._rng = random.Random(self._faults.seed)
            self._kind_counts = collections.Counter()
            self._log = []

    def reset(self) -> None:
        self.configure()

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    # ------------------------------------------------------------------ serving

    def _decide(self, method: str, path: str, kind: str, deleted_keys: tuple[str, ...],
                ranged: bool = False) -> str:
        f = self._faults
        bucket, _, key = path.lstrip("/").partition("/")
        if ranged and kind == "get" and any(f"{bucket}/{key}".startswith(p) for p in f.short_read_keys):
            return "short_body"
        if f.fail_writes_to and method in WRITE_METHODS and bucket == f.fail_writes_to:
            keys = deleted_keys or (key,)
            if not all(any(k.startswith(p) for p in f.fail_writes_except) for k in keys):
                return "503"
        delay = f.delay_once
        if delay and method == delay[0] and f"{bucket}/{key}".startswith(delay[1]):
            f.delay_once = None
            return "held_dropped" if f.delay_then_drop else "delayed"
        once = f.drop_after_once
        if once and method == once[0] and f"{bucket}/{key}".startswith(once[1]):
            f.drop_after_once = None
            return "dropped_after"
        targets = [f"{bucket}/{k}" for k in (deleted_keys or (key,))]
        exempt = any(t.startswith(p) for t in targets for p in f.drop_after_exempt)
        n = self._kind_counts[kind]
        if n < len(f.first_of_each_kind):
            outcome = f.first_of_each_kind[n]
            if not (outcome == "dropped_after" and exempt):
                self._kind_counts[kind] += 1
                return outcome
        draw = self._rng.random()
        if draw < f.fail_ratio:
            return "503"
        if draw < f.fail_ratio + f.drop_ratio:
            return "dropped"
        if draw < f.fail_ratio + f.drop_ratio + f.drop_after_ratio and not exempt:
            return "dropped_after"
        above = f.fail_ratio + f.drop_ratio + f.drop_after_ratio
        if kind == "list" and draw < above + f.cut_list_ratio:
            return "cut_body"
        if kind == "get" and ranged and draw < above + f.short_read_ratio:
            return "short_body"
        return "forwarded"

    def _serve(self, h: http.server.BaseHTTPRequestHandler) -> None:
        body = _read_body(h)
        split = urllib.parse.urlsplit(h.path)
        path = urllib.parse.unquote(split.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        copy_source = h.headers.get("x-amz-copy-source")
        deleted_keys: tuple[str, ...] = ()
        if h.command == "POST" and "delete" in query:
            deleted_keys = tuple(html.unescape(k) for k in DELETE_KEY.findall(body.decode("utf-8", "replace")))
        kind = request_kind(h.command, path, query, copy_source)
        with self._lock:
            outcome = self._decide(h.command, path, kind, deleted_keys,
                                   ranged="Range" in h.headers)

        def record(status: int | None) -> None:
            with self._lock:
                self._log.append(Request(
                    method=h.command,
                    path=path,
                    query=query,
                    copy_source=urllib.parse.unquote(copy_source) if copy_source else None,
                    if_none_match=h.headers.get("If-None-Match"),
                    security_token=h.headers.get("x-amz-security-token"),
                    deleted_keys=deleted_keys,
                    kind=kind,
                    outcome=outcome,
                    status=status,
                ))

        if outcome in ("delayed", "held_dropped"):
            self.held.set()
            time.sleep(self._faults.delay_seconds)
        if outcome in ("dropped", "503", "held_dropped"):
            record(None)
        if outcome in ("dropped", "held_dropped"):
            _drop(h)
            return
        if outcome == "503":
            h.send_response(503, "Slow Down")
            h.send_header("Content-Type", "application/xml")
            h.send_header("Content-Length", str(len(SLOW_DOWN)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(SLOW_DOWN)
            return
        status, reason, headers, payload = self._forward(h, body)
        record(status)  # log order = completion order of forwarded requests
        if outcome == "dropped_after":
            _drop(h)
            return
        if outcome in ("cut_body", "short_body") and 200 <= status < 300 and len(payload) > 1:
            half = payload[: len(payload) // 2]
            shown = len(payload) if outcome == "cut_body" else len(half)
            self._send_part(h, status, reason, headers, half, shown)
            return
        h.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                h.send_header(name, value)
        if h.command == "HEAD":
            length = dict((k.lower(), v) for k, v in headers).get("content-length")
            if length is not None:
                h.send_header("Content-Length", length)
        else:
            h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if h.command != "HEAD" and payload:
            h.wfile.write(payload)

    def _send_part(self, h, status, reason, headers, part: bytes, content_length: int) -> None:
        """Answer with `part` of the body under a `Content-Length` of
        `content_length`, then close the connection."""
        h.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                h.send_header(name, value)
        h.send_header("Content-Length", str(content_length))
        h.end_headers()
        h.wfile.write(part)
        _drop(h)

    def _forward(self, h, body: bytes):
        conn = http.client.HTTPConnection(LOOPBACK, self.upstream_port, timeout=UPSTREAM_TIMEOUT_S)
        try:
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
            if body or h.command in WRITE_METHODS:
                headers["Content-Length"] = str(len(body))
            conn.request(h.command, h.path, body=body if body else None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, resp.reason, resp.getheaders(), payload
        finally:
            conn.close()


def request_kind(method: str, path: str, query: dict, copy_source: str | None) -> str:
    """list | get | head | put | copy | delete | other (S3 REST, path style)."""
    has_key = "/" in path.lstrip("/")
    if method == "GET":
        return "get" if has_key else "list" if "list-type" in query else "other"
    if method == "HEAD":
        return "head" if has_key else "other"
    if method == "PUT" and has_key:
        return "copy" if copy_source else "put"
    if (method == "POST" and "delete" in query) or (method == "DELETE" and has_key):
        return "delete"
    return "other"


def _read_body(h) -> bytes:
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
        return b"".join(chunks)
    length = int(h.headers.get("Content-Length") or 0)
    return h.rfile.read(length) if length else b""


def _drop(h) -> None:
    """Close the client connection without a response."""
    h.close_connection = True
    try:
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
