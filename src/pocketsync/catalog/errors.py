"""Errors raised by :mod:`pocketsync.catalog`.

Every class derives from :class:`pocketsync.errors.CatalogError` and sets a stable
``code`` and an HTTP ``status_hint``. A publisher call that raises one of these has
changed nothing: input is checked before a row or a partition version is written.
"""

from __future__ import annotations

from pocketsync.errors import CatalogError

__all__ = [
    "CatalogBusyError",
    "CatalogError",
    "CategoryCycleError",
    "CategoryNotEmptyError",
    "DuplicatePriceListError",
    "InvalidCategoryError",
    "InvalidCursorError",
    "InvalidHorizonError",
    "InvalidPriceError",
    "InvalidPriceListError",
    "InvalidProductError",
    "UnknownCategoryError",
    "UnknownPartitionError",
    "UnknownPriceListError",
]


class InvalidCategoryError(CatalogError):
    """A category value is malformed (empty id or name, a parent equal to itself, ...)."""

    code = "invalid_category"
    status_hint = 422


class InvalidProductError(CatalogError):
    """A product value is malformed (empty sku, pack size below 1, float in attributes, ...)."""

    code = "invalid_product"
    status_hint = 422


class InvalidPriceListError(CatalogError):
    """A price list value is malformed (empty id or name, currency not an ISO code)."""

    code = "invalid_price_list"
    status_hint = 422


class InvalidPriceError(CatalogError):
    """Price breaks are malformed (money not an integer, repeated or non-positive min_qty)."""

    code = "invalid_price"
    status_hint = 422


class UnknownCategoryError(CatalogError):
    """A product or category names a category that does not exist (or was deleted)."""

    code = "unknown_category"
    status_hint = 422


class UnknownPriceListError(CatalogError):
    """A price list id that was never created."""

    code = "unknown_price_list"
    status_hint = 404


class DuplicatePriceListError(CatalogError):
    """``create_price_list`` for an id that already exists."""

    code = "price_list_exists"
    status_hint = 409


class CategoryCycleError(CatalogError):
    """Moving a category under itself or one of its descendants."""

    code = "category_cycle"
    status_hint = 409


class CategoryNotEmptyError(CatalogError):
    """Deleting a category that still has live sub-categories or products."""

    code = "category_not_empty"
    status_hint = 409


class UnknownPartitionError(CatalogError):
    """A partition id that is neither ``catalog`` nor ``prices:<existing price list>``."""

    code = "unknown_partition"
    status_hint = 404


class InvalidCursorError(CatalogError):
    """A client cursor for an unknown role, or with a negative version."""

    code = "invalid_cursor"
    status_hint = 400


class InvalidHorizonError(CatalogError):
    """A compaction horizon below zero or above the partition's current version."""

    code = "invalid_horizon"
    status_hint = 422


class CatalogBusyError(CatalogError):
    """A bundle build kept colliding with concurrent builds; the caller may retry later."""

    code = "catalog_busy"
    status_hint = 503
