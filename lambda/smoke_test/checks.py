"""What a smoke test expects of an endpoint's answer, and how an answer is shown in a message.

Pure functions over one `Answer`: no AWS calls, so they are tested without a server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

SHOWN_CHARS = 300  # of a payload or an answer in a message; CloudFormation truncates reasons near 4 KB


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


def mismatches(answer: Answer, expected: Expectation) -> list[str]:
    """Every way ``answer`` differs from ``expected``; empty when it passes."""
    found = []
    if answer.status != expected.status:
        found.append(f"status {answer.status}, expected {expected.status}")
    if expected.content_type is not None and media_type(answer.content_type) != media_type(expected.content_type):
        found.append(f"content type {answer.content_type!r}, expected {expected.content_type!r}")
    if expected.body_check is not None:
        problem = _body_mismatch(answer.body.decode("utf-8", "replace"), expected.body_check, expected.body_value)
        if problem:
            found.append(problem)
    return found


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json`` (parameters and case ignored)."""
    return (content_type or "").split(";")[0].strip().lower()


def _body_mismatch(body: str, check: str, value: str) -> str | None:
    if check == "equals":
        return None if body == value else f"body is not exactly {shorten(value)}"
    if check == "contains":
        return None if value in body else f"body does not contain {shorten(value)}"
    if check == "matches":
        return None if re.search(value, body) else f"body does not match the regular expression {shorten(value)}"
    if check == "json":
        try:
            actual = json.loads(body)
        except ValueError:
            return "body is not JSON"
        difference = json_subset_difference(json.loads(value), actual)
        return None if difference is None else f"JSON body differs: {difference}"
    raise ValueError(f"unknown body check {check!r}: use equals, contains, matches or json")


def json_subset_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where ``actual`` fails to hold ``expected``, or None.

    Objects: every expected key is present and holds its value recursively (extra keys are fine).
    Arrays: the same length, item by item. Scalars: equal, and a boolean never equals a number.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path} is {_json(actual)}, expected an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key} is missing"
            difference = json_subset_difference(value, actual[key], f"{path}.{key}")
            if difference:
                return difference
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path} is {_json(actual)}, expected an array of {len(expected)} items"
        for index, (item, actual_item) in enumerate(zip(expected, actual, strict=True)):
            difference = json_subset_difference(item, actual_item, f"{path}[{index}]")
            if difference:
                return difference
        return None
    if isinstance(expected, bool) != isinstance(actual, bool) or expected != actual:
        return f"{path} is {_json(actual)}, expected {_json(expected)}"
    return None


def shorten(data: bytes | str, limit: int = SHOWN_CHARS) -> str:
    """A printable excerpt: text quoted, cut to ``limit`` characters with the total length noted."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def _json(value: Any, limit: int = 80) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else f"{text[:limit]}..."
