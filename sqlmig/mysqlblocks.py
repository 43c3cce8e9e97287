"""Where a MySQL/MariaDB compound statement ends: BEGIN ... END, IF ... END IF, CASE ... END
[CASE], LOOP / WHILE / REPEAT / FOR ... END x, labels, nested blocks.

Used for CREATE PROCEDURE / FUNCTION / TRIGGER / EVENT and MariaDB's compound statements
(BEGIN NOT ATOMIC, a top-level IF or loop) under the default ';' delimiter, so that a body's
own ';' does not end the statement. IF, CASE and loops open a block only where a statement
starts (IF(a, b, c) and REPEAT('x', 3) are functions; a CASE expression ends with END too).
A block end whose opener was not recognized is passed over rather than closing an outer
block: a misread can keep a statement whole, never swallow the rest of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

ROUTINES = {"PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"}
# words between CREATE and the routine's kind: OR REPLACE, DEFINER = user@host, AGGREGATE
CREATE_PREFIX = {"OR", "REPLACE", "AGGREGATE", "DEFINER", "CURRENT_USER", "=", "@", "(", ")"}
COMPOUND_STARTS = {"IF", "CASE", "LOOP", "WHILE", "REPEAT", "FOR"}
END_KINDS = {"IF", "CASE", "LOOP", "WHILE", "REPEAT", "FOR"}
# after these a statement starts (THEN and ELSE not inside a CASE expression)
STARTERS = {"THEN", "ELSE", "DO", "LOOP", "REPEAT", "BEGIN", "ATOMIC", ";"}
# the end of a routine's header, where its body (one statement) starts
HEADER_ENDS = {")", "ROW", "DETERMINISTIC", "SQL", "DATA", "DEFINER", "INVOKER", "DO"}
# END after these is a name (SELECT a, end FROM t), not a block's end
NOT_BEFORE_END = {",", "(", ".", "=", "SELECT", "BY", "AS"}
_HEAD = re.compile(
    r"\s+|#[^\n]*|--(?=\s|\Z)[^\n]*|/\*M?!\d*|\*/|/\*[\s\S]*?\*/"
    r"|(?P<str>'(?:[^'\\]|\\[\s\S])*'|\"(?:[^\"\\]|\\[\s\S])*\"|`[^`]*`)"
    r"|(?P<word>[A-Za-z0-9_$\x80-\U0010ffff]+)|(?P<p>[^\s])"
)
# the statements compound_head looks at: CREATE, BEGIN, IF, ..., a label, an executable comment
_MAYBE = re.compile(
    r"(?i:create|begin|if|case|loop|while|repeat|for)\b|/\*|[A-Za-z0-9_$\x80-\U0010ffff]+\s*:(?!=)"
)
_CALL = re.compile(r"\s*\(")
_FOR_LOOP = re.compile(r"\s+[A-Za-z_][A-Za-z0-9_$]*\s+IN\b", re.I)


def _head_tokens(text: str, pos: int) -> Iterator[str]:
    """The tokens from pos, upper-cased, comments skipped, strings as "str"."""
    for m in _HEAD.finditer(text, pos):
        if m.lastgroup == "str":
            yield "str"
        elif m.lastgroup:
            yield m.group().upper()


def compound_head(text: str, first: int) -> bool | None:
    """None unless the statement at `first` is a compound one; else whether its first token
    stands where a statement starts (True for BEGIN NOT ATOMIC, IF, a label; False for CREATE
    PROCEDURE ..., whose body comes after its header)."""
    if not _MAYBE.match(text, first):
        return None  # most statements: decided without tokens
    toks = _head_tokens(text, first)
    head = next(toks, "")
    if head == "CREATE":
        return False if _creates_routine(toks) else None
    second = next(toks, "")
    if head == "BEGIN":
        return True if (second, next(toks, "")) == ("NOT", "ATOMIC") else None
    if head in COMPOUND_STARTS or second == ":":
        return True
    return None


def _creates_routine(toks: Iterator[str]) -> bool:
    after_eq = False
    for tok in islice(toks, 24):
        if tok in ROUTINES:
            return True
        if tok in CREATE_PREFIX or tok == "str" or after_eq:
            after_eq = tok in ("=", "@")  # user@host may be unquoted words
            continue
        return False
    return False


class Blocks:
    """Fed the tokens of one compound statement in order; says whether a ';' ends it."""

    def __init__(self, text: str, at_start: bool) -> None:
        self.text = text
        self.stack: list[str] = []
        self.parens = 0
        self.at_start = at_start
        self.prev = ""
        self.pending_end = False

    def semicolon(self) -> bool:
        """Feed a ';'; True when it ends the statement."""
        self._resolve_end("")
        if not self.stack and self.parens <= 0:
            return True
        self.parens = 0  # a ';' closes every parenthesis: (; cannot be valid SQL
        self._step(";", True)
        return False

    def feed(self, kind: str, tok: str, end: int) -> None:
        word = tok.upper() if kind == "word" else ("str" if kind == "str" else tok)
        if self.pending_end and self._resolve_end(word):
            self._step(word, False)
            return
        if tok == "(":
            self.parens += 1
        elif tok == ")":
            self.parens -= 1
        if kind == "word" and self.parens <= 0 and self._block_word(word, end):
            return
        self._step(word, self._starts_after(word))

    def _step(self, tok: str, at_start: bool) -> None:
        self.prev, self.at_start = tok, at_start

    def _starts_after(self, tok: str) -> bool:
        if tok in ("THEN", "ELSE"):
            return bool(self.stack) and self.stack[-1] != "case_expr"
        if tok in STARTERS:
            return True
        if tok == ":":
            return self.prev not in ("", ";") and self.prev[0].isalnum()  # a label
        if tok == "NOT" and self.prev == "BEGIN":
            return True
        return not self.stack and (tok in HEADER_ENDS or tok == "str")

    def _block_word(self, word: str, end: int) -> bool:
        """Handle a word that opens or closes a block; True when it did."""
        if word == "END" and self.prev not in NOT_BEFORE_END:
            self.pending_end = True
            self._step(word, False)
            return True
        opened = self._opens(word, end)
        if opened:
            self.stack.append(opened)
            self._step(word, word in STARTERS)
            return True
        return False

    def _opens(self, word: str, end: int) -> str | None:
        text = self.text
        if word == "BEGIN":
            if self.prev == "." or text[end : end + 1] in ("(", ",", ")", ".", "="):
                return None
            return "begin"
        if word == "CASE":
            return "case_stmt" if self.at_start else "case_expr"
        if word in ("LOOP", "WHILE"):
            return word.lower()
        if word == "REPEAT":
            return None if _CALL.match(text, end) else "repeat"
        if word == "IF":
            return "if" if self.at_start else None
        if word == "FOR" and _FOR_LOOP.match(text, end):
            return "for"
        return None

    def _resolve_end(self, word: str) -> bool:
        """Close a block after END; True when `word` was END's kind (END IF) and is used up."""
        if not self.pending_end:
            return False
        self.pending_end = False
        stack = self.stack
        if word in END_KINDS:
            want = "case" if word == "CASE" else word.lower()
            if stack and stack[-1].startswith(want):
                stack.pop()
            return True
        while stack:  # END alone closes BEGIN or CASE, and any opener misread inside them
            if stack.pop() in ("begin", "case_expr", "case_stmt"):
                break
        return False
