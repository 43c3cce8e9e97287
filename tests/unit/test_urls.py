"""urls: parsing, SQLite paths, and keeping passwords out of every message."""

from __future__ import annotations

import re

import pytest

from sqlmig.errors import UsageError
from sqlmig.urls import parse_url, redact, scrub, secrets_of

# --- redact -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://bob:s3cret@db:5432/app", "postgresql://bob:***@db:5432/app"),
        ("postgres://bob:p@ss@db/app", "postgres://bob:***@db/app"),
        ("postgresql://bob:p@ss:w/rd@db/app", "postgresql://bob:***@db/app"),
        ("postgresql://bob:p%40ss%3Aw%2Frd@db/app", "postgresql://bob:***@db/app"),
        ("postgresql://bob:100%25@db/app", "postgresql://bob:***@db/app"),
        ("postgresql://bob:pa ss@db/app", "postgresql://bob:***@db/app"),
        (
            "postgresql://bob:pw@db/app?sslmode=require&application_name=a@b",
            "postgresql://bob:***@db/app?sslmode=require&application_name=a@b",
        ),
        ("postgresql://bob@db/app", "postgresql://bob@db/app"),
        ("postgresql://db:5432/app", "postgresql://db:5432/app"),
        ("postgresql://bob:@db/app", "postgresql://bob:***@db/app"),
        ("sqlite:///app.db", "sqlite:///app.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_redact(url: str, expected: str) -> None:
    assert redact(url) == expected


def test_redact_in_text_holding_one_url() -> None:
    assert redact("cannot reach postgresql://bob:s3cret@db/app (timeout)") == (
        "cannot reach postgresql://bob:***@db/app (timeout)"
    )


def test_redact_in_text_holding_two_urls() -> None:
    """`redact` promises to handle "any text holding URLs": both are redacted, nothing is lost."""
    text = "copy from postgresql://a:pw1@h1/d1 to postgresql://b:pw2@h2/d2 now"
    assert redact(text) == "copy from postgresql://a:***@h1/d1 to postgresql://b:***@h2/d2 now"


def test_redact_keeps_text_after_a_url_that_holds_an_at_sign() -> None:
    text = "cannot connect to postgresql://bob@db:5432/app: role bob@example is unknown"
    assert redact(text) == text


# --- secrets_of / scrub -----------------------------------------------------------------------


def test_secrets_of_lists_every_spelling_longest_first() -> None:
    url = "postgresql://bob:p%40ss%3Aw%2Frd@db/app"
    assert secrets_of(url) == ["p%40ss%3Aw%2Frd", "p%40ss%3Aw/rd", "p@ss:w/rd"]


def test_secrets_of_an_unencoded_password_and_its_pieces() -> None:
    """libpq reads bob:p@ss w@db as password "p" at host "ss w@db": each piece is a secret."""
    secrets = secrets_of("postgresql://bob:p@ss w@db/app")
    assert set(secrets) == {"p%40ss%20w", "p@ss w", "ss%20w", "ss w", "p"}
    assert [len(s) for s in secrets] == sorted(map(len, secrets), reverse=True)


@pytest.mark.parametrize(
    "url", ["postgresql://bob@db/app", "postgresql://bob:@db/app", "sqlite:///x.db", "nonsense"]
)
def test_secrets_of_without_a_password(url: str) -> None:
    assert secrets_of(url) == []


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:s3cret@db/app",
        "postgresql://bob:p@ss:w/rd@db/app",
        "postgresql://bob:p%40ss%3Aw%2Frd@db/app",
        "postgresql://bob:100%25sure@db/app",
    ],
)
def test_redact_removes_every_spelling(url: str) -> None:
    secrets = secrets_of(url)
    assert secrets
    text = "; ".join(f"password {s!r} rejected" for s in secrets) + f" for {url}"
    cleaned = redact(text, url)
    for secret in secrets:  # a piece such as "p" may stay inside a word ("password")
        assert not re.search(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", cleaned)
    assert cleaned.endswith(f" for {redact(url)}")
    assert cleaned.count("***") == len(secrets) + 1


def test_redact_with_its_url_exact() -> None:
    url = "postgresql://bob:s3cret@db/app"
    assert redact("auth failed (s3cret) at postgresql://bob:s3cret@db/app", url) == (
        "auth failed (***) at postgresql://bob:***@db/app"
    )


def test_redact_without_url_leaves_text() -> None:
    assert redact("password s3cret", None) == "password s3cret"
    assert redact("password s3cret", "") == "password s3cret"


def test_scrub_is_redact() -> None:
    """One redaction function: the drivers' older name is the same function, not a weaker one."""
    assert scrub is redact


# --- issue 10, item 9: every form of a password, through the one redact() ---------------------


def test_every_piece_of_a_password_with_an_unencoded_at_is_hidden() -> None:
    """libpq splits user:password@host at the FIRST @, redact() at the last: with u:Head@Tail@h
    libpq's password is "Head" and its host "Tail@h", which its error then names."""
    url = "postgresql://u:Head@Tail@127.0.0.1:1/db"
    message = f"cannot connect to {url}: failed to resolve host 'Tail@127.0.0.1'"
    assert redact(message, url) == (
        "cannot connect to postgresql://u:***@127.0.0.1:1/db: "
        "failed to resolve host '***@127.0.0.1'"
    )


def test_the_passwords_of_every_url_in_play_are_removed() -> None:
    """The live URL and a scratch URL: both passwords go, wherever they stand."""
    live, scratch = "postgresql://a:Live-pw@h/d", "postgresql://b@h/s?password=Scratch-pw"
    assert redact("denied (Live-pw, Scratch-pw)", live, scratch) == "denied (***, ***)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://bob@db/app?password=s3cret", "postgresql://bob@db/app?password=***"),
        (
            "ready: postgresql://bob@db/app?sslmode=require&password=s3cret&application_name=x "
            "(1 attempt(s), 0.1 s)",
            "ready: postgresql://bob@db/app?sslmode=require&password=***&application_name=x "
            "(1 attempt(s), 0.1 s)",
        ),
        ("mysql://root@db/app?PASSWORD=s3cret", "mysql://root@db/app?PASSWORD=***"),
        ("sqlite:///app.db?password=s3cret", "sqlite:///app.db?password=***"),
        ("host=db user=bob password=s3cret dbname=app", "host=db user=bob password=*** dbname=app"),
        ("host=db password = 's3 cr\\'et' dbname=app", "host=db password = *** dbname=app"),
        ("host=db sslpassword=s3cret", "host=db sslpassword=***"),
        ("a@b:c@d password=p1 then postgresql://u:p2@h/d", "a@b:c@d password=*** then "
         "postgresql://u:***@h/d"),
    ],
)  # fmt: skip
def test_password_parameters_are_hidden_without_knowing_the_url(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_parsed_url_hides_its_password_parameter() -> None:
    url = parse_url("postgresql://bob@db/app?password=s3cret")
    assert url.redacted == "postgresql://bob@db/app?password=***"


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("host=db password=s3cret", "s3cret"),
        ("host=db password='s3 cret'", "s3 cret"),
        ("postgresql://u@db/app?password=s3%40cret", "s3@cret"),
        ("postgresql://u:Head@Tail@db/app", "Tail"),
    ],
)
def test_secrets_of_every_form(url: str, secret: str) -> None:
    assert secret in secrets_of(url)


