"""Child process for the crash tests: apply one bundle from files, to be SIGKILLed.

Usage: python crash_child.py <store folder> <bundle folder>. The bundle folder holds
``envelope`` and ``chunks/<address>``. Prints ``go`` right before the apply starts and
``done <seconds>`` after it, so the parent can time its kill inside the apply.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pocketsync.bundle import ChunkRef, TrustedKeys
from pocketsync.store import CatalogStore


def main() -> None:
    folder, bundle = Path(sys.argv[1]), Path(sys.argv[2])
    public_key = (bundle / "public_key").read_bytes()
    envelope = (bundle / "envelope").read_bytes()
    customer, now_ms = (bundle / "customer").read_text().split()

    def fetch(ref: ChunkRef) -> bytes:
        return (bundle / "chunks" / ref.address).read_bytes()

    store = CatalogStore.open(folder)
    print("go", flush=True)
    start = time.perf_counter()
    store.apply(
        envelope,
        trusted=TrustedKeys([public_key]),
        customer_id=customer,
        now_ms=int(now_ms),
        fetch_chunk=fetch,
    )
    print(f"done {time.perf_counter() - start:.4f}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
