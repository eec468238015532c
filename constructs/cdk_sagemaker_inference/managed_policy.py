"""One customer-managed IAM policy whose statements are kept as JSON and rendered once, at synth."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import per_stack

EMPTY_DOCUMENT = {"Version": "2012-10-17", "Statement": []}


class ManagedPolicyStatements:
    """Statements added at any time, rendered into ``policy`` (an ``AWS::IAM::ManagedPolicy``) once.

    Nothing is inline (cdk-nag's IAMNoInlinePolicy). Keeping IAM JSON instead of ``PolicyStatement``
    objects saves calls into the CDK's Node.js runtime on every grant; each statement appears once.
    The document is set when the app synthesizes (the stack's validation, after every ``add_*()``):
    one call, where a lazy value would cost two and a callback.

    :param roles: names of the roles the policy is attached to.
    """

    def __init__(self, scope: Construct, construct_id: str, *, roles: list[str]) -> None:
        self._statements: list[dict[str, Any]] = []
        self.policy = iam.CfnManagedPolicy(scope, construct_id, policy_document=EMPTY_DOCUMENT, roles=roles)
        per_stack.at_validation(per_stack.facts(scope).stack, self._set_document)

    def _set_document(self) -> None:
        self.policy.policy_document = self._render()

    @property
    def statements(self) -> list[dict[str, Any]]:
        """The statements as IAM JSON (values may hold tokens), in the order added, resources as of now."""
        rendered = (_rendered(statement) for statement in self._statements)
        return [statement for statement in rendered if statement["Resource"]]

    def allow(
        self,
        actions: list[str],
        resources: list[str] | Callable[[], list[str]],
        conditions: dict[str, Any] | None = None,
    ) -> None:
        """Allow ``actions`` on ``resources``, under ``conditions`` if given.

        ``resources`` may be a function, called when the policy renders (resources known only after ``add_*()``);
        a statement whose function returns no resources is left out.
        """
        statement: dict[str, Any] = {"Effect": "Allow", "Action": _one_or_list(actions)}
        statement["Resource"] = _one_or_list(resources) if isinstance(resources, list) else resources
        if conditions:
            statement["Condition"] = conditions
        self._statements.append(statement)

    def add(self, *statements: iam.PolicyStatement) -> None:
        """Add CDK policy statements."""
        self._statements.extend(statement.to_statement_json() for statement in statements)

    def _render(self) -> dict[str, Any]:
        """The policy document, each statement once (e.g. models sharing a role bind the same grants again).

        Repeats have equal actions; only then are statements resolved to compare them (their ARNs are
        tokens of different constructs), as each resolution is a call into the CDK's Node.js runtime.
        """
        statements = self.statements
        actions = [json.dumps(statement["Action"]) for statement in statements]
        if len(set(actions)) < len(actions):
            statements = Stack.of(self.policy).resolve(statements)
        unique: list[dict[str, Any]] = []
        for statement in statements:
            if statement not in unique:
                unique.append(statement)
        return {"Version": "2012-10-17", "Statement": unique}


def _rendered(statement: dict[str, Any]) -> dict[str, Any]:
    resources = statement["Resource"]
    return {**statement, "Resource": _one_or_list(resources())} if callable(resources) else statement


LIST_TOKEN_PREFIX = "#{Token["  # how the CDK encodes a deploy-time list (Fn.split) as a one-element list


def _one_or_list(values: list[str]) -> str | list[str]:
    """One value as itself, several (or a deploy-time list, which must stay a list) as a list."""
    return values[0] if len(values) == 1 and not values[0].startswith(LIST_TOKEN_PREFIX) else values
