"""Synth-time errors that name the construct, the property, the value, what is allowed and the fix."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from constructs import IConstruct

from .rules import LOOK_UP, Rule

MAX_VALUE_CHARS = 120


class ValidationError(ValueError):
    """Raised at synth time when construct properties break a SageMaker rule.

    One error lists every problem found on one construct. ``problems`` holds them for programs.
    """

    def __init__(self, construct_path: str, problems: list[Problem]) -> None:
        self.construct_path = construct_path
        self.problems = list(problems)
        lines = [f"{construct_path}: {len(problems)} invalid propert{'y' if len(problems) == 1 else 'ies'}"]
        lines += [f"  - {problem}" for problem in problems]
        lines.append(f"  ([ID] is a rule of cdk-sagemaker-inference: {LOOK_UP})")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Problem:
    """One broken `Rule`: ``prop`` got ``value``; ``allowed`` says what is valid and ``fix`` what to do.
    ``api`` names the API / CloudFormation property ``prop`` becomes, when there is one (e.g. ``VariantName``)."""

    rule: Rule
    prop: str
    value: object
    allowed: str
    fix: str
    api: str | None = None

    def __str__(self) -> str:
        where = f"{self.prop} ({self.api})" if self.api else self.prop
        return f"[{self.rule.id}] {where} = {shown_value(self.value)}: allowed: {self.allowed}. Fix: {self.fix}"


TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")  # how the CDK encodes a deploy-time value in a string
DEPLOY_TIME = "<deploy-time value>"


def shown_value(value: object) -> str:
    """``repr(value)`` with each deploy-time value (a CDK token) shown as such, cut to `MAX_VALUE_CHARS`; never
    fails (a value's own repr may raise)."""
    try:
        shown = TOKEN.sub(DEPLOY_TIME, repr(value))
    except Exception:  # any user object: show its type instead
        shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= MAX_VALUE_CHARS else shown[: MAX_VALUE_CHARS - 3] + "..."


@dataclass
class Problems:
    """Collects the problems of one construct, then raises them together."""

    items: list[Problem] = field(default_factory=list)

    def add(self, rule: Rule, prop: str, value: object, allowed: str, fix: str, api: str | None = None) -> None:
        self.items.append(Problem(rule, prop, value, allowed, fix, api))

    def raise_if_any(self, scope: IConstruct) -> None:
        """Raise one `ValidationError` naming ``scope``'s path if any problem was added."""
        if self.items:
            raise ValidationError(scope.node.path or "<app>", self.items)
