"""A big file (tokenized in slices) keeps its statements' trees packed: few live at a time, and
the findings are those of live trees."""

from __future__ import annotations

import gc
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from sqlglot import exp

from sqlmig.lint import engine, lint_paths, packed, segments

from .helpers import write

CORPUS = Path(__file__).parent / "corpus"
BLOCK = """\
CREATE TABLE t_{i} (id serial PRIMARY KEY, note varchar(20), at timestamp);
CREATE INDEX t_{i}_at ON t_{i} (at);
ALTER TABLE t_{i} ADD COLUMN n int NOT NULL;
INSERT INTO t_{i} (note) VALUES ('a; b');
ALTER TABLE old_{i} DROP COLUMN legacy;
"""


def _live_creates() -> int:
    gc.collect()
    return sum(isinstance(o, exp.Create) for o in gc.get_objects())


def test_a_sliced_file_keeps_few_trees_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "0001_big.up.sql", "".join(BLOCK.format(i=i) for i in range(300)))
    monkeypatch.setattr(segments, "SLICE_CHARS", 2000)
    before = _live_creates()
    ctx = engine.load(path, "postgres", 16, parse_all=True)
    creates = [s for s in ctx.statements if s.keyword.startswith("CREATE")]
    assert len(creates) == 600
    assert _live_creates() - before <= packed.LIVE  # without packing: 600
    node = creates[-1].node  # unpacked on demand: the tree of that statement
    assert isinstance(node, exp.Create) and node.this.name == "t_299_at"
    assert creates[0].node.this.this.name == "t_0"  # a sample tree (not compressed) too


def _findings(paths: list[Path], dialect: str = "postgres") -> list:
    return list(lint_paths(paths, dialect=dialect).findings)


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_packed_trees_find_what_live_trees_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str
) -> None:
    # every corpus file, and the same files twice over in one big file (cross-statement rules
    # then read trees packed long before)
    # not 10 and 12: a COPY FROM stdin there takes the rest of the file as its data
    files = [p for p in sorted(CORPUS.glob("*.sql")) if p.name[:2] not in ("10", "12")]
    texts = [p.read_text(encoding="utf-8") for p in files]
    big = write(tmp_path, "0001_all.up.sql", "\n".join(texts * 2))
    monkeypatch.setattr(segments, "SLICE_CHARS", 1500)
    assert len(segments.bounds(big.read_text(), dialect)) > 5
    monkeypatch.setattr(engine, "PACK_SLICED", False)
    live = _findings([big], dialect)
    monkeypatch.setattr(engine, "PACK_SLICED", True)
    assert _findings([big], dialect) == live
    assert len(live) > 100


def test_a_packed_statement_survives_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "0001_big.up.sql", "".join(BLOCK.format(i=i) for i in range(60)))
    monkeypatch.setattr(segments, "SLICE_CHARS", 1000)
    ctx = engine.load(path, "postgres", 16, parse_all=True)
    stmt = ctx.statements[-1]
    assert isinstance(stmt, packed.PackedStmt)
    noted = replace(stmt, note="x")
    assert noted.node == stmt.node and noted.note == "x" and noted == replace(noted)
    assert replace(stmt, node=None).node is None


def test_threads_linting_big_files_at_once_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the unpacked trees kept live are per thread
    path = write(tmp_path, "0001_big.up.sql", "".join(BLOCK.format(i=i) for i in range(150)))
    monkeypatch.setattr(segments, "SLICE_CHARS", 1000)
    alone = _findings([path])
    results: list[list] = []
    threads = [threading.Thread(target=lambda: results.append(_findings([path]))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [alone] * 3 and alone


def test_a_tree_too_deep_to_pickle_stays_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pickler recurses once per level: a CHECK of 400 ORs is nested too deep for it
    ors = " OR ".join(f"a = {i}" for i in range(400))
    deep = f"ALTER TABLE t ADD CONSTRAINT c CHECK ({ors}) NOT VALID;\n"
    text = "".join(BLOCK.format(i=i) for i in range(20)) + deep + BLOCK.format(i=99)
    path = write(tmp_path, "0001_deep.up.sql", text)
    monkeypatch.setattr(segments, "SLICE_CHARS", 1000)
    ctx = engine.load(path, "postgres", 16, parse_all=True)
    stmt = next(s for s in ctx.statements if "CHECK" in s.sql)
    assert not isinstance(stmt, packed.PackedStmt) and isinstance(stmt.node, exp.Alter)
    other = next(s for s in ctx.statements if isinstance(s, packed.PackedStmt))
    assert replace(other, node=stmt.node).node is stmt.node  # kept live, not packed
    monkeypatch.setattr(engine, "PACK_SLICED", False)
    live = _findings([path])
    monkeypatch.setattr(engine, "PACK_SLICED", True)
    assert _findings([path]) == live


def test_a_rule_rescanning_earlier_statements_spends_a_bounded_number_of_unpackings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validate-in-same-transaction reads every earlier tree for each VALIDATE: 300 of them
    # unpacked 92,681 trees; past the budget the trees stay live
    pairs = "".join(
        f"ALTER TABLE t ADD CONSTRAINT c_{i} CHECK (a > {i}) NOT VALID;\n"
        f"ALTER TABLE t VALIDATE CONSTRAINT c_{i};\n"
        for i in range(300)
    )
    path = write(tmp_path, "0001_validate.up.sql", pairs)
    monkeypatch.setattr(segments, "SLICE_CHARS", 2000)
    monkeypatch.setattr(engine, "PACK_SLICED", False)
    live = _findings([path])
    monkeypatch.setattr(engine, "PACK_SLICED", True)
    real = packed.pickle.loads
    count = [0]

    def counted(data: bytes) -> object:
        count[0] += 1
        return real(data)

    monkeypatch.setattr(packed.pickle, "loads", counted)
    assert _findings([path]) == live and len(live) > 300
    assert count[0] <= 17 * 600  # without the budget: 92,681


def test_no_packing_where_trees_do_not_come_back_equal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a sqlglot build whose nodes do not pickle this way (checked once, on the first tree)
    path = write(tmp_path, "0001_big.up.sql", "".join(BLOCK.format(i=i) for i in range(60)))
    monkeypatch.setattr(segments, "SLICE_CHARS", 1000)
    monkeypatch.setattr(packed, "_ROUND_TRIP", [False])
    ctx = engine.load(path, "postgres", 16, parse_all=True)
    assert not any(isinstance(s, packed.PackedStmt) for s in ctx.statements)
    monkeypatch.setattr(packed, "_ROUND_TRIP", [])
    ctx = engine.load(path, "postgres", 16, parse_all=True)
    assert packed._ROUND_TRIP == [True]
    assert any(isinstance(s, packed.PackedStmt) for s in ctx.statements)