def test_a_hint_keeps_its_example_urls() -> None:
    url = "postgresql://bob:s3cret@db/app"
    hint = "use postgresql://user:password@host/db, not s3cret"
    assert redact(hint, url, hint=True) == "use postgresql://user:password@host/db, not ***"


# --- parse_url --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "driver", "password"),
    [
        ("postgresql://bob:s3cret@db:5432/app", "postgres", "s3cret"),
        ("postgres://bob:p%40ss%3Aw%2Frd@db/app", "postgres", "p@ss:w/rd"),
        ("postgresql+psycopg://bob:pw@db/app", "postgres", "pw"),
        ("POSTGRESQL://bob:pw@db/app", "postgres", "pw"),
        ("postgresql://bob@db/app", "postgres", None),
        ("sqlite:///app.db", "sqlite", None),
        ("sqlite:///:memory:", "sqlite", None),
    ],
)
def test_parse_url(url: str, driver: str, password: str | None) -> None:
    parsed = parse_url(url)
    assert (parsed.driver, parsed.password, parsed.raw) == (driver, password, url)


def test_parsed_url_redacted() -> None:
    assert parse_url("postgresql://bob:s3cret@db/app").redacted == "postgresql://bob:***@db/app"


def error_of(url: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        parse_url(url)
    assert info.value.exit_code == 2
    return info.value


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("mssql://root:topsecret@db/app", "mssql"),
        ("http://u:topsecret@host/", "http"),
        ("postgresq://u:topsecret@db/app", "postgresq"),
    ],
)
def test_unsupported_scheme(url: str, scheme: str) -> None:
    error = error_of(url)
    assert error.message == f"unsupported database URL scheme {scheme!r}"
    assert error.hint is not None
    assert "postgresql://" in error.hint and "sqlite:///" in error.hint
    assert "topsecret" not in f"{error.message} {error.hint}"


@pytest.mark.parametrize(
    "url",
    [
        "host=db user=bob password=topsecret dbname=app",  # a libpq keyword/value string
        "bob/topsecret@db",  # Oracle-style user/password@host
    ],
)
def test_url_without_scheme_never_shows_the_secret(url: str) -> None:
    error = error_of(url)
    assert error.message.startswith("unsupported database URL scheme")
    assert "topsecret" not in f"{error.message} {error.hint}"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://u:topsecret@db:99999/app", "Port out of range 0-65535"),
        ("postgresql://u:topsecret@db:abc/app", "Port could not be cast to integer value as 'abc'"),
        ("postgresql://u:top]secret@db/app", "Invalid IPv6 URL"),
    ],
)
def test_malformed_url(url: str, reason: str) -> None:
    error = error_of(url)
    assert error.message == f"malformed database URL {redact(url)!r}: {reason}"
    assert error.hint == "percent-encode special characters in the user name and password"
    assert "secret" not in error.message


def test_malformed_url_with_unencoded_password_hides_it() -> None:
    error = error_of("postgresql://bob:p@ss:w/rd@db/app")
    assert error.message == (
        "malformed database URL 'postgresql://bob:***@db/app': "
        "Port could not be cast to integer value as '***'"  # 'w' is a piece of the password
    )


# --- sqlite_path ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///rel.db", "rel.db"),
        ("sqlite:///sub/dir/rel.db", "sub/dir/rel.db"),
        ("sqlite:////abs.db", "/abs.db"),
        ("sqlite:////var/lib/app.db", "/var/lib/app.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite:///my%20app.db?mode=ro", "my app.db"),
    ],
)
def test_sqlite_path(url: str, path: str) -> None:
    assert parse_url(url).sqlite_path == path


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///", "SQLite URL 'sqlite:///' names no file"),
        ("sqlite://", "SQLite URL 'sqlite://' names no file"),
        ("sqlite:app.db", "bad SQLite URL 'sqlite:app.db'"),
    ],
)
def test_bad_sqlite_path(url: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        _ = parse_url(url).sqlite_path
    assert info.value.message == message
    assert info.value.hint == (
        "use sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:///:memory:"
    )
