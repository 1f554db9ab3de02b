"""An ``httpx`` transport with an airplane-mode switch, for the demo and the tests.

While ``offline`` is set every request fails as a refused connection would, before
anything is sent; otherwise requests go through the wrapped transport (by default a
real ``httpx.HTTPTransport``). This is the SDK's injection seam, used the way an app's
test harness would use it.
"""

from __future__ import annotations

import httpx

__all__ = ["AirplaneModeTransport"]


class AirplaneModeTransport(httpx.BaseTransport):
    """Wraps a transport; ``offline = True`` makes every request a connect error."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner or httpx.HTTPTransport()
        self.offline = False
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.offline:
            self.refused += 1
            raise httpx.ConnectError("airplane mode: no network", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
