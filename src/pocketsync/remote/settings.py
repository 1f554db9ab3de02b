"""The settings registry: which keys exist and what values they accept.

The platform extends the default registry with its own keys
(``DEFAULT_SETTINGS.extended({...})``). Unknown keys and ill-typed values are rejected at
replay, per operation, so one bad setting does not block the rest of a push.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pocketsync.remote.ops import SettingValue, check_setting_key

__all__ = ["DEFAULT_SETTINGS", "SettingSpec", "SettingsRegistry"]

_TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool, "bytes": bytes}


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """The accepted values of one setting.

    ``kind`` is one of ``str``, ``int``, ``bool``, ``bytes``; ``choices`` (optional) lists the
    only accepted values; ``max_len`` bounds str/bytes; ``min_value``/``max_value`` bound ints.
    """

    kind: str
    choices: tuple[SettingValue, ...] = ()
    max_len: int = 200
    min_value: int = -(2**53)
    max_value: int = 2**53

    def __post_init__(self) -> None:
        if self.kind not in _TYPES:
            raise ValueError(f"unknown setting kind {self.kind!r}")

    def problem(self, value: SettingValue) -> str | None:
        """Return None when ``value`` is acceptable, else a short reason."""
        # bool is an int in Python; compare exact types so True is not a valid int.
        if type(value) is not _TYPES[self.kind]:
            return f"expected {self.kind}"
        if self.choices and value not in self.choices:
            return "not one of the allowed choices"
        if isinstance(value, str | bytes) and len(value) > self.max_len:
            return f"longer than {self.max_len}"
        if type(value) is int and not self.min_value <= value <= self.max_value:
            return "out of range"
        return None


@dataclass(frozen=True, slots=True)
class SettingsRegistry:
    """An immutable mapping of setting key to :class:`SettingSpec`."""

    specs: Mapping[str, SettingSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in self.specs:
            check_setting_key(key)

    def extended(self, more: Mapping[str, SettingSpec]) -> SettingsRegistry:
        """Return a registry with ``more`` added (a key in both takes the new spec)."""
        return SettingsRegistry({**self.specs, **more})

    def problem(self, key: str, value: SettingValue | None) -> tuple[str, str] | None:
        """Return None if ``key`` (and ``value``, unless deleting) is acceptable, else
        ``(code, detail)`` with code ``unknown_setting`` or ``invalid_setting_value``."""
        spec = self.specs.get(key)
        if spec is None:
            return ("unknown_setting", key)
        if value is None:
            return None
        reason = spec.problem(value)
        return None if reason is None else ("invalid_setting_value", reason)


DEFAULT_SETTINGS = SettingsRegistry(
    {
        "default_delivery_address": SettingSpec("str", max_len=64),
        "default_category_view": SettingSpec("str", choices=("grid", "list")),
        "order_reference": SettingSpec("str", max_len=64),
        "cost_centre": SettingSpec("str", max_len=64),
        "show_net_prices": SettingSpec("bool"),
        "page_size": SettingSpec("int", min_value=10, max_value=200),
    }
)
