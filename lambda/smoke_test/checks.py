"""What a smoke test expects of an endpoint's answer, and how an answer is shown in a message.

Pure functions over one `Answer`: no AWS calls, so they are tested without a server. Unless the test
``reveals`` answers (the user opted in), no message holds any part of the payload or of the answer:
only sizes, statuses, content types and what was expected (which the template holds anyway).
"""

from __future__ import annotations

import json
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

SHOWN_CHARS = 300  # of a payload or an answer in a message, when revealed
MAX_REGEX_TEXT_CHARS = 64 * 1024  # a regular expression sees at most this much of the body
MAX_REGEX_SECONDS = 2.0  # a search taking longer backtracks catastrophically: the check fails saying so


class RegexTooSlow(Exception):
    """The search ran past `MAX_REGEX_SECONDS`."""


@dataclass(frozen=True)
class Answer:
    """The endpoint's answer: HTTP status, content type (None if absent) and body."""

    status: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Expectation:
    """What a passing answer has.

    ``body_check`` is one of ``equals``, ``contains``, ``matches`` (a regular expression, searched) or
    ``json`` (the body is JSON holding ``body_value``, itself JSON, as a subset); None checks no body.
    """

    status: int = 200
    content_type: str | None = None
    body_check: str | None = None
    body_value: str = ""


def mismatches(answer: Answer, expected: Expectation, *, reveal: bool = False) -> list[str]:
    """Every way ``answer`` differs from ``expected``; empty when it passes. ``reveal``: quote the answer."""
    found = []
    if answer.status != expected.status:
        found.append(f"status {answer.status}, expected {expected.status}")
    if expected.content_type is not None and media_type(answer.content_type) != media_type(expected.content_type):
        found.append(f"content type {answer.content_type!r}, expected {expected.content_type!r}")
    if expected.body_check is not None:
        body = answer.body.decode("utf-8", "replace")
        problem = _body_mismatch(body, expected.body_check, expected.body_value, reveal)
        if problem:
            found.append(problem)
    return found


def describe(data: bytes, content_type: str | None, *, reveal: bool) -> str:
    """A payload or answer in a message: quoted and cut when revealed, else only its type and size."""
    kind = content_type or "no content type"
    return f"{kind} {shorten(data)}" if reveal else f"{kind}, {len(data)} bytes"


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json`` (parameters and case ignored)."""
    return (content_type or "").split(";")[0].strip().lower()


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise `RegexTooSlow` in the block after ``seconds``: a SIGALRM timer, which interrupts Python's regular
    expression engine (it checks for signals while it backtracks). Lambda runs handlers in the main thread,
    the only one signals reach; elsewhere the block runs without a limit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signal: int, _frame: object) -> None:
        raise RegexTooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _body_mismatch(body: str, check: str, value: str, reveal: bool) -> str | None:
    if check == "equals":
        return None if body == value else f"body is not exactly {shorten(value)}"
    if check == "contains":
        return None if value in body else f"body does not contain {shorten(value)}"
    if check == "matches":
        seen = body[:MAX_REGEX_TEXT_CHARS]  # bounded text, whatever the answer's size, and bounded time:
        try:
            with _time_limit(MAX_REGEX_SECONDS):
                found = re.search(value, seen)
        except RegexTooSlow:
            return (
                f"the regular expression {shorten(value)} ran past {MAX_REGEX_SECONDS:g} s on the body "
                "(catastrophic backtracking): simplify it, e.g. drop alternatives that overlap under a repeat"
            )
        return None if found else f"body does not match the regular expression {shorten(value)}"
    if check == "json":
        actual, problem = parse_json(body)
        if problem:
            return problem
        difference = json_subset_difference(json.loads(value), actual, reveal=reveal)
        return None if difference is None else f"JSON body differs: {difference}"
    raise ValueError(f"unknown body check {check!r}: use equals, contains, matches or json")


def parse_json(text: str) -> tuple[Any, str | None]:
    """The parsed value, or why the text cannot be checked as JSON (never RecursionError or a bare ValueError)."""
    try:
        return json.loads(text), None
    except RecursionError:
        return None, "body is JSON nested too deeply to check"
    except ValueError as error:
        if "digits" in str(error):  # Python's limit on integer string conversion
            return None, f"body holds a number too long to parse ({error})"
        return None, "body is not JSON"


def json_subset_difference(expected: Any, actual: Any, path: str = "$", *, reveal: bool = False) -> str | None:
    """Where ``actual`` fails to hold ``expected``, or None; ``reveal`` quotes the actual values.

    Objects: every expected key is present and holds its value recursively (extra keys are fine).
    Arrays: the same length, item by item. Scalars: equal, and a boolean never equals a number.
    """
    shown = f" is {_json(actual)}" if reveal else ""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}{shown}, expected an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key} is missing"
            difference = json_subset_difference(value, actual[key], f"{path}.{key}", reveal=reveal)
            if difference:
                return difference
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}{shown}, expected an array of {len(expected)} items"
        for index, (item, actual_item) in enumerate(zip(expected, actual, strict=True)):
            difference = json_subset_difference(item, actual_item, f"{path}[{index}]", reveal=reveal)
            if difference:
                return difference
        return None
    if isinstance(expected, bool) != isinstance(actual, bool) or expected != actual:
        return f"{path}{shown}, expected {_json(expected)}"
    return None


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut so that its UTF-8 encoding fits in ``max_bytes`` (never inside a character)."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    marker = " ... (cut)"
    return encoded[: max_bytes - len(marker)].decode("utf-8", "ignore") + marker


def shorten(data: bytes | str, limit: int = SHOWN_CHARS) -> str:
    """A printable excerpt: text quoted, cut to ``limit`` characters with the total length noted."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def _json(value: Any, limit: int = 80) -> str:
    try:
        text = json.dumps(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[:limit]}..."
