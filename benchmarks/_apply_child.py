"""Child process of initial_sync.py: apply a saved bundle and report peak RSS.

Kept apart from the benchmark so the process imports only what a phone would (the store
and the bundle codec), not the server side.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from pocketsync.bundle import SigningKey, TrustedKeys
from pocketsync.store import CatalogStore


def peak_rss_mb() -> float:
    """This process's own high-water RSS (VmHWM).

    Not ``ru_maxrss``: Linux carries that over from the parent across fork and exec, so a
    child of a large benchmark process would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    bundle_dir, store_dir, seed_hex, customer = sys.argv[1:5]
    trusted = TrustedKeys([SigningKey.from_seed(bytes.fromhex(seed_hex)).public_key])
    before = peak_rss_mb()
    with CatalogStore.open(Path(store_dir)) as store:
        store.apply(
            (Path(bundle_dir) / "manifest").read_bytes(),
            trusted=trusted,
            customer_id=customer,
            now_ms=time.time_ns() // 1_000_000,
            fetch_chunk=lambda ref: (Path(bundle_dir) / ref.address).read_bytes(),
        )
    peak = peak_rss_mb()
    print(json.dumps({"rss_before_mb": round(before, 1), "peak_rss_mb": round(peak, 1)}))


if __name__ == "__main__":
    main()
