"""Many endpoints in one app: stacks filled up to a number of endpoints each, beside one stack for what they share.

A fully featured endpoint (a model on a role its stack's models share, target-tracking scaling, the recommended
alarms, a smoke test) is 15 resources and ~13 KB of template, and a stack adds ~26 of its own (the deploy-time
providers, a dashboard): 25 such endpoints make ~400 resources and ~330 KB, within CloudFormation's 500 and 1 MB
with room for what an app adds. `StackBudgets` fails the synth of a stack past either quota.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from . import rules, validation
from .errors import Problems, ValidationError

DEFAULT_ENDPOINTS_PER_STACK = 25


class EndpointStacks:
    """Stacks named ``<prefix>1``, ``<prefix>2``, ... of at most ``endpoints_per_stack`` endpoints each, made as
    `stack_for_endpoint` asks, and ``shared`` (``<prefix>Shared``) for what several stacks use (roles, topics,
    models); every stack takes ``stack_props`` (e.g. ``env``). Endpoints in one stack share its deploy-time
    providers and, with `EndpointDashboard.add_endpoint`, its dashboard.

    :param scope: the app or stage.
    :param prefix: the stacks' construct IDs start with it.
    :param endpoints_per_stack: endpoints per stack. Default: 25.
    """

    def __init__(
        self,
        scope: Construct,
        prefix: str,
        *,
        endpoints_per_stack: int = DEFAULT_ENDPOINTS_PER_STACK,
        **stack_props: Any,
    ) -> None:
        problems = Problems()
        validation.check_type(problems, "prefix", prefix, str, "'Endpoints'")
        validation.check_type(problems, "endpoints_per_stack", endpoints_per_stack, int, "endpoints_per_stack=25")
        if isinstance(endpoints_per_stack, int) and endpoints_per_stack < 1:
            problems.add(rules.STACK_BUDGET, "endpoints_per_stack", endpoints_per_stack, "1 or more", "give e.g. 25")
        if problems.items:  # no construct of its own to name
            raise ValidationError("EndpointStacks", problems.items)
        self._scope = scope
        self._prefix = prefix
        self._per_stack = endpoints_per_stack
        self._props = stack_props
        self.shared = Stack(scope, f"{prefix}Shared", **stack_props)
        """The stack for what the endpoint stacks share."""
        self.stacks: list[Stack] = []
        """The endpoint stacks made so far, in order."""
        self._count = 0

    def stack_for_endpoint(self) -> Stack:
        """The stack the next endpoint goes in: the last one, or a new one (depending on ``shared``) when it is
        full."""
        if self._count % self._per_stack == 0:
            stack = Stack(self._scope, f"{self._prefix}{len(self.stacks) + 1}", **self._props)
            stack.add_stack_dependency(self.shared)
            self.stacks.append(stack)
        self._count += 1
        return self.stacks[-1]
