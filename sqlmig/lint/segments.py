"""A big file is tokenized a slice at a time: sqlglot's tokens for a whole 5 MB file take
240 MB (about 280 bytes per token), the slices' only what one slice needs.

Slices end where a statement starts, as sqlmig's own splitter (the one `up` runs files with)
finds them; a file it cannot split, and MySQL files (whose DELIMITER lines sqlglot does not
know), are tokenized whole, as small files always are.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from ..sqltext import SplitError, split_postgres, split_sqlite
from . import parse

SLICE_CHARS = 256_000  # a file longer than this is tokenized in slices of about this size
SPLITTERS = {"postgres": split_postgres, "sqlite": split_sqlite}


def bounds(text: str, dialect: str) -> list[tuple[int, int]]:
    """(start, end) of each slice: the whole text, or runs of whole statements."""
    split = SPLITTERS.get(dialect)
    if len(text) <= SLICE_CHARS or split is None:
        return [(0, len(text))]
    try:
        starts = [s.offset if s.start is None else s.start for s in split(text)]
    except SplitError:  # tokenizing the whole text reports it
        return [(0, len(text))]
    cuts = [0]
    for start in starts:
        if start - cuts[-1] >= SLICE_CHARS:
            cuts.append(start)
    cuts.append(len(text))
    return list(itertools.pairwise(cuts))


def tokens(
    text: str, dialect: str, slices: list[tuple[int, int]] | None = None
) -> Iterator[list[Any]]:
    """sqlglot's tokens of each slice (`bounds`, found here when not given) in turn, with file
    offsets and lines."""
    slices = bounds(text, dialect) if slices is None else slices
    if len(slices) == 1:
        yield parse.tokenize(text, dialect)
        return
    for start, end in slices:
        found = parse.tokenize(text[start:end], dialect)
        line = text.count("\n", 0, start)
        for tok in found:
            tok.start += start
            tok.end += start
            tok.line += line
        yield found
