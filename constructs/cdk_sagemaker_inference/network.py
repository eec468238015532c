"""Where SageMaker runs containers in a VPC: a model's, or those of an endpoint that hosts inference components.

`validate_placement` checks the choice (subnets and security groups only with a VPC, within the API's counts)
and returns the selected subnets; `place` defines the default security group and lets the execution role
manage the network interfaces SageMaker attaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from constructs import Construct

from . import api_model, rules, validation
from .errors import Problems

if TYPE_CHECKING:  # aws_ec2 costs ~0.2 s to import: only placements in a VPC load it, at run time
    from aws_cdk import aws_ec2 as ec2

    from .execution_role import ExecutionRole

MIN_RECOMMENDED_SUBNETS = 2
SUBNET_SELECTION_FIELDS = (
    "availability_zones",
    "one_per_az",
    "subnet_filters",
    "subnet_group_name",
    "subnets",
    "subnet_type",
)


@dataclass(frozen=True)
class VpcPlacement:
    """A VPC, the subnets chosen in it and the security groups of the network interfaces."""

    vpc: ec2.IVpc
    subnet_ids: list[str]
    security_groups: list[ec2.ISecurityGroup]

    def render(self, property_type: Any) -> Any:
        """``VpcConfig`` as ``property_type`` (the model's or the endpoint config's property class) takes it."""
        return property_type(
            subnets=self.subnet_ids, security_group_ids=[group.security_group_id for group in self.security_groups]
        )


def check_vpc_type(problems: Problems, vpc: object) -> None:
    if vpc is not None:
        validation.check_interface(
            problems, "vpc", vpc, "ec2.IVpc", "select_subnets", "ec2.Vpc.from_lookup(...) or an ec2.Vpc"
        )


def validate_placement(
    scope: Construct,
    who: str,
    problems: Problems,
    vpc: ec2.IVpc | None,
    vpc_subnets: ec2.SubnetSelection | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
) -> list[str]:
    """The selected subnet IDs (none without a VPC); problems of the choice; a warning for a single subnet."""
    if vpc is None:
        if vpc_subnets is not None or security_groups:
            problems.add(
                rules.VPC_REQUIRED,
                "vpc",
                None,
                "a VPC whenever vpc_subnets or security_groups are given",
                "pass vpc=... as well",
            )
        return []
    subnet_ids: list[str] = _select_subnets(vpc, vpc_subnets).subnet_ids
    validation.check_count(
        problems,
        "vpc_subnets",
        subnet_ids,
        api_model.member("VpcConfig", "Subnets"),
        "select fewer or more subnets with vpc_subnets",
    )
    if security_groups:
        validation.check_count(
            problems,
            "security_groups",
            list(security_groups),
            api_model.member("VpcConfig", "SecurityGroupIds"),
            "pass fewer security groups",
        )
    few = not validation.is_unresolved(subnet_ids) and len(subnet_ids) < MIN_RECOMMENDED_SUBNETS
    if few and not problems.items:
        validation.warn(
            scope,
            rules.SINGLE_SUBNET,
            f"{who} uses {len(subnet_ids)} subnet; use at least {MIN_RECOMMENDED_SUBNETS} in different Availability "
            "Zones so SageMaker can spread instances",
        )
    return subnet_ids


def place(
    scope: Construct,
    vpc: ec2.IVpc,
    subnet_ids: list[str],
    security_groups: Sequence[ec2.ISecurityGroup] | None,
    role: ExecutionRole,
) -> VpcPlacement:
    """The placement, with a security group defined under ``scope`` (all egress allowed) when none is given."""
    groups = list(security_groups or [])
    if not groups:
        from aws_cdk.aws_ec2 import SecurityGroup

        groups = [SecurityGroup(scope, "SecurityGroup", vpc=vpc, allow_all_outbound=True)]
    role.grant_vpc_access()
    return VpcPlacement(vpc, subnet_ids, groups)


def _select_subnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection | None) -> ec2.SelectedSubnets:
    """``vpc.select_subnets`` for a `SubnetSelection` (Python's binding takes its fields as keywords)."""
    fields = {name: getattr(selection, name) for name in SUBNET_SELECTION_FIELDS} if selection else {}
    return vpc.select_subnets(**{name: value for name, value in fields.items() if value is not None})
