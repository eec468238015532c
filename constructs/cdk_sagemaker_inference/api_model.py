"""SageMaker limits read from botocore's API models, so no limit is copied by hand.

botocore ships the same service model the SageMaker API validates against: lengths, ranges, name
patterns, list sizes and enumerations such as the instance types a production variant accepts.
The model file is read straight from botocore's data folder, as its ``Loader`` would find it
(newest API version; custom ``~/.aws/models`` overrides are not consulted): importing the loader
pulls in botocore's HTTP stack, ~0.1 s of every synth. ``sagemaker`` is the control plane (configs,
endpoints), ``sagemaker-runtime`` the invocation API.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore

from .rules import Rule, api_rule

SERVICE = "sagemaker"
INTEGER_KINDS = ("integer", "long")
DECIMAL_KINDS = ("float", "double")
# Java regex syntax in botocore patterns, and its Python equivalent (inside a class first: no nested brackets).
JAVA_CLASSES = {"ASCII": r"\x00-\x7f", "Print": r"\x20-\x7e"}
JAVA_REGEX = {
    **{f"[\\p{{{name}}}]": f"[{chars}]" for name, chars in JAVA_CLASSES.items()},
    **{f"\\p{{{name}}}": f"[{chars}]" for name, chars in JAVA_CLASSES.items()},
    r"\A": "^",
    r"\z": r"\Z",
}


MAX_LISTED_VALUES = 8  # an enum this small is quoted in full; a longer one (instance types) by its size


@dataclass(frozen=True)
class Constraint:
    """The limits of one API shape. ``min``/``max`` bound a number, a string's length or a list's size."""

    shape: str
    kind: str
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    service: str = SERVICE
    member: str | None = None
    """The structure member (the API / CloudFormation property) this constraint was read for, if any."""

    def describe(self) -> str:
        """A short human text of the limits, e.g. ``an integer from 60 to 3600``."""
        if self.enum is not None:
            if len(self.enum) <= MAX_LISTED_VALUES:
                return f"one of {', '.join(self.enum)} ({self.source})"
            return f"one of {len(self.enum)} values of {self.source}"
        parts: list[str] = []
        if self.is_number:
            noun = "an integer" if self.kind in INTEGER_KINDS else "a number"
            parts.append(f"{noun} {_bounds(self.min, self.max)}")
        elif self.kind == "list":
            parts.append(f"{_bounds(self.min, self.max)} items")
        elif self.kind == "map":
            parts.append(f"{_bounds(self.min, self.max)} entries")
        else:
            parts.append(f"{_bounds(self.min, self.max)} characters")
            if self.pattern:
                parts.append(f"matching {self.pattern}")
        return ", ".join(parts) + f" ({self.source})"

    @property
    def rule(self) -> Rule:
        """The rule (``Api.<shape>``) a value outside these limits breaks."""
        return api_rule(self.service, self.shape)

    @property
    def is_integer(self) -> bool:
        return self.kind in INTEGER_KINDS

    @property
    def is_number(self) -> bool:
        return self.kind in INTEGER_KINDS + DECIMAL_KINDS

    @property
    def source(self) -> str:
        where = "" if self.service == SERVICE else f" of {self.service}"
        return f"shape {self.shape}{where} in botocore {botocore.__version__}"


def _bounds(low: float | None, high: float | None) -> str:
    fmt = _number_text
    if low is not None and high is not None:
        return f"from {fmt(low)} to {fmt(high)}"
    if low is not None:
        return f"at least {fmt(low)}"
    if high is not None:
        return f"at most {fmt(high)}"
    return "any number of"


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def service_model_file(service: str = SERVICE) -> Path:
    """``botocore/data/<service>/<newest API version>/service-2.json[.gz]``."""
    versions = sorted(path for path in (Path(botocore.__file__).parent / "data" / service).iterdir() if path.is_dir())
    for name in ("service-2.json.gz", "service-2.json"):
        if (versions[-1] / name).is_file():
            return versions[-1] / name
    raise FileNotFoundError(f"botocore {botocore.__version__} has no {service} service model in {versions[-1]}")


@functools.cache
def _shapes(service: str) -> dict[str, Any]:
    path = service_model_file(service)
    raw = path.read_bytes()
    model: dict[str, Any] = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    shapes: dict[str, Any] = model["shapes"]
    return shapes


@functools.cache
def shape(name: str, service: str = SERVICE) -> Constraint:
    """The constraint of a named shape, e.g. ``shape("EndpointName")``."""
    raw = _shapes(service)[name]
    enum = raw.get("enum")
    pattern = python_pattern(raw["pattern"]) if "pattern" in raw else None
    minimum = raw.get("min")
    if pattern is not None and not re.fullmatch(pattern, ""):  # the pattern needs a character: say "from 1"
        minimum = max(minimum or 0, 1)
    return Constraint(
        shape=name,
        kind=raw["type"],
        min=minimum,
        max=raw.get("max"),
        pattern=pattern,
        enum=tuple(enum) if enum is not None else None,
        service=service,
    )


def member(structure: str, member_name: str, service: str = SERVICE) -> Constraint:
    """The constraint of a structure's member, e.g. ``member("ProductionVariant", "VolumeSizeInGB")``."""
    target = _shapes(service)[structure]["members"][member_name]["shape"]
    return dataclasses.replace(shape(target, service), member=member_name)


def python_pattern(pattern: str) -> str:
    """A botocore pattern (Java regex) in Python's syntax: ``\\p{Print}``, ``\\p{ASCII}``, ``\\A``, ``\\z``."""
    return re.sub("|".join(re.escape(java) for java in JAVA_REGEX), lambda found: JAVA_REGEX[found[0]], pattern)
