"""A small TCP proxy on loopback that misbehaves on purpose.

It forwards bytes between the client and the server unchanged, and can throttle the
server's answers (``rate_bps``) or cut the connection once, after ``drop_after`` bytes of
a chunk download's answer. It records every request head the client sent, so a test can
see the ``Range`` header of a resumed download.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class FlakyProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.rate_bps: float | None = None
        self.drop_after: int | None = None
        self.drops = 0
        self.requests: list[str] = []
        self.chunk_bytes = 0  # bytes of chunk answers forwarded, over all connections
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(32)
        self.port = int(self._listener.getsockname()[1])
        self._closed = False
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def range_requests(self) -> list[str]:
        with self._lock:
            return [r for r in self.requests if "\r\nrange: bytes=" in r.lower()]

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self._conns += [client, server]
            state = {"chunk": False}
            threading.Thread(target=self._up, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, state), daemon=True).start()

    def _up(self, src: socket.socket, dst: socket.socket, state: dict[str, bool]) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                text = data.decode("latin-1")
                if " HTTP/1.1\r\n" in text:
                    with self._lock:
                        self.requests.append(text.split("\r\n\r\n", 1)[0])
                    state["chunk"] = text.startswith("GET /v1/chunks/")
                dst.sendall(data)
        _shut(dst)

    def _down(self, src: socket.socket, dst: socket.socket, state: dict[str, bool]) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(1024 if self.rate_bps else 65536):
                if state["chunk"]:
                    with self._lock:
                        self.chunk_bytes += len(data)
                        cut = self.drop_after is not None and self.chunk_bytes >= self.drop_after
                        if cut:
                            self.drop_after = None
                            self.drops += 1
                    if cut:
                        # Forward part of this piece, then cut both sides mid-answer.
                        dst.sendall(data[: len(data) // 2])
                        # shutdown, not just close: another thread is blocked in recv on
                        # these sockets, and only shutdown sends the FIN right away.
                        _shut(src)
                        _shut(dst)
                        return
                dst.sendall(data)
                if self.rate_bps:
                    time.sleep(len(data) / self.rate_bps)
        _shut(dst)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
