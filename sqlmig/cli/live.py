"""`sqlmig plan` and `sqlmig preflight`: what pending statements would lock and fail on,
told before anything runs (sqlmig/live). Both import sqlglot only when they run."""

from typing import Annotated, Any

import typer

from .. import config, phases
from ..results import Result
from .app import app
from .options import Phase, ScratchPrefix, ScratchUrl, scratch_flags, seconds
from .runner import run

PreflightTimeout = Annotated[
    float | None,
    typer.Option(
        "--preflight-timeout",
        parser=seconds,
        metavar="DURATION",
        help="Time limit of each pre-check (env SQLMIG_PREFLIGHT_TIMEOUT). Default: 5s; a check "
        "that hits it is reported as skipped, not passed.",
        show_default=False,
    ),
]


def preflight_flags(ctx: typer.Context, timeout: float | None) -> None:
    """--preflight-timeout is also a setting: it joins the flags that config.load reads."""
    ctx.obj.flags.update(preflight_timeout=timeout)


@app.command()
def plan(
    ctx: typer.Context,
    to: Annotated[int | None, typer.Option("--to", help="Plan up to this version.")] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", min=1, help="Plan at most this many migrations.")
    ] = None,
    scratch_url: ScratchUrl = None,
    scratch_prefix: ScratchPrefix = None,
    phase: Phase = None,
) -> None:
    """Show what each pending statement locks, rewrites or scans, for how long, and which
    live sessions it would wait behind. Applies nothing; never takes the migration lock.

    Example: sqlmig plan --json
    """
    scratch_flags(ctx, scratch_prefix)
    chosen = phases.parse(phase)
    run(
        ctx,
        lambda cfg, _n: plan_result(cfg, scratch_url=scratch_url, to=to, steps=steps, phase=chosen),
    )


def plan_result(cfg: config.Config, **kwargs: Any) -> Result:
    from ..live.impact import plan as make_plan

    return make_plan(cfg, **kwargs)


@app.command()
def preflight(
    ctx: typer.Context,
    to: Annotated[int | None, typer.Option("--to", help="Check up to this version.")] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", min=1, help="Check at most this many migrations.")
    ] = None,
    timeout: PreflightTimeout = None,
    phase: Phase = None,
) -> None:
    """Run the pre-checks of `up --preflight` alone: the rows each pending statement would
    fail on (NULLs, duplicates, orphans, values that do not cast, CHECK violations).
    Read-only; exit 9 when a check finds rows.

    Example: sqlmig preflight --preflight-timeout 10s
    """
    preflight_flags(ctx, timeout)

    def action(cfg: config.Config, _n: Any) -> Result:
        from ..live import preflight as checks

        found = checks.run(
            cfg, timeout=cfg.preflight_timeout, to=to, steps=steps, phase=phases.parse(phase)
        )
        return checks.result(found)

    run(ctx, action, exit_code=lambda r: 0 if r.ok else 9)


def preflight_first(
    cfg: config.Config,
    enabled: bool,
    notify: Any,
    *,
    to: int | None,
    steps: int | None,
    wait: float | None = None,
    phase: str | None = None,
) -> None:
    """`up --preflight` (or preflight = true): PreflightFailed (exit 9) before any lock.
    With `up --wait`, the database is waited for first, as `up` would."""
    if enabled or cfg.preflight:
        from ..live.preflight import require_clean
        from .runner import migrator

        if wait is not None:
            migrator(cfg, notify).wait(timeout=wait)

        require_clean(
            cfg, timeout=cfg.preflight_timeout, to=to, steps=steps, notify=notify, phase=phase
        )
