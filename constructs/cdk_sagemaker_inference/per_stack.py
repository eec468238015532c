"""What the library keeps once per stack: its environment and one validation hook.

Every call into the CDK's Node.js runtime costs ~0.5-1 ms and a synth of many endpoints makes
thousands, so a stack's partition, Region and account are asked once, and everything that must run
when the app synthesizes (after every ``add_*()``) shares one validation of the stack.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import jsii
from aws_cdk import Stack
from constructs import IConstruct, IValidation

from .validation import is_unresolved

PSEUDO_PARAMETERS = {"partition": "AWS::Partition", "region": "AWS::Region", "account": "AWS::AccountId"}


@dataclass(frozen=True)
class StackFacts:
    """A stack with its ``partition``, ``region`` and ``account``: tokens, or literals when the env names them.

    ``shown`` holds the same values as cdk-nag prints them (a pseudo parameter as ``<AWS::Region>``).
    """

    stack: Stack
    partition: str
    region: str
    account: str
    shown: dict[str, str]

    def literal(self, name: str) -> str | None:
        """``region`` or ``account`` when known at synth time, else None."""
        value: str = getattr(self, name)
        return None if self.shown[name].startswith("<") else value


_FACTS: weakref.WeakKeyDictionary[Stack, StackFacts] = weakref.WeakKeyDictionary()


def facts(scope: IConstruct) -> StackFacts:
    """The facts of ``scope``'s stack. Free (no call into the runtime) when ``scope`` is a stack or a construct
    of this library that knows its ``stack_facts``: pass a construct's parent scope rather than the construct."""
    known = getattr(scope, "stack_facts", None)
    if isinstance(known, StackFacts):
        return known
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    if stack not in _FACTS:
        values = {"partition": stack.partition, "region": stack.region, "account": stack.account}
        shown = {name: f"<{PSEUDO_PARAMETERS[name]}>" if is_unresolved(v) else v for name, v in values.items()}
        _FACTS[stack] = StackFacts(stack=stack, shown=shown, **values)
    return _FACTS[stack]


def at_validation(stack: Stack, callback: Callable[[], list[str] | None]) -> None:
    """Run ``callback`` when the app synthesizes, before templates are written (warnings, acknowledgments).

    A callback may return error messages: synth then fails with every message of the stack.
    """
    if stack not in _HOOKS:
        _HOOKS[stack] = _StackValidation()
        stack.node.add_validation(_HOOKS[stack])
    _HOOKS[stack].callbacks.append(callback)


@jsii.implements(IValidation)
class _StackValidation:
    def __init__(self) -> None:
        self.callbacks: list[Callable[[], list[str] | None]] = []

    def validate(self) -> list[str]:
        return [error for callback in self.callbacks for error in callback() or []]


_HOOKS: weakref.WeakKeyDictionary[Stack, _StackValidation] = weakref.WeakKeyDictionary()
