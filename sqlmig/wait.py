"""`sqlmig wait`: connect again, with back-off, until the database is ready or time is up."""

from __future__ import annotations

import re
import time

from .config import Config
from .drivers import probe
from .errors import ConnectError
from .events import DB_READY, WAIT_RETRY, Event, Notify
from .results import Result
from .urls import DatabaseUrl, parse_url

FIRST_DELAY_S = 0.1
MAX_DELAY_S = 2.0
# One attempt's connect timeout: a host that drops packets must not hide all the attempts.
ATTEMPT_TIMEOUT_S = 5.0


def wait_for(
    config: Config, *, timeout: float, allow_standby: bool = False, notify: Notify
) -> Result:
    """`sqlmig wait`: wait_ready() on the configured URL."""
    url = parse_url(config.require_url())
    return wait_ready(url, timeout=timeout, allow_standby=allow_standby, notify=notify)


def wait_ready(
    url: DatabaseUrl, *, timeout: float, allow_standby: bool = False, notify: Notify
) -> Result:
    """Return once `url` accepts connections (and is a primary, unless allow_standby).

    Raises ConnectError (exit 6) after `timeout` seconds, with the last reason.
    """
    start = time.monotonic()
    deadline, delay, attempt = start + timeout, FIRST_DELAY_S, 0
    while True:
        attempt += 1
        reason = _attempt(url, deadline - time.monotonic(), allow_standby)
        elapsed = time.monotonic() - start
        if reason is None:
            return _ready(url, attempt, elapsed, notify)
        left = deadline - time.monotonic()
        if left <= 0:
            raise ConnectError(  # not starting with the URL: see urls.redact
                f"the database was not ready after {timeout:g} s ({attempt} attempt(s)): {reason}",
                hint="check that the server is running and the URL is right, or raise --timeout",
            )
        pause = min(delay, left)
        notify(_retry(url, attempt, elapsed, pause, reason))
        time.sleep(pause)
        delay = min(delay * 2, MAX_DELAY_S)


def _attempt(url: DatabaseUrl, left: float, allow_standby: bool) -> str | None:
    """None when ready, else why not, on one line."""
    try:
        standby = probe(url, timeout=min(max(left, 0.0), ATTEMPT_TIMEOUT_S))
    except ConnectError as exc:
        reason = exc.message.removeprefix(f"cannot connect to {url.redacted}: ")
        return " ".join(reason.split())
    return None if allow_standby else standby


def _retry(url: DatabaseUrl, attempt: int, elapsed: float, pause: float, reason: str) -> Event:
    """One short line per attempt; the full reason is in the event's field and the final error."""
    return Event(
        WAIT_RETRY,
        f"waiting for {url.redacted}: {short_reason(reason)} "
        f"(attempt {attempt}, {elapsed:.1f} s elapsed, next in {pause:.1f} s)",
        {"attempt": attempt, "elapsed_ms": int(elapsed * 1000), "reason": reason},
    )


def short_reason(reason: str) -> str:
    """The cause in a driver's message: `Connection refused`, not libpq's whole paragraph
    (`connection failed: connection to server at ... failed: Connection refused Is the server
    running on that host and accepting TCP/IP connections?`)."""
    errno = re.search(r"\[Errno -?\d+\] ([^)\]]+)", reason)
    if errno:
        return errno.group(1).strip()
    text = reason.rsplit(" failed: ", 1)[-1]
    text = re.split(r"\s+Is the server running", text, maxsplit=1)[0]
    return text.removeprefix("FATAL:").strip() or reason


def _ready(url: DatabaseUrl, attempts: int, elapsed: float, notify: Notify) -> Result:
    message = f"ready: {url.redacted} ({attempts} attempt(s), {elapsed:.1f} s)"
    fields = {"attempts": attempts, "elapsed_ms": int(elapsed * 1000)}
    notify(Event(DB_READY, message, fields, level="debug"))  # text: the result says it
    return Result("wait", messages=[message])
