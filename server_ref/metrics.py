"""Process-local counters rendered in the Prometheus text exposition format (0.0.4).

No client library: four counter families and a duration summary are a few lines, and
the format is stable. Each server process counts its own requests (Prometheus sums
over instances). Labels are bounded: the route *template*, never the raw path.
"""

from __future__ import annotations

import threading
from collections import defaultdict

__all__ = ["Metrics"]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return "{" + inner + "}" if inner else ""


class Metrics:
    """Counters the request middleware and the sync routes update (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._duration: dict[str, tuple[float, int]] = defaultdict(lambda: (0.0, 0))
        self._bundle_bytes: dict[str, int] = defaultdict(int)
        self._cache_hits = 0
        self._push_ops: dict[str, int] = defaultdict(int)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            total, count = self._duration[route]
            self._duration[route] = (total + seconds, count + 1)

    def bundle_bytes(self, kind: str, n: int) -> None:
        """``n`` bytes of bundle data sent (``kind`` is ``manifest`` or ``chunk``)."""
        with self._lock:
            self._bundle_bytes[kind] += n

    def chunk_cache_hit(self) -> None:
        """A chunk revalidation answered 304 Not Modified."""
        with self._lock:
            self._cache_hits += 1

    def push_operations(self, status: str, n: int) -> None:
        """``n`` pushed operations ended with ``status`` (``applied``, ``duplicate``, ...)."""
        with self._lock:
            self._push_ops[status] += n

    def render(self) -> str:
        """The exposition text."""
        with self._lock:
            requests = sorted(self._requests.items())
            duration = sorted(self._duration.items())
            bundle = sorted(self._bundle_bytes.items())
            hits = self._cache_hits
            push = sorted(self._push_ops.items())
        out = [
            "# HELP pocketsync_http_requests_total HTTP requests by method, route and status.",
            "# TYPE pocketsync_http_requests_total counter",
        ]
        for (method, route, status), n in requests:
            labels = _labels(method=method, route=route, status=status)
            out.append(f"pocketsync_http_requests_total{labels} {n}")
        out += [
            "# HELP pocketsync_http_request_duration_seconds Time spent answering, by route.",
            "# TYPE pocketsync_http_request_duration_seconds summary",
        ]
        for route, (total, count) in duration:
            labels = _labels(route=route)
            out.append(f"pocketsync_http_request_duration_seconds_sum{labels} {total:.6f}")
            out.append(f"pocketsync_http_request_duration_seconds_count{labels} {count}")
        out += [
            "# HELP pocketsync_bundle_bytes_served_total Manifest and chunk bytes sent.",
            "# TYPE pocketsync_bundle_bytes_served_total counter",
        ]
        for kind, n in bundle or [("chunk", 0)]:
            out.append(f"pocketsync_bundle_bytes_served_total{_labels(kind=kind)} {n}")
        out += [
            "# HELP pocketsync_chunk_cache_hits_total Chunk requests answered 304 Not Modified.",
            "# TYPE pocketsync_chunk_cache_hits_total counter",
            f"pocketsync_chunk_cache_hits_total {hits}",
            "# HELP pocketsync_push_operations_total Pushed remote-state operations by outcome.",
            "# TYPE pocketsync_push_operations_total counter",
        ]
        for status, n in push or [("applied", 0)]:
            out.append(f"pocketsync_push_operations_total{_labels(status=status)} {n}")
        return "\n".join(out) + "\n"
