"""Run one command: build the Config, call the library, render; errors become exit codes."""

import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import typer

from .. import config
from ..errors import SqlmigError
from ..results import Result
from ..urls import redact


@dataclass
class Options:
    flags: dict[str, Any]
    as_json: bool
    quiet: bool
    verbose: bool
    fleet: dict[str, Any] | None = None  # --targets, --schemas ...: run once per target


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: cancel the statement, roll back, release the lock."""


def run(
    ctx: typer.Context,
    action: Callable[..., Result],
    *,
    exit_code: Callable[[Result], int] | None = None,
) -> None:
    """Build the Config, run `action(config, notify)`, render; map errors to exit codes."""
    opts: Options = ctx.obj
    if opts.fleet:
        from ..fleet.command import run_fleet

        run_fleet(ctx, action, single=lambda a: run(ctx, a, exit_code=exit_code), fail=fail)
        return
    urls = in_play(ctx)
    log_json = _log_json(opts.flags)
    try:
        cfg = config.load(opts.flags)
        urls.append(cfg.url)
        result = _call(action, cfg, opts, urls)
    except SqlmigError as exc:
        fail(exc, urls, opts.as_json, log_json=log_json)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        stopped = SqlmigError(
            getattr(exc, "note", None) or "interrupted",
            hint="run `sqlmig status` to see where the database stands",
        )
        stopped.exit_code = 143 if isinstance(exc, Terminated) else 130  # --json says it too
        stopped.kind = "interrupted"
        fail(stopped, urls, opts.as_json, log_json=log_json)
        raise typer.Exit(stopped.exit_code) from None
    except Exception as exc:  # a bug: still never print the password
        message = redact(f"internal error: {type(exc).__name__}: {exc}", *urls)
        if opts.verbose:
            import traceback

            message += "\n" + redact("".join(traceback.format_exc()), *urls)
        fail(
            SqlmigError(message, hint="please report this with the command you ran"),
            urls,
            opts.as_json,
            log_json=log_json,
        )
        raise typer.Exit(1) from None
    from ..render import emit

    streamed = not (opts.quiet or opts.as_json or log_json) and same_place(sys.stdout, sys.stderr)
    emit(result, as_json=opts.as_json, out=Redacted(sys.stdout), streamed=streamed)
    code = exit_code(result) if exit_code else 0
    if code:
        raise typer.Exit(code)


def same_place(a: TextIO, b: TextIO) -> bool:
    """Whether two streams land in the same terminal, file or pipe (`sqlmig up` on a terminal,
    `> log 2>&1`): the progress lines then already said what the result would repeat."""
    import os

    try:
        one, two = os.fstat(a.fileno()), os.fstat(b.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    return (one.st_dev, one.st_ino, one.st_rdev) == (two.st_dev, two.st_ino, two.st_rdev)


def in_play(ctx: typer.Context) -> list[str | None]:
    """The URLs whose passwords no output may show: --url, and the command's own --scratch-url,
    --source-url and --target-url (the configured URL joins them once it is known)."""
    given = [v for k, v in ctx.params.items() if k.endswith("_url") and isinstance(v, str)]
    return [ctx.obj.flags.get("url"), *given]


class Redacted(io.TextIOBase):
    """A stream that writes through redact(): stdout, where results go.

    Only passwords written as such (user:password@, password=) are replaced here, not every
    word equal to one: schema dump, up --dry-run and transpile print SQL, which the removal of
    a weak password ("postgres") wherever it stands would corrupt. Results never hold one.
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(redact(text))

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return self._out.isatty()

    def fileno(self) -> int:
        return self._out.fileno()


def _call(
    action: Callable[..., Result], cfg: config.Config, opts: Options, urls: Sequence[str | None]
) -> Result:
    """Run the action with the events sink that suits stderr; the sink is closed on any exit."""
    notify = _sink(cfg, opts, urls)
    try:
        return action(cfg, notify)
    finally:
        if hasattr(notify, "close"):  # the progress line: leave the terminal clean
            notify.close()


def _sink(cfg: config.Config, opts: Options, urls: Sequence[str | None]) -> Any:
    """JSON lines, a terminal's progress line, or plain lines for logs and pipes; or nothing."""
    from .. import events

    def clean(text: str) -> str:
        return redact(text, *urls)

    if cfg.log_format == "json":
        return None if opts.quiet else events.json_sink(clean=clean)
    if opts.quiet or opts.as_json:
        return None
    if sys.stderr.isatty():
        from ..progress import ProgressLine

        colour = config.colour(sys.stderr)
        return ProgressLine(clean=clean, verbose=opts.verbose, out=sys.stderr, colour=colour)
    return events.text_sink(clean=clean, verbose=opts.verbose)


def _log_json(flags: dict[str, Any]) -> bool:
    """Whether errors go to stderr as JSON too; a bad value is reported by config.load."""
    try:
        return config.log_format(flags) == "json"
    except SqlmigError:
        return False


def fail(
    exc: SqlmigError, urls: Sequence[str | None], as_json: bool, *, log_json: bool = False
) -> None:
    """The error on stderr (and as JSON lines with --log-format json), or on stdout as the
    --json document; with the passwords of `urls`, the URLs in play, removed."""
    message = redact(exc.message, *urls)
    hint = redact(exc.hint, *urls, hint=True) if exc.hint else None
    if log_json:
        from ..events import ERROR, Event, json_sink

        fields = {"kind": exc.kind, "exit_code": exc.exit_code, "hint": hint}
        json_sink(clean=lambda text: redact(text, *urls))(Event(ERROR, message, fields, "error"))
        if not as_json:
            return
    if as_json:
        import json

        doc = {
            "ok": False,
            "error": {
                "kind": exc.kind,
                "exit_code": exc.exit_code,
                "message": message,
                "hint": hint,
            },
        }
        print(json.dumps(doc, indent=2))
        return
    from ..colour import BOLD_RED, CYAN, paint

    colour = config.colour(sys.stderr)
    print(f"{paint('error:', BOLD_RED, colour)} {message}", file=sys.stderr)
    if hint:
        print(f"{paint('hint:', CYAN, colour)} {hint}", file=sys.stderr)


def migrator(cfg: config.Config, notify: Callable[..., None] | None) -> Any:
    from ..migrator import Migrator

    return Migrator(cfg, notify=notify)
