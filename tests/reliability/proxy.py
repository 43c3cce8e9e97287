"""A TCP proxy on 127.0.0.1 that can reset or black-hole the connections it carries.

Between sqlmig and PostgreSQL it stands in for the network: `reset()` ends every connection
with a TCP RST (as a dead load balancer or a restarted NAT does), `blackhole()` keeps the
connections open but lets nothing through either way (a cable pulled), and `cut_at(pattern)`
ends the one connection whose client sends `pattern` (e.g. b"COMMIT"), either before the
message reaches the server or after the server's reply to it, which the client then never sees.
Threads only; every socket is closed by `close()`, so nothing outlives the test.

By default it listens on 127.0.0.1; given a `listener` (e.g. one that tests/reliability/netns.py
opened inside a network namespace) it accepts there instead.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field


def _rst(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN: SO_LINGER on, with a zero timeout."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):  # wakes a thread blocked in recv(); sends nothing yet
        sock.shutdown(socket.SHUT_RD)
    with contextlib.suppress(OSError):
        sock.close()


@dataclass
class _Pair:
    client: socket.socket
    server: socket.socket
    cut_after_reply: bool = False
    reply: bytearray = field(default_factory=bytearray)
    dead: bool = False

    def reset(self) -> None:
        self.dead = True
        _rst(self.client)
        _rst(self.server)


class Proxy:
    """Forwards <host>:<port> (127.0.0.1 unless given a listener) to `upstream` until told to
    misbehave."""

    def __init__(self, upstream: tuple[str, int], listener: socket.socket | None = None) -> None:
        self.upstream = upstream
        self._listener = listener or socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._listener.getsockname()[:2]
        self._pairs: list[_Pair] = []
        self._lock = threading.Lock()
        self._blackhole = threading.Event()
        self._cut: tuple[bytes, str] | None = None
        self.cut_done = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}"

    # -- faults ---------------------------------------------------------------------------

    def reset(self) -> None:
        """RST every open connection (both sides); new connections are still forwarded."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            pair.reset()

    def blackhole(self) -> None:
        """From now on, bytes in either direction are swallowed; nothing is closed."""
        self._blackhole.set()

    def cut_at(self, pattern: bytes, *, when: str) -> None:
        """Arm a one-shot cut of the connection whose client sends `pattern`.

        when="before": the message is dropped and both sides get an RST (the server never sees
        it). when="after_reply": the message is forwarded, the server's reply (up to its
        CommandComplete for COMMIT) is swallowed, then both sides get an RST.
        """
        assert when in ("before", "after_reply")
        self._cut = (pattern, when)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        self.reset()

    # -- plumbing -------------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _rst(client)
                continue
            pair = _Pair(client, server)
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._up, args=(pair,), daemon=True).start()
            threading.Thread(target=self._down, args=(pair,), daemon=True).start()

    def _up(self, pair: _Pair) -> None:
        """client -> server"""
        with contextlib.suppress(OSError):
            while data := pair.client.recv(65536):
                if self._blackhole.is_set():
                    continue
                cut = self._cut
                if cut and cut[0] in data:
                    self._cut = None
                    if cut[1] == "before":
                        pair.reset()
                        self.cut_done.set()
                        return
                    pair.cut_after_reply = True
                pair.server.sendall(data)
        if not pair.dead:
            with contextlib.suppress(OSError):
                pair.server.shutdown(socket.SHUT_WR)

    def _down(self, pair: _Pair) -> None:
        """server -> client"""
        with contextlib.suppress(OSError):
            while data := pair.server.recv(65536):
                if self._blackhole.is_set():
                    continue
                if pair.cut_after_reply:
                    pair.reply += data
                    if b"Z\x00\x00\x00\x05" in pair.reply:  # ReadyForQuery: all of it
                        pair.reset()
                        self.cut_done.set()
                        return
                    continue
                pair.client.sendall(data)
        if not pair.dead:
            with contextlib.suppress(OSError):
                pair.client.shutdown(socket.SHUT_WR)
