"""What every importer shares: a name and ARN checked and completed, and the imported construct's environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, Stack
from constructs import Construct

from . import api_model, per_stack, rules, validation
from .errors import Problems, ValidationError


@dataclass(frozen=True)
class Identity:
    """An imported resource's name and ARN, both known (literals or tokens)."""

    name: str
    arn: str


def identity(
    scope: Construct, construct_id: str, *, resource: str, name: str | None, arn: str | None, shape: str
) -> Identity:
    """Check ``name`` (API shape ``<shape>Name``) and ``arn`` (``<shape>Arn``), at least one; complete the other.

    ``resource`` is the ARN's resource type (``endpoint``, ``model``, ``endpoint-config``). SageMaker ARNs hold
    names in lower case, so a literal name is lower-cased when the ARN is built.
    """
    problems = Problems()
    if name is None and arn is None:
        problems.add(rules.IMPORT, "name", None, "a name, an ARN, or both", "give one of them")
    fix = "copy it from the console or `aws sagemaker describe-*`"
    validation.check_value(problems, "name", name, api_model.shape(f"{shape}Name"), fix)
    validation.check_value(problems, "arn", arn, api_model.shape(f"{shape}Arn"), fix)
    if problems.items:
        raise ValidationError(f"{scope.node.path}/{construct_id}", problems.items)
    stack = Stack.of(scope)
    if arn is None:
        assert name is not None
        arn = stack.format_arn(service="sagemaker", resource=resource, resource_name=validation.arn_name(name))
    if name is None:
        name = (
            str(stack.split_arn(arn, ArnFormat.SLASH_RESOURCE_NAME).resource_name)
            if validation.is_unresolved(arn)
            else arn.split(f":{resource}/", 1)[1]
        )
    return Identity(name=name, arn=arn)


class ImportedResource:
    """Mixin for an imported construct: its environment from a literal ARN, its ``identity`` and stack facts.

    List it before the construct's base class: ``class _ImportedModel(ImportedResource, ModelBase)``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, identity: Identity) -> None:
        literal = not validation.is_unresolved(identity.arn)
        base: Any = super()
        base.__init__(scope, construct_id, environment_from_arn=identity.arn if literal else None)
        self.identity = identity
        self.stack_facts = per_stack.facts(scope)
