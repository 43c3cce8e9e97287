"""The lint cache: a file's findings come back from .sqlmig_cache/ only while nothing they
depend on (the file, its pair, its folder's duplicate versions, the settings, sqlmig) changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sqlmig.errors import MigrationFileError
from sqlmig.files import MAX_FILE_BYTES
from sqlmig.lint import LintReport, cache, lint_paths
from tests.conftest import sqlmig

from .helpers import write

UP = "CREATE TABLE t (id bigint PRIMARY KEY, a json);\nCREATE INDEX o_a ON other (a);\n"
DOWN = "DROP TABLE t;\n"


def folder_of(tmp_path: Path) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, "0001_t.up.sql", UP)
    write(folder, "0001_t.down.sql", DOWN)
    write(folder, "0002_u.up.sql", "ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 1;\n")
    write(folder, "0002_u.down.sql", "ALTER TABLE t DROP COLUMN b;\n")
    return folder


def lint(folder: Path, store: Path, **options: object) -> LintReport:
    return lint_paths([folder], cache_dir=store, **options)  # type: ignore[arg-type]


def seen(report: LintReport) -> list[tuple[str, int, str, str]]:
    return [(f.path, f.line, f.code, f.message) for f in report.findings]


def test_a_second_run_serves_every_file_from_the_cache(tmp_path: Path) -> None:
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    first = lint(folder, store)
    assert first.cached == 0 and first.findings
    second = lint(folder, store)
    assert second.cached == 4
    assert seen(second) == seen(first) == seen(lint_paths([folder]))
    assert second.findings == first.findings  # severity and help too
    assert (store / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_changed_file_misses_and_its_pair_too(tmp_path: Path) -> None:
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    lint(folder, store)
    # the down file drops what its up created: fine; once the up stops creating it, not
    write(folder, "0001_t.up.sql", "ALTER TABLE t2 ADD COLUMN c int;\n")
    report = lint(folder, store)
    assert report.cached == 2  # 0002's files; 0001's up and (through its pair) its down missed
    assert seen(report) == seen(lint_paths([folder]))
    assert any(f.path.endswith("0001_t.down.sql") and f.code == "D201" for f in report.findings)


@pytest.mark.parametrize(
    "options",
    [
        {"pg_version": 11},
        {"dialect": "sqlite"},
        {"select": ["T301"]},
        {"ignore": ["P101"]},
    ],
)
def test_changed_settings_miss(tmp_path: Path, options: dict[str, object]) -> None:
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    lint(folder, store)
    changed = lint(folder, store, **options)
    assert changed.cached == 0
    assert seen(changed) == seen(lint_paths([folder], **options))  # type: ignore[arg-type]
    assert lint(folder, store, **options).cached == 4


def test_another_sqlmig_version_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    lint(folder, store)
    monkeypatch.setattr(cache, "__version__", "99.0.0")
    assert lint(folder, store).cached == 0
    monkeypatch.setattr(cache, "_code_stamp", lambda: "edited rules, same version number")
    assert lint(folder, store).cached == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated (a crash mid-write elsewhere)
        lambda text: "",
        lambda text: "\x00\xff garbage",
        lambda text: json.dumps({"format": 1, "entries": []}),
        lambda text: json.dumps({"format": 1, "entries": {k: [[1, "x"]] for k in _keys(text)}}),
        lambda text: json.dumps(
            {"format": 1, "entries": {k: [["1", 2, "a", "b", "c", "d", "e"]] for k in _keys(text)}}
        ),
    ],
    ids=["truncated", "empty", "binary", "wrong-shape", "short-rows", "wrong-types"],
)
def test_a_damaged_cache_file_is_ignored_and_replaced(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    first = lint(folder, store)
    (cache_file,) = store.glob("lint-*.json")
    cache_file.write_text(
        damage(cache_file.read_text()), encoding="utf-8", errors="surrogateescape"
    )
    again = lint(folder, store)
    assert again.cached == 0 and seen(again) == seen(first)
    assert lint(folder, store).cached == 4  # rewritten whole


def _keys(text: str) -> list[str]:
    return list(json.loads(text)["entries"])


def test_a_duplicate_version_added_later_is_not_served_stale(tmp_path: Path) -> None:
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    assert not any(f.code == "F704" for f in lint(folder, store).findings)
    write(folder, "0002_other.up.sql", "SELECT 1;\n")
    report = lint(folder, store)
    assert [f.path.rsplit("/", 1)[-1] for f in report.findings if f.code == "F704"] == [
        "0002_other.up.sql",
        "0002_u.up.sql",
    ]
    (folder / "0002_other.up.sql").unlink()
    assert not any(f.code == "F704" for f in lint(folder, store).findings)


def test_paths_are_shown_from_the_working_directory_of_each_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    lint(folder, store)
    monkeypatch.chdir(folder)
    report = lint(folder, store)
    assert report.cached == 4 and report.findings[0].path.startswith("0001_t.")


def test_an_unwritable_cache_folder_only_means_no_cache(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    report = lint(folder, blocker / "cache")
    assert seen(report) == seen(lint_paths([folder])) and report.cached == 0


def test_cli_keeps_the_cache_beside_sqlmig_toml_and_no_cache_skips_it(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    (tmp_path / "sqlmig.toml").write_text('dialect = "postgres"\ndir = "m"\n')
    first = sqlmig("lint", cwd=folder)  # from a subfolder: the config found upward
    assert first.returncode == 1, first.stderr
    store = tmp_path / ".sqlmig_cache"
    assert list(store.glob("lint-*.json")) and (store / ".gitignore").exists()
    again = sqlmig("lint", cwd=folder)
    assert again.stdout == first.stdout and again.returncode == 1
    for entry in store.iterdir():
        entry.unlink()
    assert sqlmig("lint", "--no-cache", cwd=folder).stdout == first.stdout
    assert list(store.iterdir()) == []
    other = tmp_path / "elsewhere"
    (tmp_path / "sqlmig.toml").write_text('dialect = "postgres"\ndir = "m"\nlint_cache_dir = "c"\n')
    sqlmig("lint", cwd=tmp_path)
    assert list((tmp_path / "c").glob("lint-*.json"))
    sqlmig("lint", "--cache-dir", str(other), cwd=tmp_path)
    assert list(other.glob("lint-*.json"))


def test_a_fully_cached_run_does_not_import_the_parser(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    code = (
        "import sys\n"
        f"sys.argv = ['sqlmig', 'lint', '--dialect', 'postgres', {str(folder)!r}]\n"
        "from sqlmig import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'sqlglot' in sys.modules, file=sys.stderr)\n"
    )
    run = [sys.executable, "-c", code]
    cold = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "LOADED True" in cold.stderr, cold.stderr
    warm = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "LOADED False" in warm.stderr, warm.stderr
    assert warm.stdout == cold.stdout and "P101" in warm.stdout


def test_concurrent_runs_leave_a_sound_cache(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    for i in range(3, 40):
        write(folder, f"{i:04d}_x{i}.up.sql", f"CREATE INDEX i{i} ON t{i} (a);\n")
    store = tmp_path / "cache"
    argv = [sys.executable, "-m", "sqlmig", "lint", "--dialect", "postgres"]
    argv += ["--cache-dir", str(store)]
    groups = [sorted(folder.glob(f"*{d}.up.sql")) for d in range(3)]
    procs = [
        subprocess.Popen([*argv, *map(str, g)], stdout=subprocess.DEVNULL, cwd=tmp_path)
        for g in groups * 2
    ]
    assert all(p.wait(timeout=120) == 1 for p in procs)
    assert not list(store.glob("*.tmp"))  # every temporary file renamed
    (cache_file,) = store.glob("lint-*.json")
    json.loads(cache_file.read_text())  # whole, whichever run wrote last
    report = lint(folder, store)
    assert seen(report) == seen(lint_paths([folder]))


def test_names_that_are_not_utf8_and_files_too_big_to_lint(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    odd = Path(os.fsdecode(bytes(folder) + b"/0001_caf\xe9 \xff.up.sql"))
    odd.write_text("CREATE INDEX i ON t (a);\n")
    store = tmp_path / "cache"
    first = lint(folder, store)
    assert first.cached == 0 and any(f.code == "P101" for f in first.findings)
    again = lint(folder, store)
    assert again.cached == 1 and again.findings == first.findings
    big = folder / "0002_big.up.sql"
    with big.open("wb") as out:  # sparse: no disk, no memory
        out.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(MigrationFileError, match="refuses files over"):
        lint(folder, store)


def test_old_cache_files_and_leftover_temporary_files_are_removed(tmp_path: Path) -> None:
    folder, store = folder_of(tmp_path), tmp_path / "cache"
    store.mkdir()
    for i in range(12):  # other settings, older sqlmig versions
        old = store / f"lint-{i:032x}.json"
        old.write_text("{}")
        os.utime(old, (1000 + i, 1000 + i))
    left = store / ".lint-abc.tmp"
    left.write_text("half a")
    os.utime(left, (1000, 1000))
    fresh = store / ".lint-running.tmp"  # another lint writing right now
    fresh.write_text("half b")
    lint(folder, store)
    names = sorted(p.name for p in store.iterdir())
    assert len([n for n in names if n.startswith("lint-")]) == cache.KEEP_FILES
    assert ".lint-abc.tmp" not in names and ".lint-running.tmp" in names
    assert lint(folder, store).cached == 4  # this run's file is among the kept
