"""Server-side catalog: tables, publisher API, views and the bundle builder.

The platform writes through :class:`Publisher` inside its own transactions; the sync
endpoint answers with :class:`CatalogServer` (signed manifests and content-addressed
chunks, see docs/bundle-format.md).
"""

from pocketsync.catalog.builder import (
    DEFAULT_CHUNK_BYTES,
    DEFAULT_CHUNK_ROWS,
    DEFAULT_MANIFEST_TTL_MS,
    CatalogServer,
    ChunkVisibility,
)
from pocketsync.catalog.errors import (
    CatalogBusyError,
    CatalogError,
    CategoryCycleError,
    CategoryNotEmptyError,
    DuplicatePriceListError,
    InvalidCategoryError,
    InvalidCursorError,
    InvalidHorizonError,
    InvalidPriceError,
    InvalidPriceListError,
    InvalidProductError,
    UnknownCategoryError,
    UnknownPartitionError,
    UnknownPriceListError,
)
from pocketsync.catalog.model import (
    CATALOG_PARTITION,
    Category,
    PriceBreak,
    PriceList,
    Product,
    prices_partition,
)
from pocketsync.catalog.publisher import Publisher
from pocketsync.catalog.views import (
    CatalogProductRules,
    customer_view,
    partition_version,
    product_rules,
)

__all__ = [
    "CATALOG_PARTITION",
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_MANIFEST_TTL_MS",
    "CatalogBusyError",
    "CatalogError",
    "CatalogProductRules",
    "CatalogServer",
    "Category",
    "CategoryCycleError",
    "CategoryNotEmptyError",
    "ChunkVisibility",
    "DuplicatePriceListError",
    "InvalidCategoryError",
    "InvalidCursorError",
    "InvalidHorizonError",
    "InvalidPriceError",
    "InvalidPriceListError",
    "InvalidProductError",
    "PriceBreak",
    "PriceList",
    "Product",
    "Publisher",
    "UnknownCategoryError",
    "UnknownPartitionError",
    "UnknownPriceListError",
    "customer_view",
    "partition_version",
    "prices_partition",
    "product_rules",
]
