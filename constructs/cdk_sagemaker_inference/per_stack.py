"""What the library keeps once per stack: its environment and one validation hook (and, once per app or stage,
the check of CloudFormation's stack quotas on the templates, `budgets`).

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

from . import budgets, rules
from .errors import Problems, ValidationError
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

    def check_same_environment(self, problems: Problems, prop: str, there: StackFacts, other: IConstruct) -> None:
        """``there`` (e.g. the stack of ``other``, a config's model) has this stack's account and Region.

        Only literal values are compared; one stack is trivially the same.
        """
        if self.stack is there.stack:
            return
        for attribute in ("account", "region"):
            ours, theirs = self.literal(attribute), there.literal(attribute)
            if (ours is None) != (theirs is None):  # the CDK cannot refer between a pinned and an agnostic stack
                problems.add(
                    rules.SAME_ENVIRONMENT,
                    prop,
                    f"{other.node.path} in {attribute} {theirs or 'unknown until deploy'}",
                    f"a resource in this stack's {attribute}, {ours or 'unknown until deploy'}",
                    "give both stacks the same env (both pinned to one account and Region, or neither pinned)",
                )
                continue
            if ours is None or theirs is None or ours == theirs:
                continue
            problems.add(
                rules.SAME_ENVIRONMENT,
                prop,
                f"{other.node.path} in {attribute} {theirs}",
                f"a resource in this stack's {attribute}, {ours}",
                "define it in a stack of the same account and Region (SageMaker resources cannot refer across them)",
            )


_FACTS: weakref.WeakKeyDictionary[Stack, StackFacts] = weakref.WeakKeyDictionary()


def facts(scope: IConstruct) -> StackFacts:
    """The facts of ``scope``'s stack. Free (no call into the runtime) when ``scope`` is a stack or a construct
    of this library that knows its ``stack_facts``: pass a construct's parent scope rather than the construct."""
    known = getattr(scope, "stack_facts", None)
    if isinstance(known, StackFacts):
        return known
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    if stack not in _FACTS:
        budgets.register(stack)
        at_validation(stack, lambda: budgets.resource_problems(stack))
        values = {"partition": stack.partition, "region": stack.region, "account": stack.account}
        shown = {name: f"<{PSEUDO_PARAMETERS[name]}>" if is_unresolved(v) else v for name, v in values.items()}
        _FACTS[stack] = StackFacts(stack=stack, shown=shown, **values)
    return _FACTS[stack]


def at_validation(stack: Stack, callback: Callable[[], list[ValidationError] | None]) -> None:
    """Run ``callback`` once, when the app synthesizes (or `validate` runs), before templates are written
    (warnings, acknowledgments). A callback may return `ValidationError` s: synth then fails with them all."""
    if stack not in _HOOKS:
        _HOOKS[stack] = _StackValidation()
        stack.node.add_validation(_HOOKS[stack])
    _HOOKS[stack].callbacks.append(callback)


def validate(scope: IConstruct) -> None:
    """Run this library's synth-time checks of every stack in ``scope`` (an App, a Stage or a Stack) now, and raise
    their `ValidationError` (one, holding every problem found) instead of synth's jsii error. Call it once the
    stacks hold everything (after every ``add_*()``); each check runs once, and synth reuses its answer."""
    stacks = [found for found in scope.node.find_all() if isinstance(found, Stack)] or [Stack.of(scope)]
    errors = [error for stack in stacks if stack in _HOOKS for error in _HOOKS[stack].errors()]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        paths = ", ".join(error.construct_path for error in errors)
        raise ValidationError(paths, [problem for error in errors for problem in error.problems])


@jsii.implements(IValidation)
class _StackValidation:
    def __init__(self) -> None:
        self.callbacks: list[Callable[[], list[ValidationError] | None]] = []
        self._found: list[ValidationError] = []
        self._ran = 0

    def errors(self) -> list[ValidationError]:
        """Run the callbacks not run yet (each adds its warnings and acknowledgments once); every error so far."""
        while self._ran < len(self.callbacks):
            callback = self.callbacks[self._ran]
            self._ran += 1
            self._found.extend(callback() or [])
        return list(self._found)

    def validate(self) -> list[str]:
        return [str(error) for error in self.errors()]


_HOOKS: weakref.WeakKeyDictionary[Stack, _StackValidation] = weakref.WeakKeyDictionary()
