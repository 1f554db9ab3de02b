"""A generated, realistic-looking trade catalog for demos, benchmarks and tests.

Deterministic: the same arguments give the same rows, so benchmark runs compare like
with like. Names, descriptions and brands are drawn from word lists rather than numbered
templates, so compression figures are not flattered by repetition.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine

from pocketsync.catalog.errors import DuplicatePriceListError
from pocketsync.catalog.model import Category, PriceBreak, PriceList, Product
from pocketsync.catalog.publisher import Publisher

__all__ = ["SampleCatalog", "publish_sample"]

_MATERIALS = (
    "stainless",
    "galvanised",
    "brass",
    "nylon",
    "zinc-plated",
    "aluminium",
    "PVC",
    "copper",
    "oak",
    "pine",
    "ceramic",
    "rubber",
    "steel",
    "cast-iron",
    "acrylic",
    "silicone",
)
_THINGS = (
    "hex bolt",
    "wood screw",
    "wall plug",
    "hinge",
    "door handle",
    "pipe clamp",
    "cable tie",
    "washer",
    "angle bracket",
    "drill bit",
    "saw blade",
    "sanding disc",
    "paint roller",
    "masking tape",
    "sealant",
    "adhesive",
    "junction box",
    "light switch",
    "socket",
    "LED panel",
    "padlock",
    "drawer runner",
    "shelf support",
    "gutter bracket",
    "ball valve",
    "elbow fitting",
    "tee fitting",
    "hose connector",
    "safety glove",
    "dust mask",
)
_SIZES = ("M4", "M5", "M6", "M8", "M10", "M12", "15mm", "22mm", "28mm", "50mm", "100mm", "1/2in")
_BRANDS = (
    "Acme",
    "Brightline",
    "Corvo",
    "Delta Works",
    "Fixmaster",
    "Granite",
    "Hartwell",
    "Ironside",
    "Kestrel",
    "Northgate",
    "Omnifix",
    "Pellham",
    "Quarry & Co",
    "Rowan",
)
_UNITS = ("piece", "box", "pack", "metre", "kg", "litre", "roll", "pair")
_ADJECTIVES = (
    "heavy-duty",
    "corrosion-resistant",
    "trade quality",
    "easy-fit",
    "low-profile",
    "weatherproof",
    "high-strength",
    "general purpose",
    "professional",
    "compact",
)


@dataclass(frozen=True, slots=True)
class SampleCatalog:
    """Sizes and seed of a generated catalog; rows are produced lazily, in batches.

    The price lists are ``{price_list_prefix}-1`` .. ``{price_list_prefix}-{price_lists}``.
    """

    products: int = 100_000
    categories: int = 2_000
    breaks: int = 3
    price_lists: int = 3
    currency: str = "EUR"
    seed: int = 1
    price_list_prefix: str = "TRADE"

    @property
    def price_list_ids(self) -> tuple[str, ...]:
        return tuple(f"{self.price_list_prefix}-{k + 1}" for k in range(self.price_lists))

    def price_list_rows(self) -> list[PriceList]:
        label = self.price_list_prefix.capitalize()
        return [
            PriceList(plid, f"{label} list {plid}", self.currency) for plid in self.price_list_ids
        ]

    def category_rows(self) -> list[Category]:
        """A tree: 20 roots (fewer for tiny catalogs), every other node under an earlier one."""
        rng = random.Random(self.seed)
        roots = min(20, self.categories)
        out: list[Category] = []
        for i in range(self.categories):
            parent = None if i < roots else out[rng.randrange(i // 4, i)].id
            name = f"{rng.choice(_MATERIALS).capitalize()} {rng.choice(_THINGS)}s"
            out.append(Category(f"C{i:05d}", parent, name, i % 97))
        return out

    def product(self, i: int) -> Product:
        rng = random.Random(self.seed * 1_000_003 + i)
        thing, material = rng.choice(_THINGS), rng.choice(_MATERIALS)
        size, brand, unit = rng.choice(_SIZES), rng.choice(_BRANDS), rng.choice(_UNITS)
        return Product(
            sku=f"{brand[:3].upper()}-{i:07d}",
            name=f"{brand} {material} {thing} {size}",
            description=(
                f"{rng.choice(_ADJECTIVES).capitalize()} {material} {thing}, {size}. "
                f"Sold per {unit}; {rng.choice(_ADJECTIVES)} finish, "
                f"ref {rng.randrange(10**6):06d}."
            ),
            category_id=f"C{rng.randrange(self.categories):05d}",
            unit=unit,
            pack_size=rng.choice((1, 1, 1, 5, 10, 25, 50, 100)),
            min_order_qty=rng.choice((1, 1, 1, 2, 5, 10)),
            barcode=f"{rng.randrange(10**12, 10**13)}" if rng.random() < 0.9 else None,
            brand=brand,
            active=rng.random() < 0.98,
            attributes={"material": material, "size": size, "weight_g": rng.randrange(1, 5000)},
        )

    def product_batches(self, batch: int = 5_000) -> Iterator[list[Product]]:
        for start in range(0, self.products, batch):
            yield [self.product(i) for i in range(start, min(start + batch, self.products))]

    def products_where(
        self, predicate: Callable[[Product], bool], *, limit: int
    ) -> tuple[Product, ...]:
        """The first ``limit`` products (in generation order) for which ``predicate`` holds.

        Generates only as many products as it takes, so picking a few is cheap.
        """
        found: list[Product] = []
        for i in range(self.products):
            if len(found) == limit:
                break
            if predicate(p := self.product(i)):
                found.append(p)
        return tuple(found)

    def prices(self, price_list_index: int, products: list[Product]) -> dict[str, list[PriceBreak]]:
        """Quantity breaks for ``products`` on one price list: each break a little cheaper."""
        out: dict[str, list[PriceBreak]] = {}
        for p in products:
            # A hash of the key: stable across processes (unlike hash()) and far cheaper than
            # seeding a random.Random per price, which 100,000 products x 3 lists feel.
            key = f"{self.seed}:{price_list_index}:{p.sku}".encode()
            base = 50 + int.from_bytes(hashlib.blake2b(key, digest_size=8).digest()) % 249_950
            out[p.sku] = [
                PriceBreak(min_qty=(1, 10, 50, 100, 500)[b] if b < 5 else 500 * b,
                           amount=base * (100 - 4 * b) // 100)
                for b in range(self.breaks)
            ]  # fmt: skip
        return out


def publish_sample(engine: Engine, sample: SampleCatalog, *, batch: int = 5_000) -> None:
    """Publish ``sample`` through :class:`Publisher`, one transaction per batch of products.

    Republishing the same sample changes nothing (the publisher skips identical rows).
    """
    with engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_categories(sample.category_rows())
        for price_list in sample.price_list_rows():
            with contextlib.suppress(DuplicatePriceListError):  # published before
                pub.create_price_list(price_list)
    for products in sample.product_batches(batch):
        with engine.begin() as conn:
            pub = Publisher(conn)
            pub.upsert_products(products)
            for k, plid in enumerate(sample.price_list_ids):
                pub.set_prices_many(plid, sample.prices(k, products))
