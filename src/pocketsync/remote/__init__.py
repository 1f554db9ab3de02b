"""Cart, favourites and settings that merge across devices (issue 3).

Pure core: :mod:`~pocketsync.remote.ops`, :mod:`~pocketsync.remote.hlc`,
:mod:`~pocketsync.remote.state`, :mod:`~pocketsync.remote.replay`, :mod:`~pocketsync.remote.wire`.
Adapters: :class:`RemoteStateServer` (SQLAlchemy) and :class:`RemoteStateClient` (sqlite3).
The merge rules are written down in ``docs/merge.md``.
"""

from pocketsync.remote.client_store import RemoteStateClient, client_file
from pocketsync.remote.errors import (
    ClientOwnerMismatchError,
    ClockSkewError,
    MalformedPullError,
    MalformedPushError,
    MalformedResponseError,
    SequenceGapError,
    UnknownOperationError,
    WrongAccountError,
)
from pocketsync.remote.hlc import Hlc, HybridClock, Stamp
from pocketsync.remote.local import LocalState
from pocketsync.remote.messages import PullRequest, PullResponse, PushRequest, PushResponse
from pocketsync.remote.ops import (
    AddLine,
    AddQty,
    Envelope,
    FavAdd,
    FavMove,
    FavRemove,
    Op,
    OpResult,
    OpStatus,
    RemoveLine,
    SetNote,
    SetQty,
    SettingDelete,
    SettingPut,
    SettingValue,
)
from pocketsync.remote.rank import rank_after, rank_between
from pocketsync.remote.replay import Replica
from pocketsync.remote.rules import DictProductRules, ProductRule, ProductRules, normalize_qty
from pocketsync.remote.server_store import (
    ProductRulesSource,
    RemoteStateServer,
    RetentionPolicy,
    StoreStats,
)
from pocketsync.remote.settings import DEFAULT_SETTINGS, SettingSpec, SettingsRegistry
from pocketsync.remote.state import FavView, LineView, RemoteView
from pocketsync.remote.wire import (
    decode_pull_request,
    decode_pull_response,
    decode_push_request,
    decode_push_response,
    encode_pull_request,
    encode_pull_response,
    encode_push_request,
    encode_push_response,
    pack,
    unpack,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "AddLine",
    "AddQty",
    "ClientOwnerMismatchError",
    "ClockSkewError",
    "DictProductRules",
    "Envelope",
    "FavAdd",
    "FavMove",
    "FavRemove",
    "FavView",
    "Hlc",
    "HybridClock",
    "LineView",
    "LocalState",
    "MalformedPullError",
    "MalformedPushError",
    "MalformedResponseError",
    "Op",
    "OpResult",
    "OpStatus",
    "ProductRule",
    "ProductRules",
    "ProductRulesSource",
    "PullRequest",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "RemoteStateClient",
    "RemoteStateServer",
    "RemoteView",
    "RemoveLine",
    "Replica",
    "RetentionPolicy",
    "SequenceGapError",
    "SetNote",
    "SetQty",
    "SettingDelete",
    "SettingPut",
    "SettingSpec",
    "SettingValue",
    "SettingsRegistry",
    "Stamp",
    "StoreStats",
    "UnknownOperationError",
    "WrongAccountError",
    "client_file",
    "decode_pull_request",
    "decode_pull_response",
    "decode_push_request",
    "decode_push_response",
    "encode_pull_request",
    "encode_pull_response",
    "encode_push_request",
    "encode_push_response",
    "normalize_qty",
    "pack",
    "rank_after",
    "rank_between",
    "unpack",
]
