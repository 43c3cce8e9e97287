"""Issue 11's output and configuration items, through the real CLI: labels, one line per
migration, timestamps, durations, the config file found upward, `new`'s guards."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import sqlmig, write


def test_config_file_is_found_upward_and_its_paths_are_its_own(tmp_path: Path) -> None:
    """From a subfolder, sqlmig.toml above is used, and its sqlite:///app.db and dir name the
    files beside it, not a new empty database in the subfolder."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "sqlmig.toml").write_text(
        'url = "sqlite:///app.db"\ndir = "db"\nlock_timeout = "60s"\n', "utf-8"
    )
    (tmp_path / "db").mkdir()
    write(tmp_path / "db", "0001_users", "CREATE TABLE users (id int);\n")
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    done = sqlmig("up", cwd=deep)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app.db").is_file()
    assert not (deep / "app.db").exists()
    assert sqlmig("current", cwd=deep).stdout.strip() == "0001_users"


def test_durations_are_read_the_same_way_by_every_flag(sqlite_url: str, migrations: Path) -> None:
    args = ("--url", sqlite_url, "--dir", str(migrations))
    assert sqlmig(*args, "--lock-timeout", "2min", "status").returncode == 0
    assert sqlmig(*args, "wait", "--timeout", "1500ms").returncode == 0
    assert sqlmig(*args, "up", "--wait", "30s").returncode == 0
    bad = sqlmig(*args, "--lock-timeout", "soon", "status")
    assert bad.returncode == 2
    assert "--lock-timeout has a bad value 'soon'" in bad.stderr
    assert "60s" in bad.stderr  # the hint shows the accepted forms


def test_unknown_setting_gets_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "sqlmig.toml").write_text('url = "sqlite:///x.db"\ndri = "db"\n', "utf-8")
    proc = sqlmig("status", cwd=tmp_path)
    assert proc.returncode == 2
    assert "dri: did you mean `dir`?" in proc.stderr


