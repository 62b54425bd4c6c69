"""CloudWatch Logs filter patterns for JSON log events, as AWS documents them: a matcher for the tests.

moto has no TestMetricFilter, and its FilterLogEvents does not evaluate JSON patterns (docs/emulator-gaps.md);
no maintained matcher is on PyPI. This one follows the CloudWatch Logs user guide,
"Filter pattern syntax for metric filters" (awsdocs/amazon-cloudwatch-logs-user-guide,
doc_source/FilterAndPatternSyntax.md): property selectors `$.a.b[0]`, `=` and `!=` on strings (quoted, or bare
alphanumerics) with `*` as a wild card, numeric `= != < > <= >=`, `IS NULL`/`IS TRUE`/`IS FALSE`, `NOT EXISTS`,
`&&` and `||` with parentheses and the documented precedence () > && > ||. tests/test_filter_pattern.py holds it to
every example of that page.

Where the page is silent, a comparison on a property the event does not have is false, `!=` included (only
`NOT EXISTS` matches a missing property); the CIS patterns' tests do not depend on it (their sample events carry
every property the patterns compare).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any

TOKEN = re.compile(r'\s*(&&|\|\||!=|<=|>=|[{}()=<>]|"(?:[^"\\]|\\.)*"|[^\s{}()=!<>&|"]+)')
MISSING = object()
Predicate = Callable[[Any], bool]


class PatternError(ValueError):
    pass


def _tokens(pattern: str) -> list[str]:
    tokens, position = [], 0
    while position < len(pattern.rstrip()):
        match = TOKEN.match(pattern, position)
        if not match:
            raise PatternError(f"cannot read {pattern[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _select(event: Any, selector: str) -> Any:
    if not selector.startswith("$"):
        raise PatternError(f"a property selector starts with $: {selector!r}")
    value = event
    for name, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]", selector[1:]):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return MISSING
    return value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(found: Any, operator: str, literal: str, quoted: bool) -> bool:
    if found is MISSING or found is None or isinstance(found, dict | list | bool):
        return False
    number = None if quoted else _number(literal)
    if isinstance(found, int | float) and number is not None:
        return {
            "=": found == number,
            "!=": found != number,
            "<": found < number,
            ">": found > number,
            "<=": found <= number,
            ">=": found >= number,
        }[operator]
    if operator not in ("=", "!="):
        return False
    equal = fnmatch.fnmatchcase(str(found), literal.replace("[", "[[]"))  # only * is a wild card
    return equal if operator == "=" else not equal


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens, self.at = tokens, 0

    def peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            raise PatternError(f"expected {expected or 'more'} at token {self.at}, found {token!r}")
        self.at += 1
        return token

    def either(self) -> Predicate:
        parts = [self.both()]
        while self.peek() == "||":
            self.take()
            parts.append(self.both())
        return lambda event: any(p(event) for p in parts)

    def both(self) -> Predicate:
        parts = [self.term()]
        while self.peek() == "&&":
            self.take()
            parts.append(self.term())
        return lambda event: all(p(event) for p in parts)

    def term(self) -> Predicate:
        if self.peek() == "(":
            self.take()
            inner = self.either()
            self.take(")")
            return inner
        selector = self.take()
        word = self.take()
        if word == "NOT":
            self.take("EXISTS")
            return lambda event: _select(event, selector) is MISSING
        if word == "IS":
            wanted = {"NULL": None, "TRUE": True, "FALSE": False}[self.take()]
            return lambda event: (found := _select(event, selector)) is not MISSING and found is wanted
        if word not in ("=", "!=", "<", ">", "<=", ">="):
            raise PatternError(f"unknown operator {word!r}")
        raw = self.take()
        quoted = raw.startswith('"')
        literal = json.loads(raw) if quoted else raw
        return lambda event: _compare(_select(event, selector), word, literal, quoted)


def compile_pattern(pattern: str) -> Predicate:
    """A JSON filter pattern `{ ... }` as a predicate on a parsed JSON log event."""
    parser = _Parser(_tokens(pattern))
    parser.take("{")
    predicate = parser.either()
    parser.take("}")
    if parser.peek():
        raise PatternError(f"unexpected {parser.peek()!r} after the closing brace")
    return predicate


def matches(pattern: str, event: dict[str, Any]) -> bool:
    return compile_pattern(pattern)(event)
