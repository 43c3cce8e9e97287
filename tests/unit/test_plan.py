"""plan.py: pure planning over hand-built Migration / SqlFile / AppliedRow values."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlmig import plan
from sqlmig.errors import DriftError, FailedStateError, MigrationFileError, UsageError
from sqlmig.files import Migration, SqlFile
from sqlmig.history import APPLIED, FAILED, RUNNING, AppliedRow

DIR = Path("migrations")


def sql(name: str, text: str = "SELECT 1;", checksum: str | None = None) -> SqlFile:
    return SqlFile(DIR / name, text, checksum or f"sha256:{name}", transactional=True)


def mig(version: int, name: str, *, down: bool = True, vtext: str | None = None) -> Migration:
    vtext = vtext or f"{version:04d}"
    label = f"{vtext}_{name}"
    return Migration(
        version=version,
        version_text=vtext,
        name=name,
        up=sql(f"{label}.up.sql"),
        down=sql(f"{label}.down.sql", f"-- undo {name}") if down else None,
    )


def row(
    m: Migration | None = None,
    *,
    version: int | None = None,
    name: str | None = None,
    checksum: str | None = None,
    status: str = APPLIED,
    down_sql: str | None = None,
    down_checksum: str | None = None,
    statements_done: int | None = None,
    error: str | None = None,
) -> AppliedRow:
    """A history row for `m` as it was applied (its checksums), with overrides."""
    if m is not None:
        version = m.version if version is None else version
        name = m.name if name is None else name
        checksum = m.up.checksum if checksum is None else checksum
        if m.down is not None and down_sql is None:
            down_sql, down_checksum = m.down.text, down_checksum or m.down.checksum
    assert version is not None
    assert name is not None
    return AppliedRow(
        version=version,
        name=name,
        checksum=checksum or "sha256:x",
        down_sql=down_sql,
        down_checksum=down_checksum,
        status=status,
        applied_at="2026-01-01T00:00:00.000+00:00",
        applied_by="ci@host",
        duration_ms=5,
        statements_done=statements_done,
        error=error,
    )


M1, M2, M3, M10 = mig(1, "one"), mig(2, "two"), mig(3, "three"), mig(10, "ten")
FILES = [M1, M2, M3, M10]


# --- pending / select_up / out_of_order ---------------------------------------------------------


def test_pending_is_every_file_without_a_row_in_file_order() -> None:
    assert plan.pending(FILES, [row(M1), row(M3)]) == [M2, M10]


def test_pending_counts_failed_rows_as_not_pending() -> None:
    assert plan.pending(FILES, [row(M1, status=FAILED)]) == [M2, M3, M10]


def test_pending_with_no_history() -> None:
    assert plan.pending(FILES, []) == FILES


@pytest.mark.parametrize(
    ("to", "steps", "expected"),
    [
        (None, None, [M1, M2, M3, M10]),
        (3, None, [M1, M2, M3]),
        (2, None, [M1, M2]),
        (0, None, []),
        (None, 2, [M1, M2]),
        (None, 0, []),
        (None, 9, [M1, M2, M3, M10]),
        (10, 3, [M1, M2, M3]),
        (2, 3, [M1, M2]),
        (9, None, [M1, M2, M3]),
    ],
)
def test_select_up(to: int | None, steps: int | None, expected: list[Migration]) -> None:
    assert plan.select_up(FILES, to=to, steps=steps) == expected


def test_out_of_order_is_pending_below_the_newest_applied() -> None:
    rows = [row(M1), row(M10)]
    todo = plan.pending(FILES, rows)
    assert todo == [M2, M3]
    assert plan.out_of_order(todo, rows) == [M2, M3]


def test_out_of_order_is_empty_without_history_or_when_in_order() -> None:
    assert plan.out_of_order(FILES, []) == []
    assert plan.out_of_order([M3, M10], [row(M1), row(M2)]) == []


# --- select_down ------------------------------------------------------------------------------


ROWS = [row(M1), row(M2), row(M3), row(M10)]


def versions(rows: list[AppliedRow]) -> list[int]:
    return [r.version for r in rows]


def test_select_down_defaults_to_the_newest_one() -> None:
    assert versions(plan.select_down(ROWS, to=None, steps=None, all_=False)) == [10]


def test_select_down_steps_are_newest_first() -> None:
    shuffled = [ROWS[2], ROWS[0], ROWS[3], ROWS[1]]
    assert versions(plan.select_down(shuffled, to=None, steps=3, all_=False)) == [10, 3, 2]


def test_select_down_to_keeps_the_target_applied() -> None:
    assert versions(plan.select_down(ROWS, to=2, steps=None, all_=False)) == [10, 3]
    assert versions(plan.select_down(ROWS, to=0, steps=None, all_=False)) == [10, 3, 2, 1]
    assert versions(plan.select_down(ROWS, to=10, steps=None, all_=False)) == []


def test_select_down_all_is_everything_newest_first() -> None:
    assert versions(plan.select_down(ROWS, to=None, steps=None, all_=True)) == [10, 3, 2, 1]


def test_select_down_with_no_history() -> None:
    assert plan.select_down([], to=None, steps=None, all_=False) == []


# --- drift ------------------------------------------------------------------------------------


def test_no_drift_when_files_match() -> None:
    assert plan.drift(FILES, ROWS) == []


def test_edited_file() -> None:
    [found] = plan.drift(FILES, [row(M1), row(M2, checksum="sha256:old")])
    assert found == plan.Drift(2, "two", "edited", "sha256:old", M2.up.checksum, M2.up.path)
    assert found.describe() == (
        f"{M2.up.path} was edited after it was applied (recorded sha256:old, now {M2.up.checksum})"
    )


def test_renamed_file() -> None:
    [found] = plan.drift(FILES, [row(M3, name="three_old")])
    assert found.kind == "renamed"
    assert (found.version, found.name, found.path) == (3, "three_old", M3.up.path)
    assert found.describe() == f"{M3.up.path} was applied under the name 'three_old'"


def test_missing_file() -> None:
    [found] = plan.drift(FILES, [row(version=7, name="gone", checksum="sha256:g")])
    assert found == plan.Drift(7, "gone", "missing", "sha256:g", None, None, "0007_gone")
    assert found.describe() == "0007_gone is applied but its file is missing"


def test_several_drifts_in_history_order() -> None:
    rows = [row(M1, checksum="sha256:e"), row(version=5, name="x"), row(M3, name="y")]
    assert [d.kind for d in plan.drift(FILES, rows)] == ["edited", "missing", "renamed"]


@pytest.mark.parametrize("status", [FAILED, RUNNING])
def test_unfinished_row_with_other_checksum_is_not_edited(status: str) -> None:
    assert plan.drift(FILES, [row(M2, checksum="sha256:other", status=status)]) == []


def test_drift_error() -> None:
    found = plan.drift(FILES, [row(M2, checksum="sha256:old"), row(version=7, name="gone")])
    error = plan.drift_error(found)
    assert isinstance(error, DriftError)
    assert error.exit_code == 4
    assert error.message == (
        "2 applied migration(s) no longer match their files; nothing was run:\n"
        f"  {M2.up.path} was edited after it was applied "
        f"(recorded sha256:old, now {M2.up.checksum})\n"
        "  0007_gone is applied but its file is missing"
    )
    assert error.hint is not None
    assert "sqlmig repair" in error.hint
    assert "--allow-drift" in error.hint


def test_drift_error_says_each_kind_next_step_once() -> None:
    renamed = row(M1, name="old_name")
    reused = row(M2, name="other", checksum="sha256:other")
    found = plan.drift(FILES, [renamed, reused, row(version=7, name="gone")])
    assert [d.kind for d in found] == ["renamed", "renamed", "missing"]
    assert [d.repairable for d in found] == [True, False, False]
    hint = plan.drift_error(found, allow_drift=False).hint or ""
    assert "`sqlmig repair` records the new name of a renamed file" in hint
    assert "renumber it" in hint
    assert "`sqlmig mark VERSION --pending`" in hint
    assert "--allow-drift" not in hint  # validate has no such option
    assert "holds other content" in found[1].describe()


def test_down_drift_is_an_edited_down_file_only() -> None:
    rows = [
        row(M1, down_checksum="sha256:stored"),  # its down file was edited since
        row(M2, down_sql=None, down_checksum=None),  # a down file added since: not drift
        row(M3, down_checksum="sha256:stored", status=FAILED),  # a failed state, not drift
    ]
    found = plan.down_drift(FILES, rows)
    assert [(d.version, d.kind, d.recorded) for d in found] == [(1, "edited_down", "sha256:stored")]
    assert plan.drift(FILES, rows[:1]) == []  # not an edited up file
    assert "restore an edited down file" in (plan.drift_error(found).hint or "")


# --- check_failed -----------------------------------------------------------------------------


def test_check_failed_passes_when_everything_is_applied() -> None:
    plan.check_failed(ROWS, plan.by_version(FILES))
    plan.check_failed([], {})


def test_check_failed_describes_each_bad_row() -> None:
    rows = [
        row(M1),
        row(M2, status=FAILED, statements_done=2, error='relation "t" does not exist'),
        row(M3, status=RUNNING, statements_done=0),
    ]
    with pytest.raises(FailedStateError) as info:
        plan.check_failed(rows, plan.by_version(FILES))
    assert info.value.exit_code == 5
    assert info.value.message == (
        "the database is in a partial state; nothing was run:\n"
        '  0002_two: failed, 2 statement(s) done: relation "t" does not exist\n'
        "  0003_three: running, 0 statement(s) done"
    )
    assert info.value.hint is not None
    assert "sqlmig repair" in info.value.hint
    assert "for 2 (two): undo what ran by hand" in info.value.hint
    assert "`sqlmig mark 3 --applied`" in info.value.hint


def test_check_failed_says_a_stopped_down_goes_back_to_applied_or_is_marked_pending() -> None:
    stopped = row(M2, status=FAILED, error="reverting: boom")
    with pytest.raises(FailedStateError) as info:
        plan.check_failed([stopped], {})
    assert info.value.hint == (
        "check those migrations' objects by hand; then " + plan.settle_hint("down", 2)
    )
    assert "`sqlmig mark 2 --pending`" in info.value.hint


# --- down_step --------------------------------------------------------------------------------


def test_down_step_uses_the_file_when_present() -> None:
    step = plan.down_step(row(M2), M2, allow_drift=False)
    assert step.label == "0002_two"
    assert step.sql is M2.down
    assert step.row == row(M2)


def test_down_step_uses_the_file_when_no_down_checksum_was_stored() -> None:
    r = row(version=2, name="two", checksum=M2.up.checksum)
    assert plan.down_step(r, M2, allow_drift=False).sql is M2.down


def test_down_step_refuses_a_changed_down_file() -> None:
    r = row(M2, down_sql="DROP TABLE old;", down_checksum="sha256:stored")
    assert M2.down is not None
    with pytest.raises(DriftError) as info:
        plan.down_step(r, M2, allow_drift=False)
    assert info.value.exit_code == 4
    assert info.value.message == (
        f"{M2.down.path} differs from the down SQL stored when 0002_two was applied "
        f"(stored sha256:stored, now {M2.down.checksum}); nothing was run"
    )


def test_down_step_runs_a_changed_down_file_with_allow_drift() -> None:
    r = row(M2, down_sql="DROP TABLE old;", down_checksum="sha256:stored")
    assert plan.down_step(r, M2, allow_drift=True).sql is M2.down


def test_down_step_uses_stored_sql_when_the_migration_is_gone() -> None:
    r = row(version=4, name="four", down_sql="DROP TABLE four;", down_checksum="sha256:d4")
    step = plan.down_step(r, None, allow_drift=False)
    assert step.label == "0004_four"
    assert step.sql == SqlFile(
        Path("<down SQL of 0004_four stored in the history>"),
        "DROP TABLE four;",
        "sha256:d4",
        True,
    )


def test_down_step_uses_stored_sql_when_only_the_down_file_is_gone() -> None:
    no_down = mig(2, "two", down=False)
    r = row(no_down, down_sql="DROP TABLE two;", down_checksum="sha256:d2")
    step = plan.down_step(r, no_down, allow_drift=False)
    assert step.label == "0002_two"
    assert step.sql.text == "DROP TABLE two;"
    assert step.sql.path == Path("<down SQL of 0002_two stored in the history>")
    assert step.sql.transactional is True


def test_stored_down_sql_honours_no_transaction() -> None:
    text = "-- reverts the index\n-- sqlmig:no-transaction\nDROP INDEX CONCURRENTLY i;\n"
    r = row(version=4, name="four", down_sql=text, down_checksum="sha256:d4")
    step = plan.down_step(r, None, allow_drift=False)
    assert step.sql.transactional is False
    assert step.sql.text == text


def test_stored_down_sql_with_a_bad_directive_names_its_origin() -> None:
    r = row(version=4, name="four", down_sql="-- sqlmig:nope\nDROP TABLE x;")
    with pytest.raises(MigrationFileError) as info:
        plan.down_step(r, None, allow_drift=False)
    assert info.value.message == (
        "<down SQL of 0004_four stored in the history>: unknown directive '-- sqlmig:nope'"
    )


def test_down_step_of_an_irreversible_migration() -> None:
    no_down = mig(3, "three", down=False)
    with pytest.raises(UsageError) as info:
        plan.down_step(row(no_down), no_down, allow_drift=False)
    assert info.value.exit_code == 2
    assert info.value.message == (
        "0003_three is irreversible: it has no down file and none was stored"
    )
    assert info.value.hint == (
        "write 0003_three.down.sql (`down` then runs it), or revert it by hand and record "
        "that with `sqlmig mark 3 --pending --reason TEXT`"
    )


def test_down_step_irreversible_and_missing_uses_the_recorded_name() -> None:
    with pytest.raises(UsageError) as info:
        plan.down_step(row(version=9, name="nine"), None, allow_drift=False)
    assert info.value.message == (
        "0009_nine is irreversible: it has no down file and none was stored"
    )


# --- labels: one spelling of a migration in every message --------------------------------------


def test_label_keeps_the_files_padding_for_renamed_and_missing_rows() -> None:
    files = plan.by_version(FILES)
    assert plan.label_of(2, "two", files) == "0002_two"
    assert plan.label_of(3, "three_old", files) == "0003_three_old"  # renamed: the file's 0003
    assert plan.label_of(12, "a1", files) == "0012_a1"  # missing: padded like the folder
    assert plan.label_of(12, "a1", {}) == "0012_a1"  # an empty folder: sqlmig new's 4 digits
    plain = plan.by_version([mig(1, "one", vtext="1"), mig(20261121093000, "ts")])
    assert plan.label_of(3, "gone", plain) == "3_gone"  # a folder that does not pad


def test_partial_state_of_a_missing_file_uses_the_label() -> None:
    with pytest.raises(FailedStateError) as info:
        plan.check_failed([row(version=12, name="a1", status=FAILED)], plan.by_version(FILES))
    assert "  0012_a1: failed, 0 statement(s) done" in info.value.message
