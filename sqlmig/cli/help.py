"""Plain `--help` text: full option names, each default once, the global options, the exit codes.

Rendered by click's formatter, never by rich: a help screen starts in a fraction of the time.
"""

import inspect
import textwrap
from collections.abc import Sequence
from typing import Any

from typer.core import TyperCommand, TyperGroup

try:  # typer 0.28 vendors click as typer._click
    from typer._click import Context, HelpFormatter, Parameter, types
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click import Context, HelpFormatter, Parameter, types  # type: ignore[no-redef]

from ..errors import EXIT_CODES

GLOBAL_TITLE = "Global options (before or after the command)"


class SqlmigCommand(TyperCommand):
    """A command whose help lists its own options, then the global ones."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        plain_help(self, ctx, formatter)

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        write_params(self, ctx, formatter)
        write_globals(ctx, formatter)

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """`[OPTIONS] NAME`, `[OPTIONS] [PATHS...]`: click's way, not typer's `{name}`."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                shown = names(param)
                pieces.append(shown if param.required else f"[{shown}]")
        return pieces


class SqlmigGroup(TyperGroup):
    """`sqlmig` and `sqlmig schema`: options, commands in full, and (at the top) exit codes."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        plain_help(self, ctx, formatter)

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        write_params(self, ctx, formatter)
        if ctx.parent is not None:
            write_globals(ctx, formatter)
        shown = [(name, command) for name, command in self.commands.items() if not command.hidden]
        rows = [(name, summary(command)) for name, command in shown]
        if rows:
            write_dl(formatter, "Commands", rows)

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        if ctx.parent is None:
            write_dl(formatter, "Exit codes", EXIT_CODES)


def plain_help(command: Any, ctx: Context, formatter: HelpFormatter) -> None:
    """click's layout (usage, text, options, epilog), whatever typer's rich settings say."""
    command.format_usage(ctx, formatter)
    text = inspect.cleandoc(command.help or "")
    for paragraph in text.split("\n\n"):
        formatter.write("\n" + wrap(paragraph, formatter.width, "  ") + "\n")
    command.format_options(ctx, formatter)
    command.format_epilog(ctx, formatter)


def wrap(text: str, width: int, indent: str) -> str:
    """Whole words to `width` columns; an option name such as --statement-lock-timeout is a
    word (click's wrapper would break it at a hyphen)."""
    return textwrap.fill(
        " ".join(text.split()),
        width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def write_dl(formatter: HelpFormatter, title: str, rows: Sequence[tuple[str, str]]) -> None:
    """A titled definition list: a term longer than 30 columns gets a line of its own."""
    column = min(max(len(term) for term, _ in rows), 30) + 4
    lines = [f"\n{title}:"]
    for term, text in rows:
        body = wrap(text, max(formatter.width, column + 20), " " * column)
        if len(term) + 4 <= column:
            lines.append(f"  {term:<{column - 2}}{body[column:]}" if text else f"  {term}")
        else:
            lines += [f"  {term}", body] if text else [f"  {term}"]
    formatter.write("\n".join(lines) + "\n")


def write_params(command: Any, ctx: Context, formatter: HelpFormatter) -> None:
    params = command.get_params(ctx)
    arguments = [record(p) for p in params if p.param_type_name == "argument"]
    options = [record(p) for p in params if p.param_type_name == "option" and not p.hidden]
    if arguments:
        write_dl(formatter, "Arguments", arguments)
    if options:
        write_dl(formatter, "Options", options)


def write_globals(ctx: Context, formatter: HelpFormatter) -> None:
    """The root's options that may follow the command too (not --help, --version, ...)."""
    root = ctx.find_root()
    shared = [record(p) for p in root.command.params if not p.is_eager and not p.hidden]
    if shared:
        write_dl(formatter, GLOBAL_TITLE, shared)


def summary(command: Any) -> str:
    """The first paragraph of a command's help, whole (click would cut it at 45 characters)."""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return " ".join(text.split("\n\n")[0].split())


def record(param: Parameter) -> tuple[str, str]:
    """(names and value, help) of one parameter, as the definition list shows it."""
    return names(param), describe(param)


def names(param: Parameter) -> str:
    if param.param_type_name == "argument":
        return metavar(param) + ("..." if param.nargs == -1 else "")
    shown = ", ".join(sorted(param.opts, key=len))
    if param.secondary_opts:
        shown += " / " + ", ".join(param.secondary_opts)
    if not getattr(param, "is_flag", False):
        shown += " " + metavar(param)
    return shown


def metavar(param: Parameter) -> str:
    if param.metavar:
        return param.metavar
    if param.param_type_name == "argument":
        return (param.name or "").upper()
    if isinstance(param.type, types.IntParamType):
        return "N"
    if isinstance(param.type, types.FloatParamType):
        return "NUMBER"
    return "PATH" if param.type.name == "path" else "TEXT"


def describe(param: Parameter) -> str:
    """The help text, then the allowed range and the default in words, unless it names them."""
    text = " ".join((getattr(param, "help", None) or "").split())
    text, said, default_said = text.partition("Default:")  # the range goes before a default
    text = " ".join(part for part in [text.strip(), bounds(param.type)] if part)
    if param.required and param.param_type_name == "option":
        text += " Required."
    if said:
        return f"{text} Default:{default_said}"
    default = param.default
    shown = getattr(param, "show_default", None) is not False
    if shown and default not in (None, False, (), []) and not callable(default):
        text += f" Default: {plain(default)}."
    return text.strip()


def bounds(kind: Any) -> str:
    """`From 0 to 100.` (click says `[0<=x<=100]`); a lower bound of 0 goes unsaid."""
    if not isinstance(kind, types._NumberRangeBase):
        return ""
    low, high = kind.min, kind.max
    if low is not None and high is not None:
        return f"From {plain(low)} to {plain(high)}."
    if high is not None:
        return f"At most {plain(high)}."
    return "" if low in (None, 0) else f"At least {plain(low)}."


def plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(getattr(value, "value", value))
