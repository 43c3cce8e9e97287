"""`sqlmig lint --explain RULE`: a rule's code, name, severity, dialects, and its examples."""

from __future__ import annotations

import textwrap

from ..errors import UsageError
from .model import REGISTRY, Rule


def find(token: str) -> Rule:
    """A rule by code (P101) or name (index-without-concurrently), case-insensitively."""
    from .rules import load_all

    load_all()
    for rule in REGISTRY.values():
        if token.upper() in (rule.code, rule.name.upper()):
            return rule
    raise UsageError(
        f"unknown lint rule {token!r}", hint="`sqlmig lint --explain all` lists every rule"
    )


def explain(token: str) -> str:
    """The text `--explain` prints; `all` gives one line per rule."""
    if token.lower() == "all":
        from .rules import load_all

        load_all()
        return "\n".join(
            f"{r.code}  {r.name:<38} {r.severity:<8} {r.summary}" for r in sorted_rules()
        )
    rule = find(token)
    head, _, body = rule.doc.partition("\n")
    dialects = ", ".join(sorted(rule.dialects))
    return "\n".join(
        [
            f"{rule.code} {rule.name} ({rule.severity}; {dialects})",
            "",
            head,
            textwrap.dedent(body).rstrip(),
            "",
            f"help: {rule.help}",
            f"silence: -- sqlmig:ignore {rule.name}  (before the statement), "
            f"or -- sqlmig:ignore-file {rule.name}",
        ]
    )


def sorted_rules() -> list[Rule]:
    return [REGISTRY[c] for c in sorted(REGISTRY)]
