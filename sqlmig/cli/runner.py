"""Run one command: build the Config, call the library, render; errors become exit codes."""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer

from .. import config
from ..errors import SqlmigError
from ..results import Result
from ..urls import scrub


@dataclass
class Options:
    flags: dict[str, Any]
    as_json: bool
    quiet: bool
    verbose: bool


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
    url: str | None = opts.flags.get("url")
    log_json = _log_json(opts.flags)
    try:
        cfg = config.load(opts.flags)
        url = cfg.url
        result = _call(action, cfg, opts)
    except SqlmigError as exc:
        fail(exc, url, opts.as_json, log_json=log_json)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        fail(
            SqlmigError(
                getattr(exc, "note", None) or "interrupted",
                hint="run `sqlmig status` to see where the database stands",
            ),
            url,
            opts.as_json,
            log_json=log_json,
        )
        raise typer.Exit(143 if isinstance(exc, Terminated) else 130) from None
    except Exception as exc:  # a bug: still never print the password
        message = scrub(f"internal error: {type(exc).__name__}: {exc}", url)
        if opts.verbose:
            import traceback

            message += "\n" + scrub("".join(traceback.format_exc()), url)
        fail(
            SqlmigError(message, hint="please report this with the command you ran"),
            url,
            opts.as_json,
            log_json=log_json,
        )
        raise typer.Exit(1) from None
    from ..render import emit

    emit(result, as_json=opts.as_json)
    code = exit_code(result) if exit_code else 0
    if code:
        raise typer.Exit(code)


def _call(action: Callable[..., Result], cfg: config.Config, opts: Options) -> Result:
    """Run the action with the events sink that suits stderr; the sink is closed on any exit."""
    notify = _sink(cfg, opts)
    try:
        return action(cfg, notify)
    finally:
        if hasattr(notify, "close"):  # the progress line: leave the terminal clean
            notify.close()


def _sink(cfg: config.Config, opts: Options) -> Any:
    """JSON lines, a terminal's progress line, or plain lines for logs and pipes; or nothing."""
    from .. import events

    def clean(text: str) -> str:
        return scrub(text, cfg.url)

    if cfg.log_format == "json":
        return None if opts.quiet else events.json_sink(clean=clean)
    if opts.quiet or opts.as_json:
        return None
    if sys.stderr.isatty():
        from ..progress import ProgressLine

        return ProgressLine(clean=clean, verbose=opts.verbose, out=sys.stderr)
    return events.text_sink(clean=clean, verbose=opts.verbose)


def _log_json(flags: dict[str, Any]) -> bool:
    """Whether errors go to stderr as JSON too; a bad value is reported by config.load."""
    try:
        return config.log_format(flags) == "json"
    except SqlmigError:
        return False


def fail(exc: SqlmigError, url: str | None, as_json: bool, *, log_json: bool = False) -> None:
    message = scrub(exc.message, url)
    hint = scrub(exc.hint, url, urls=False) if exc.hint else None
    if log_json:
        from ..events import ERROR, Event, json_sink

        fields = {"kind": exc.kind, "exit_code": exc.exit_code, "hint": hint}
        json_sink(clean=lambda text: scrub(text, url))(Event(ERROR, message, fields, "error"))
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
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def migrator(cfg: config.Config, notify: Callable[..., None] | None) -> Any:
    from ..migrator import Migrator

    return Migrator(cfg, notify=notify)
