"""One customer-managed IAM policy whose statements are kept as JSON and rendered once, at synth."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import per_stack, rules
from .errors import Problems, ValidationError

EMPTY_DOCUMENT = {"Version": "2012-10-17", "Statement": []}
MAX_POLICY_CHARACTERS = 6144
"""IAM's quota on a customer-managed policy: characters, white space not counted."""
# Longest values the pseudo parameters and other references take at deploy time, for the size estimate.
DEPLOY_TIME_LENGTHS = {"AWS::Partition": 10, "AWS::Region": 14, "AWS::AccountId": 12, "AWS::URLSuffix": 16}
REFERENCE_LENGTH = 128  # a resource's ARN or name


class ManagedPolicyStatements:
    """Statements added at any time, rendered into ``policy`` (an ``AWS::IAM::ManagedPolicy``) once.

    Nothing is inline (cdk-nag's IAMNoInlinePolicy). Keeping IAM JSON instead of ``PolicyStatement``
    objects saves calls into the CDK's Node.js runtime on every grant; each statement appears once.
    The document is set when the app synthesizes (the stack's validation, after every ``add_*()``):
    one call, where a lazy value would cost two and a callback.

    Statements that differ only in their resources are rendered as one, and the document's size is checked
    against IAM's 6,144 characters at synth, estimated with each deploy-time value at its longest.

    :param roles: names of the roles the policy is attached to.
    :param split_hint: what to do when the policy is too large (the fix in the error).
    """

    def __init__(self, scope: Construct, construct_id: str, *, roles: list[str], split_hint: str) -> None:
        self._statements: list[dict[str, Any]] = []
        self._split_hint = split_hint
        self.policy = iam.CfnManagedPolicy(scope, construct_id, policy_document=EMPTY_DOCUMENT, roles=roles)
        per_stack.at_validation(per_stack.facts(scope).stack, self._set_document)

    def _set_document(self) -> list[ValidationError]:
        document = self._render()
        self.policy.policy_document = document
        unresolved = json.dumps(document, separators=(",", ":"))
        references = sum(unresolved.count(marker) for marker in ("${Token[", '{"Ref":', '{"Fn::'))
        if len(unresolved) + references * REFERENCE_LENGTH <= MAX_POLICY_CHARACTERS:
            return []  # within the quota even with every deploy-time value at its longest: no resolution needed
        size = estimated_characters(Stack.of(self.policy).resolve(document))
        if size <= MAX_POLICY_CHARACTERS:
            return []
        problems = Problems()
        problems.add(
            rules.POLICY_SIZE,
            "policy",
            f"about {size} characters",
            f"at most {MAX_POLICY_CHARACTERS} (IAM's quota for a managed policy; CloudFormation would fail the deploy)",
            self._split_hint,
        )
        return [ValidationError(self.policy.node.path, problems.items)]

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
        return {"Version": "2012-10-17", "Statement": _merged(unique)}


def _merged(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements alike but for their resources as one, in the order first seen (a deploy-time list of resources
    stays a statement of its own: it must remain the whole list)."""
    merged: list[dict[str, Any]] = []
    by_rest: dict[str, dict[str, Any]] = {}
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if any(isinstance(r, str) and r.startswith(LIST_TOKEN_PREFIX) for r in resources):
            merged.append(statement)
            continue
        rest = json.dumps({k: v for k, v in statement.items() if k != "Resource"}, sort_keys=True)
        if rest not in by_rest:
            by_rest[rest] = dict(statement)
            merged.append(by_rest[rest])
            continue
        target = by_rest[rest]
        known = target["Resource"] if isinstance(target["Resource"], list) else [target["Resource"]]
        target["Resource"] = known + [r for r in resources if r not in known]
    return merged


def estimated_characters(value: Any) -> int:
    """The characters of a resolved policy document once CloudFormation has substituted its references (white
    space not counted, as IAM counts): each pseudo parameter at its longest, any other reference as an ARN."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, (int, float, bool)) or value is None:
        return len(json.dumps(value))
    if isinstance(value, list):
        return 2 + sum(estimated_characters(item) for item in value) + max(len(value) - 1, 0)
    if set(value) == {"Ref"}:
        return DEPLOY_TIME_LENGTHS.get(value["Ref"], REFERENCE_LENGTH) + 2
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        inner = [estimated_characters(part) - 2 for part in parts]
        return sum(inner) + len(separator) * max(len(parts) - 1, 0) + 2
    if len(value) == 1 and next(iter(value)).startswith("Fn::"):
        return REFERENCE_LENGTH + 2
    return 2 + sum(len(key) + 3 + estimated_characters(item) for key, item in value.items()) + len(value) - 1


def _rendered(statement: dict[str, Any]) -> dict[str, Any]:
    resources = statement["Resource"]
    return {**statement, "Resource": _one_or_list(resources())} if callable(resources) else statement


LIST_TOKEN_PREFIX = "#{Token["  # how the CDK encodes a deploy-time list (Fn.split) as a one-element list


def _one_or_list(values: list[str]) -> str | list[str]:
    """One value as itself, several (or a deploy-time list, which must stay a list) as a list."""
    return values[0] if len(values) == 1 and not values[0].startswith(LIST_TOKEN_PREFIX) else values
