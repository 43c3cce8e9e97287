"""The statements of a big file keep their sqlglot trees packed (pickled bytes, ~1.6 kB a DDL
statement instead of ~9 kB of live nodes), unpacked when a rule reads `stmt.node`.

The rules read every earlier statement's tree (file-level and cross-statement rules), so a
5 MB file's 32,000 live trees took ~280 MB. Packed, they take ~50 MB; the cost is one unpacking
per pass over the file (about a quarter of the parse time each). The last few unpacked trees
stay live (a rule reads the tree of the statement it checks many times in a row).
"""

from __future__ import annotations

import copyreg
import io
import pickle
import threading
import zlib
from collections import deque
from dataclasses import fields
from typing import Any

from sqlglot import exp

from .context import Stmt

LIVE = 8  # unpacked trees kept per thread: the statement being checked and a few before it
SAMPLE = 16  # a file's first trees, kept raw: the dictionary its later trees are compressed with
# unpackings a file may spend per packed statement (a run of the rules spends about 5); past
# that, a rule is rescanning earlier statements (validate-in-same-transaction reads every earlier
# tree for each VALIDATE: quadratic), and each tree unpacked from then on is kept live
BUDGET = 16
_SLOTS: tuple[str, ...] = getattr(exp.Expression, "__slots__", ())
_DATA_TYPE = exp.DataType.Type


def _reduce_node(node: exp.Expression) -> tuple[Any, ...]:
    # the slots as state: unpickling rebuilds the node in C (sqlglot's own __reduce__ goes
    # through its Python serde, 5x slower)
    state = {name: getattr(node, name) for name in _SLOTS}
    return copyreg.__newobj__, (type(node),), (None, state)  # type: ignore[attr-defined]


def _reduce_type(member: Any) -> tuple[Any, ...]:
    return getattr, (_DATA_TYPE, member.name)


class _Table(dict):
    """A pickler dispatch table: every sqlglot node class, found on first use."""

    def __missing__(self, cls: type) -> Any:
        if issubclass(cls, exp.Expression):
            self[cls] = _reduce_node
            return _reduce_node
        if cls is _DATA_TYPE:
            self[cls] = _reduce_type
            return _reduce_type
        raise KeyError(cls)

    def get(self, cls: type, default: Any = None) -> Any:  # what the pickler calls
        try:
            return self[cls]
        except KeyError:
            return default


_TABLE = _Table(copyreg.dispatch_table)


def pack(node: Any) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _TABLE
    pickler.dump(node)
    return out.getvalue()


_ROUND_TRIP: list[bool] = []  # [] until the first tree is tried


def _round_trips(tree: Any, raw: bytes) -> bool:
    """Does a packed tree come back equal, in this process's sqlglot (a compiled build such as
    sqlglotc may lay its nodes out otherwise)? Tried once; no packing when not."""
    if not _ROUND_TRIP:
        try:
            back = pickle.loads(raw)
            same = _SLOTS != () and type(back) is type(tree) and back == tree
            same = same and back.sql() == tree.sql()
        except Exception:
            same = False
        _ROUND_TRIP.append(same)
    return _ROUND_TRIP[0]


class Packer:
    """Packs one file's trees: pickled, then compressed with a dictionary of the file's first
    trees (the pickles of similar statements share most of their bytes: 10x smaller)."""

    def __init__(self) -> None:
        self.sample: list[bytes] = []
        self.zdict: bytes | None = None
        self.budget = [0]  # unpackings left, shared by the file's statements

    def stmt(self, stmt: Stmt) -> Stmt:
        """The statement with its tree packed, or as it was when the tree cannot be pickled
        (nested deeper than the pickler's recursion limit: a CHECK of 300 ORs) or this build
        of sqlglot cannot be packed this way (checked on the first tree)."""
        try:
            raw = pack(stmt.node)
        except Exception:
            return stmt
        if not _round_trips(stmt.node, raw):
            return stmt
        out = PackedStmt(**{f.name: getattr(stmt, f.name) for f in _FIELDS if f.name != "node"})
        self.budget[0] += BUDGET
        out.__dict__["_budget"] = self.budget
        if self.zdict is None:
            out.__dict__["_packed"] = raw
            self.sample.append(raw)
            if len(self.sample) == SAMPLE:
                self.zdict = b"".join(self.sample)[-32768:]
        else:
            squeeze = zlib.compressobj(1, zdict=self.zdict)
            out.__dict__["_packed"] = squeeze.compress(raw) + squeeze.flush()
            out.__dict__["_zdict"] = self.zdict
        return out


_RECENT = threading.local()


class PackedStmt(Stmt):
    """A Stmt whose tree is kept as bytes; `node` unpacks it (the same tree, a new object
    when it was unpacked long ago)."""

    @property  # type: ignore[override]
    def node(self) -> Any:
        for name in ("_live", "_kept"):
            live = self.__dict__.get(name)
            if live is not None:
                return live
        packed = self.__dict__.get("_packed")
        if packed is None:
            return None
        zdict = self.__dict__.get("_zdict")
        if zdict is not None:
            packed = zlib.decompressobj(zdict=zdict).decompress(packed)
        tree = pickle.loads(packed)
        budget = self.__dict__.get("_budget")
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0:  # spent: live from now on
                self.__dict__["_kept"] = tree
                return tree
        recent = getattr(_RECENT, "stmts", None)
        if recent is None:
            recent = _RECENT.stmts = deque()
        recent.append(self)
        self.__dict__["_live"] = tree
        if len(recent) > LIVE:
            recent.popleft().__dict__.pop("_live", None)
        return tree

    @node.setter
    def node(self, tree: Any) -> None:  # dataclass __init__ (frozen: via object.__setattr__)
        for name in ("_packed", "_zdict", "_live", "_kept"):
            self.__dict__.pop(name, None)
        try:
            self.__dict__["_packed"] = None if tree is None else pack(tree)
        except Exception:  # too deep to pickle: kept as it is
            self.__dict__["_kept"] = tree


_FIELDS = fields(Stmt)
