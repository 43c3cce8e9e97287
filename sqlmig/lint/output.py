"""Render a LintReport as text, JSON, GitHub Actions annotations, or SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    from . import LintReport

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/sqlmig/sqlmig#linting"


def render(report: LintReport, fmt: str, *, colour: bool = False) -> str:
    """The whole output for one format (no trailing newline); `colour` only for text."""
    if fmt == "text":
        return text(report, colour=colour)
    return {"json": as_json, "github": github, "sarif": sarif}[fmt](report)


def summary(report: LintReport) -> str:
    since = f", changed since {report.changed_base}" if report.changed_base else ""
    if not report.findings:
        from ..emptyfolder import note

        notes = "".join(f"\n{note(folder)}" for folder in report.new_folders)
        return f"{report.files} file(s) checked ({report.dialect}){since}: no problems{notes}"
    return (
        f"{report.files} file(s) checked ({report.dialect}){since}: "
        f"{report.errors} error(s), {report.warnings} warning(s)"
    )


def text(report: LintReport, *, colour: bool = False) -> str:
    """`path:line:col: CODE rule: message` and its help; on a terminal the code and rule in red
    (an error) or yellow (a warning)."""
    from ..colour import CYAN, RED, YELLOW, paint

    lines: list[str] = []
    for f in report.findings:
        rule = paint(f"{f.code} {f.rule}", RED if f.severity == "error" else YELLOW, colour)
        lines.append(f"{f.path}:{f.line}:{f.col}: {rule}: {f.message}")
        lines.append(f"  {paint('help:', CYAN, colour)} {f.help}")
    return "\n".join([*lines, summary(report)])


def as_json(report: LintReport) -> str:
    """{"version": 1, "dialect", "files", "summary": {"errors", "warnings"}, "findings": [...]}."""
    doc = {
        "version": 1,
        "tool": "sqlmig",
        "dialect": report.dialect,
        "files": report.files,
        "summary": {"errors": report.errors, "warnings": report.warnings},
        "findings": [f.as_dict() for f in report.findings],
    }
    return json.dumps(doc, indent=2)


def _escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def github(report: LintReport) -> str:
    """One `::error file=...,line=...,col=...,title=...::message` workflow command per finding."""
    lines = []
    for f in report.findings:
        props = f"file={_escape(f.path, prop=True)},line={f.line},col={f.col}"
        title = _escape(f"{f.code} {f.rule}", prop=True)
        body = _escape(f"{f.message}\nhelp: {f.help}")
        lines.append(f"::{f.severity} {props},title={title}::{body}")
    return "\n".join([*lines, summary(report)])


def _uri(path: str) -> str:
    p = Path(path)
    try:
        p = p.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return p.resolve().as_uri()
    return p.as_posix()


def sarif(report: LintReport) -> str:
    """A SARIF 2.1.0 log: one run, the rules as reportingDescriptors, one result per finding."""
    rules = list(report.rules)
    index = {r.code: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "sqlmig",
                "version": __version__,
                "informationUri": INFO_URI,
                "rules": [_descriptor(r) for r in rules],
            }
        },
        "results": [_result(f, index) for f in report.findings],
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def _descriptor(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc},
        "help": {"text": rule.help},
        "defaultConfiguration": {"level": rule.severity},
    }


def _result(f: Any, index: dict[str, int]) -> dict[str, Any]:
    return {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": f.severity,
        "message": {"text": f"{f.message}. Help: {f.help}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path)},
                    "region": {"startLine": f.line, "startColumn": f.col},
                }
            }
        ],
    }