def test_one_label_and_one_time_format_on_every_database(any_url: str, migrations: Path) -> None:
    """`0012_a1` (the version as the files pad it, then the name) for a renamed and a missing
    file, in status, history and errors; times as `2026-12-03 07:21:09Z` whatever the database
    returns (PostgreSQL microseconds, MariaDB DATETIME(3), SQLite text); `no migration` for none."""
    import re

    args = ("--url", any_url, "--dir", str(migrations))
    write(migrations, "0011_keep", "CREATE TABLE keep (id int);\n", "DROP TABLE keep;\n")
    write(migrations, "0012_a1", "CREATE TABLE a1 (id int);\n", "DROP TABLE a1;\n")
    write(migrations, "0013_gone", "CREATE TABLE gone (id int);\n", "DROP TABLE gone;\n")
    assert sqlmig(*args, "current").stdout == "no migration\n"
    assert sqlmig(*args, "up").returncode == 0
    (migrations / "0012_a1.up.sql").rename(migrations / "0012_b2.up.sql")
    (migrations / "0012_a1.down.sql").rename(migrations / "0012_b2.down.sql")
    for direction in ("up", "down"):
        (migrations / f"0013_gone.{direction}.sql").unlink()
    # a newer file keeps 0013 in the middle: missing, not future (newer than every file)
    write(migrations, "0014_z", "CREATE TABLE z (id int);\n", "DROP TABLE z;\n")
    status = sqlmig(*args, "status").stdout
    when = r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\dZ"
    assert re.search(rf"^applied  0011_keep  {when}  ", status, re.M), status
    assert re.search(rf"^renamed  0012_a1    {when}  ", status, re.M), status
    assert re.search(rf"^missing  0013_gone  {when}  ", status, re.M), status
    assert "0013_gone is applied but its file is missing" in status
    assert not re.search(r"\b1[23] \(|\b1[23]_", status), status  # no 12 (a1), no 12_a1
    history = sqlmig(*args, "history").stdout.splitlines()
    assert [line.split()[3] for line in history] == ["0011_keep", "0012_a1", "0013_gone"]
    assert all(re.match(rf"{when}  up ", line) for line in history), history
    drift = sqlmig(*args, "up")
    assert drift.returncode == 4
    assert "0013_gone is applied but its file is missing" in drift.stderr
    doc = __import__("json").loads(sqlmig(*args, "--json", "status").stdout)
    stamps = [r["applied_at"] for r in doc["rows"] if r["state"] != "pending"]
    assert all(re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", s) for s in stamps)


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run sqlmig with stdout and stderr on one pseudo-terminal, as a user at a shell sees it;
    return its exit code and the lines the terminal shows (progress-line redraws removed)."""
    import re

    from tests.cli.helpers import on_a_terminal
    from tests.conftest import ROOT

    code, text = on_a_terminal(*args, cwd=ROOT, env={"NO_COLOR": "1"})
    text = text.replace("\r\n", "\n")
    text = re.sub(r"\r\x1b\[K|\[\d+/\d+\] \S*  \d+\.\d s", "", text)  # the redrawn line
    return code, text


def test_a_terminal_shows_one_line_per_migration(any_url: str, migrations: Path) -> None:
    """Not `applying X`, `applied X (4 ms)`, then `up X 4 ms`: one line per migration applied or
    reverted, with its time, then where the database is; the empty one says `0 statements`."""
    import re

    write(migrations, "0001_users", "CREATE TABLE users (id int);\n", "DROP TABLE users;\n")
    write(migrations, "0002_posts", "CREATE TABLE posts (id int);\n", "DROP TABLE posts;\n")
    write(migrations, "0003_later", "-- to do\n/* nothing yet */\n", "-- nothing\n")
    args = ("--url", any_url, "--dir", str(migrations))
    code, shown = _on_a_terminal(*args, "up")
    assert code == 0, shown
    db = r"Database: [^\n]+\n"  # which database, first (issue 11, item 7)
    assert re.fullmatch(
        db + r"applied 0001_users \(\d+ ms\)\n"
        r"applied 0002_posts \(\d+ ms\)\n"
        r"applied 0003_later \(0 statements: the file holds only comments; \d+ ms\)\n"
        r"now at 0003_later\n",
        shown,
    ), shown
    code, shown = _on_a_terminal(*args, "down", "--steps", "2", "--yes")
    assert code == 0, shown
    assert re.fullmatch(
        db + r"reverted 0003_later \(\d+ ms\)\nreverted 0002_posts \(\d+ ms\)\nnow at 0001_users\n",
        shown,
    ), shown
    code, shown = _on_a_terminal(*args, "redo")
    assert code == 0, shown
    assert re.fullmatch(
        db + r"reverted 0001_users \(\d+ ms\)\napplied 0001_users \(\d+ ms\)\nnow at 0001_users\n",
        shown,
    ), shown


def test_piped_output_keeps_the_result_lines(sqlite_url: str, migrations: Path) -> None:
    """Where stdout and stderr go apart (a CI log and a file), stdout still lists each step."""
    write(migrations, "0001_users", "CREATE TABLE users (id int);\n")
    done = sqlmig("--url", sqlite_url, "--dir", str(migrations), "up")
    assert done.stdout.splitlines()[0].startswith("up   0001_users  ")
    assert "applied 0001_users (" in done.stderr


def test_new_warns_on_a_used_name_and_refuses_to_mix(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    args = ("--dir", str(folder))
    assert sqlmig(*args, "new", "add_users", cwd=tmp_path).returncode == 0
    again = sqlmig(*args, "new", "add_users", cwd=tmp_path)
    assert again.returncode == 0
    assert "warning: the name 'add_users' is already used by 0001_add_users" in again.stderr
    mixed = sqlmig(*args, "new", "later", "--timestamp", cwd=tmp_path)
    assert mixed.returncode == 2
    assert "numbers its migrations in sequence (newest: 0002_add_users)" in mixed.stderr
    assert "--allow-mixed" in mixed.stderr
    ok = sqlmig(*args, "new", "later", "--timestamp", "--allow-mixed", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert len(list(folder.glob("2*_later.up.sql"))) == 1


def test_a_url_typo_gets_a_hint_about_the_typo(pg_url: str, migrations: Path) -> None:
    """`?sslmode=requir` is a usage error naming the valid values, not `check that the server is
    running`; an unknown parameter gets did-you-mean, not `percent-encode`; an unencoded @ in
    the password is named as such."""
    args = ("--dir", str(migrations))
    bad_mode = sqlmig("--url", f"{pg_url}?sslmode=requir", *args, "status")
    assert bad_mode.returncode == 2, bad_mode.stderr
    assert "the URL's sslmode='requir' is not a valid value" in bad_mode.stderr
    assert "did you mean `require`?" in bad_mode.stderr
    assert "percent-encode" not in bad_mode.stderr and "server is running" not in bad_mode.stderr
    bad_key = sqlmig("--url", f"{pg_url}?sslmod=require", *args, "status")
    assert bad_key.returncode == 2
    assert "'sslmod' is not a libpq connection parameter: did you mean `sslmode`?" in (
        bad_key.stderr
    )
    assert "percent-encode" not in bad_key.stderr
    far = sqlmig("--url", f"{pg_url}?zzqx=1", *args, "status")  # nothing close to guess
    assert far.returncode == 2, far.stderr
    assert "'zzqx' is not a libpq connection parameter (see the libpq docs)" in far.stderr
    for query, hint in [
        ("sslmode=", "use one of: disable, allow, prefer"),  # empty: no crash, no guess
        ("port=abc", "port takes a whole number"),
        ("connect_timeout=soon", "connect_timeout takes a whole number"),
        ("channel_binding=requre", "did you mean `require`?"),
    ]:
        proc = sqlmig("--url", f"{pg_url}?{query}", *args, "status")
        assert proc.returncode == 2, proc.stderr
        assert f"hint: {hint}" in proc.stderr, proc.stderr
    at_sign = pg_url.replace("postgres@", "postgres:pa@ss@", 1)
    unencoded = sqlmig("--url", at_sign, *args, "status")
    assert unencoded.returncode == 6
    assert "the password has an unencoded @" in unencoded.stderr, unencoded.stderr
    assert "pa@ss" not in unencoded.stderr


def test_transpile_hint_names_the_down_override(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    trigger = "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n"
    write(folder, "0001_a", "CREATE TABLE t (id int);\n", trigger)
    proc = sqlmig("--dir", str(folder), "transpile", "--to", "sqlite", cwd=tmp_path)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "override beside the file: 0001_a.sqlite.down.sql" in out, out
    assert ".sqlite.up.sql" not in out


def test_wait_says_each_attempt_in_one_short_line(migrations: Path) -> None:
    """Not libpq's whole paragraph (`connection to server at ... failed: Connection refused
    Is the server running on that host and accepting TCP/IP connections?`) on every attempt."""
    url = "postgresql://sqlmig@127.0.0.1:1/x"
    proc = sqlmig("--url", url, "--dir", str(migrations), "wait", "--timeout", "1s")
    assert proc.returncode == 6
    tries = [line for line in proc.stderr.splitlines() if line.startswith("waiting for ")]
    assert len(tries) >= 2, proc.stderr
    for line in tries:
        assert line.startswith(f"waiting for {url}: Connection refused (attempt "), line
        assert "Is the server running" not in line and len(line) < 120
    assert "Is the server running" in proc.stderr.splitlines()[-2]  # the error says it once
