"""Generate the migration folders the comparisons run against."""

from __future__ import annotations

from pathlib import Path


def _write_pair(folder: Path, version: int, slug: str, up: str, down: str) -> None:
    stem = f"{version:04d}_{slug}"
    (folder / f"{stem}.up.sql").write_text(up, encoding="utf-8")
    (folder / f"{stem}.down.sql").write_text(down, encoding="utf-8")


def small_tables(folder: Path, count: int) -> Path:
    """`count` migrations, each creating one small table (works on PostgreSQL and SQLite)."""
    folder.mkdir(parents=True, exist_ok=True)
    for v in range(1, count + 1):
        up = f"CREATE TABLE noop_{v:04d} (id bigint PRIMARY KEY, note text);\n"
        _write_pair(folder, v, f"create_noop_{v:04d}", up, f"DROP TABLE noop_{v:04d};\n")
    return folder


def apply_sql(v: int) -> str:
    """One migration of the apply comparison: a table, two indexes, a column, three rows."""
    t = f"t_{v:04d}"
    return (
        f"CREATE TABLE {t} (id bigint PRIMARY KEY, a int, b text);\n"
        f"CREATE INDEX {t}_a ON {t} (a);\n"
        f"CREATE INDEX {t}_b ON {t} (b);\n"
        f"ALTER TABLE {t} ADD COLUMN c int;\n"
        f"INSERT INTO {t} (id, a, b, c) VALUES (1, 10, 'one', 100);\n"
        f"INSERT INTO {t} (id, a, b, c) VALUES (2, 20, 'two', 200);\n"
        f"INSERT INTO {t} (id, a, b, c) VALUES (3, 30, 'three', 300);\n"
    )


def apply_set(folder: Path, count: int) -> Path:
    """`count` apply migrations (with down files) in `folder`; returns all.sql beside it.

    all.sql is the up files concatenated in version order, for `psql -1 -f`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for v in range(1, count + 1):
        _write_pair(folder, v, f"create_t_{v:04d}", apply_sql(v), f"DROP TABLE t_{v:04d};\n")
    combined = folder.parent / "all.sql"
    ups = sorted(folder.glob("*.up.sql"))
    combined.write_text("".join(p.read_text(encoding="utf-8") for p in ups), encoding="utf-8")
    return combined
