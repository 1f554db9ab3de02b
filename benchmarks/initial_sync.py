"""Initial sync benchmark: bundle build, bundle size, client apply against the machine's floor.

Everything is measured in one run, on this machine, against a floor measured in the same
run: zstd decompress + msgpack decode + ``executemany`` into an empty SQLite file with the
client store's own schema, its indexes (search index included) created after the load —
the plainest load of the same end state. Reported figures are medians of ``--repeat`` runs.

    python benchmarks/initial_sync.py                      # 100,000 products x 3 price breaks
    python benchmarks/initial_sync.py --products 1000000   # memory: bounded by chunk size?
    python benchmarks/initial_sync.py --skip-e2e           # in-process figures only

In the same run, unless ``--skip-e2e``, the wait a user sees (``e2e.py``): a real
``pocketsync-server serve`` on loopback over this benchmark's server database and a
``PocketSyncClient`` doing login, manifest, chunks over HTTP, verify, apply and a first
search (``e2e_s``, median of ``--repeat``), against a naive client loading JSON pages of
100 rows with a commit per page (``naive_s``, ``--naive-repeat`` runs, 1 by default).

The last line of output is one JSON object (keys: rows, bundle_bytes, gzip_json_bytes,
build_s, apply_s, floor_s, delta_bytes, delta_apply_s, peak_rss_mb, e2e_s, naive_s,
e2e_vs_floor, naive_vs_e2e, ...).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import zstandard

# Run as a script, this folder is on sys.path: the HTTP part lives beside this file.
from e2e import create_customer, measure_e2e, measure_naive, prepare_server_dir
from sqlalchemy import Engine, text

from pocketsync.bundle import TABLES, ChunkRef, SigningKey, TrustedKeys, open_manifest
from pocketsync.catalog import CatalogServer, PriceBreak, Publisher
from pocketsync.catalog.sample import SampleCatalog, publish_sample
from pocketsync.clock import SystemClock
from pocketsync.serverdb import create_server_engine
from pocketsync.store import CatalogStore
from pocketsync.store import schema as store_schema

KEY = SigningKey.from_seed(bytes(range(32)))
TRUSTED = TrustedKeys([KEY.public_key])
CUSTOMER = "cus-bench"
PRICE_LIST = "TRADE-1"


def median_time(
    fn: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None
) -> float:
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def save_bundle(folder: Path, envelope: bytes, chunks: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest").write_bytes(envelope)
    for address, data in chunks.items():
        (folder / address).write_bytes(data)


def fetch_from(folder: Path) -> Callable[[ChunkRef], bytes]:
    return lambda ref: (folder / ref.address).read_bytes()


def apply_bundle(bundle_dir: Path, store_dir: Path) -> None:
    with CatalogStore.open(store_dir) as store:
        store.apply(
            (bundle_dir / "manifest").read_bytes(),
            trusted=TRUSTED,
            customer_id=CUSTOMER,
            now_ms=SystemClock().now_ms(),
            fetch_chunk=fetch_from(bundle_dir),
        )


def floor_load(bundle_dir: Path, db_path: Path) -> int:
    """The plainest load of the same end state; returns the number of rows loaded."""
    manifest = open_manifest((bundle_dir / "manifest").read_bytes(), TRUSTED)
    dctx = zstandard.ZstdDecompressor()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    store_schema.create_tables(conn)
    rows = 0
    for ref in manifest.chunks:
        body = msgpack.unpackb(dctx.decompress((bundle_dir / ref.address).read_bytes()))
        spec = TABLES[body["table"]]
        conn.executemany(store_schema.insert_sql(spec), zip(*body["upsert"], strict=True))
        rows += len(body["upsert"][0]) if body["upsert"] else 0
    store_schema.create_indexes(conn)
    conn.execute("COMMIT")
    conn.close()
    return rows


def build_snapshot(engine: Engine, server: CatalogServer) -> tuple[bytes, dict[str, bytes]]:
    """Build the snapshot from nothing (build caches cleared) and collect its chunks."""
    with engine.begin() as conn:
        for table in ("catalog_build_chunks", "catalog_builds", "catalog_chunks"):
            conn.execute(text(f"DELETE FROM {table}"))
    envelope = server.manifest_for(CUSTOMER, PRICE_LIST, None)
    return envelope, collect_chunks(server, envelope)


def collect_chunks(server: CatalogServer, envelope: bytes) -> dict[str, bytes]:
    manifest = open_manifest(envelope, TRUSTED)
    out = {}
    for ref in manifest.chunks:
        data = server.chunk(ref.address)
        assert data is not None
        out[ref.address] = data
    return out


def gzip_json_bytes(engine: Engine) -> int:
    """gzip -9 of the same rows as compact JSON objects (what a typical REST API ships)."""
    from pocketsync.catalog import customer_view

    with engine.connect() as conn:
        view = customer_view(conn, PRICE_LIST)
    doc = {
        table: [dict(zip(TABLES[table].column_names, row, strict=True)) for row in sorted(rows)]
        for table, rows in view.items()
    }
    return len(gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), compresslevel=9))


def change_prices(engine: Engine, sample: SampleCatalog, fraction: float) -> int:
    """Give ``fraction`` of the products new prices on PRICE_LIST; returns rows changed."""
    rng = random.Random(7)
    skus = rng.sample(range(sample.products), max(1, int(sample.products * fraction)))
    changed = {}
    for i in skus:
        p = sample.product(i)
        changed[p.sku] = [PriceBreak(b.min_qty, b.amount + 1) for b in sample.prices(0, [p])[p.sku]]
    with engine.begin() as conn:
        Publisher(conn).set_prices_many(PRICE_LIST, changed)
    return len(changed) * sample.breaks


def child_rss(bundle_dir: Path, store_dir: Path) -> dict[str, float]:
    """Apply in a fresh process and report its peak RSS (and its RSS before applying)."""
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("_apply_child.py")),
            str(bundle_dir),
            str(store_dir),
            KEY.seed().hex(),
            CUSTOMER,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--prices-per-product", type=int, default=3)
    parser.add_argument("--categories", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the work folder here")
    parser.add_argument(
        "--skip-e2e", action="store_true", help="skip the HTTP figures (e2e and naive client)"
    )
    parser.add_argument(
        "--naive-repeat", type=int, default=1, help="runs of the (slow) naive client; default 1"
    )
    parser.add_argument(
        "--naive-paging",
        choices=["keyset", "offset"],
        default="keyset",
        help="naive pages by key (default; cheapest for the server) or by OFFSET (?page=N)",
    )
    parser.add_argument(
        "--naive-synchronous",
        choices=["FULL", "NORMAL"],
        default="FULL",
        help="the naive client's PRAGMA synchronous (WAL): FULL, SQLite's default, makes "
        "each page's commit durable (default); NORMAL skips the fsync per commit",
    )
    parser.add_argument(
        "--naive-fraction",
        type=float,
        default=1.0,
        help="load only this fraction of each table's pages naively and extrapolate linearly "
        "(reported as naive_extrapolated); default 1.0, the whole catalog",
    )
    args = parser.parse_args()

    work = Path(args.keep or tempfile.mkdtemp(prefix="pocketsync-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sample = SampleCatalog(
        products=args.products,
        categories=min(args.categories, args.products),
        breaks=args.prices_per_product,
        price_lists=1,
    )
    # A real server data folder (migrated by `pocketsync-server migrate`, signing with KEY):
    # the in-process figures and the server process of the e2e figures share its database.
    server_dir = work / "server"
    engine = create_server_engine(prepare_server_dir(server_dir, KEY))
    t0 = time.perf_counter()
    publish_sample(engine, sample)
    publish_s = time.perf_counter() - t0
    server = CatalogServer(engine, KEY, clock=SystemClock())
    rows = sample.categories + sample.products * (1 + sample.breaks)
    prices = sample.products * sample.breaks
    print(
        f"catalog: {sample.products} products, {sample.categories} categories, {prices} prices"
        f" = {rows} rows (published in {publish_s:.1f} s)"
    )

    snapshot: dict[str, Any] = {}

    def build() -> None:
        snapshot["envelope"], snapshot["chunks"] = build_snapshot(engine, server)

    build_s = median_time(build, args.repeat)
    bundle_dir = work / "bundle"
    save_bundle(bundle_dir, snapshot["envelope"], snapshot["chunks"])
    bundle_bytes = len(snapshot["envelope"]) + sum(map(len, snapshot["chunks"].values()))
    gz = gzip_json_bytes(engine)

    store_dir = work / "store"
    apply_s = median_time(
        lambda: apply_bundle(bundle_dir, store_dir),
        args.repeat,
        setup=lambda: shutil.rmtree(store_dir, ignore_errors=True),
    )
    floor_db = work / "floor.db"
    floor_s = median_time(
        lambda: floor_load(bundle_dir, floor_db),
        args.repeat,
        setup=lambda: floor_db.unlink(missing_ok=True),
    )
    assert floor_load(bundle_dir, floor_db.with_suffix(".check")) == rows

    # The HTTP figures, before the delta below changes prices (same rows as the floor's).
    http_figures: dict[str, Any] = {}
    if not args.skip_e2e:
        create_customer(engine, server_dir, CUSTOMER, PRICE_LIST)
        print("e2e: pocketsync-server + PocketSyncClient over loopback ...", flush=True)
        http_figures.update(
            measure_e2e(engine, server_dir, work, KEY.public_key.hex(), rows, args.repeat)
        )
        print("naive: JSON pages of 100 rows, a commit per page ...", flush=True)
        http_figures.update(
            measure_naive(
                server_dir / "server.db",
                work,
                {"categories": sample.categories, "products": sample.products, "prices": prices},
                repeat=args.naive_repeat,
                fraction=args.naive_fraction,
                paging=args.naive_paging,
                synchronous=args.naive_synchronous,
            )
        )
        http_figures["e2e_vs_floor"] = round(http_figures["e2e_s"] / floor_s, 3)
        http_figures["naive_vs_e2e"] = round(http_figures["naive_s"] / http_figures["e2e_s"], 2)

    # Delta: 1% of the customer's prices change.
    with CatalogStore.open(store_dir) as store:
        cursors = store.cursors()
    changed_rows = change_prices(engine, sample, 0.01)
    delta_env = server.manifest_for(CUSTOMER, PRICE_LIST, cursors)
    delta_chunks = collect_chunks(server, delta_env)
    delta_dir = work / "delta"
    save_bundle(delta_dir, delta_env, delta_chunks)
    delta_bytes = len(delta_env) + sum(map(len, delta_chunks.values()))
    base_copy = work / "store-base"
    shutil.rmtree(base_copy, ignore_errors=True)
    shutil.copytree(store_dir, base_copy)

    def reset_to_base() -> None:
        shutil.rmtree(store_dir, ignore_errors=True)
        shutil.copytree(base_copy, store_dir)

    delta_apply_s = median_time(
        lambda: apply_bundle(delta_dir, store_dir), args.repeat, reset_to_base
    )

    rss_dir = work / "store-rss"
    shutil.rmtree(rss_dir, ignore_errors=True)
    rss = child_rss(bundle_dir, rss_dir)

    result = {
        "products": sample.products,
        "rows": rows,
        "chunks": len(snapshot["chunks"]),
        "bundle_bytes": bundle_bytes,
        "gzip_json_bytes": gz,
        "bundle_vs_gzip_json": round(bundle_bytes / gz, 3),
        "build_s": round(build_s, 3),
        "apply_s": round(apply_s, 3),
        "floor_s": round(floor_s, 3),
        "apply_vs_floor": round(apply_s / floor_s, 3),
        "apply_rows_per_s": int(rows / apply_s),
        "delta_rows": changed_rows,
        "delta_bytes": delta_bytes,
        "delta_vs_bundle": round(delta_bytes / bundle_bytes, 4),
        "delta_apply_s": round(delta_apply_s, 4),
        "peak_rss_mb": rss["peak_rss_mb"],
        "rss_before_apply_mb": rss["rss_before_mb"],
        "repeat": args.repeat,
        **http_figures,
    }
    print()
    print(f"{'figure':<28}{'value':>14}")
    for k, v in result.items():
        for name, value in v.items() if isinstance(v, dict) else [(k, v)]:
            print(f"{name if name == k else '  ' + name:<28}{value!s:>14}")
    engine.dispose()
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
