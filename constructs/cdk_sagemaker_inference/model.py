"""A SageMaker Model: one inference container, its data, its execution role and its network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import jsii
from aws_cdk import Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, per_stack, rules, validation
from .container_image import ContainerImage
from .errors import Problems
from .execution_role import ExecutionRole
from .imported import ImportedResource, identity
from .model_data import ModelData
from .per_stack import StackFacts

if TYPE_CHECKING:  # aws_ec2 costs ~0.2 s to import: only models in a VPC load it, at run time
    from aws_cdk import aws_ec2 as ec2

MIN_RECOMMENDED_SUBNETS = 2


class ModelBase(Resource):
    """What every model offers, defined here or imported (`IModel`): its name and ARN.

    An imported model's role, VPC and network isolation are unknown: the rules that compare them with
    an endpoint's other models are skipped, and its role must already hold what its endpoints need.
    """

    stack_facts: StackFacts
    execution_role: ExecutionRole | None = None
    """The role this library manages for the model; None for an imported one."""
    network_isolation: bool | None = None
    vpc: ec2.IVpc | None = None
    subnet_ids: list[str] = []  # noqa: RUF012 - read-only default of an imported model

    @property
    def model_name(self) -> str:
        raise NotImplementedError

    @property
    def model_arn(self) -> str:
        raise NotImplementedError


IModel = ModelBase
"""A SageMaker model: one this library defines (`Model`) or one imported (`Model.from_model_name`)."""


class _ImportedModel(ImportedResource, ModelBase):
    @property
    def model_name(self) -> str:
        return self.identity.name

    @property
    def model_arn(self) -> str:
        return self.identity.arn


@jsii.implements(iam.IGrantable)
class Model(ModelBase):
    execution_role: ExecutionRole
    """A SageMaker model (``AWS::SageMaker::Model``) with a single container.

    It has no physical name: every property is create-only, so CloudFormation replaces the model on
    any change, which a fixed name would make fail. The model depends on its role's policy, because
    CreateModel checks the image and data access at once.

    :param container: the inference image.
    :param model_data: the model artifacts, extracted to ``/opt/ml/model``. Default: - none.
    :param environment: container environment variables. Default: - none.
    :param role: the execution role: an `ExecutionRole` (e.g. another model's ``execution_role``, to share
        one role and policy), or any IAM role, to which one managed policy with what its models need is
        attached (models given the same role share it). Default: - a least-privilege `ExecutionRole`.
    :param network_isolation: block all network access from the container. Default: False.
    :param vpc: run the container in this VPC. Default: - no VPC.
    :param vpc_subnets: the subnets to use in ``vpc``. Default: - the VPC's private subnets.
    :param security_groups: the security groups in ``vpc``. Default: - one is defined, all egress allowed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        container: ContainerImage,
        model_data: ModelData | None = None,
        environment: Mapping[str, str] | None = None,
        role: ExecutionRole | iam.IRole | None = None,
        network_isolation: bool = False,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack_facts = per_stack.facts(scope)
        self._validate_types(container, model_data, environment, role, network_isolation, vpc)
        self.environment = dict(environment or {})
        self.network_isolation = network_isolation
        self.vpc = vpc
        self.subnet_ids: list[str] = _select_subnets(vpc, vpc_subnets).subnet_ids if vpc else []
        self._validate(container, model_data, vpc, vpc_subnets, security_groups)

        if isinstance(role, ExecutionRole):
            self.execution_role = role
        elif role is not None:  # models sharing one IAM role share one managed policy
            self.execution_role = ExecutionRole.shared(self, role)
        else:
            self.execution_role = ExecutionRole(self, "ExecutionRole")
        self.role: iam.IRole = self.execution_role.role
        self.security_groups: list[ec2.ISecurityGroup] = []
        if vpc is not None:
            self.security_groups = list(security_groups or [])
            if not self.security_groups:
                from aws_cdk.aws_ec2 import SecurityGroup

                self.security_groups = [SecurityGroup(self, "SecurityGroup", vpc=vpc, allow_all_outbound=True)]
            self.execution_role.grant_vpc_access()

        self.image_uri = container.bind(self, self.execution_role).image_uri
        self.model_data_url = model_data.bind(self, self.execution_role).url if model_data else None

        self.resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=self.image_uri,
                model_data_url=self.model_data_url,
                environment=self.environment or None,
            ),
            enable_network_isolation=network_isolation or None,
            vpc_config=self._vpc_config(),
        )
        self.resource.add_resource_dependency(self.execution_role.policy)
        self._model_name: str = self.resource.attr_model_name

    @property
    def model_name(self) -> str:
        return self._model_name

    @staticmethod
    def from_model_name(scope: Construct, construct_id: str, model_name: str) -> IModel:
        """An existing model in this stack's account and Region, by name."""
        found = identity(scope, construct_id, resource="model", name=model_name, arn=None, shape="Model")
        return _ImportedModel(scope, construct_id, identity=found)

    @staticmethod
    def from_model_arn(scope: Construct, construct_id: str, model_arn: str) -> IModel:
        """An existing model, by ARN (in this stack's account and Region, as an endpoint config needs)."""
        found = identity(scope, construct_id, resource="model", name=None, arn=model_arn, shape="Model")
        return _ImportedModel(scope, construct_id, identity=found)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The execution role: grants (``bucket.grant_read(model)``) land in its managed policy, which the model
        waits for."""
        return self.execution_role.grant_principal

    @property
    def model_arn(self) -> str:
        return self.resource.ref

    @property
    def connections(self) -> ec2.Connections:
        """The model's security groups, for ``connections.allow_to(...)``. Only for a model in a VPC."""
        if self.vpc is None:
            raise ValueError(f"{self.node.path}: the model has no VPC, so it has no connections; pass vpc=...")
        from aws_cdk.aws_ec2 import Connections

        return Connections(security_groups=self.security_groups)

    def _vpc_config(self) -> sagemaker.CfnModel.VpcConfigProperty | None:
        if self.vpc is None:
            return None
        return sagemaker.CfnModel.VpcConfigProperty(
            subnets=self.subnet_ids,
            security_group_ids=[group.security_group_id for group in self.security_groups],
        )

    def _validate_types(
        self,
        container: object,
        model_data: object,
        environment: object,
        role: object,
        network_isolation: object,
        vpc: object,
    ) -> None:
        """Wrong types first: later checks and the CDK calls rely on them."""
        problems = Problems()
        validation.check_type(
            problems, "container", container, ContainerImage, "ContainerImage.from_ecr_repository(repo, tag='1.0')"
        )
        if model_data is not None:
            validation.check_type(
                problems, "model_data", model_data, ModelData, "ModelData.from_s3_url('s3://bucket/model.tar.gz')"
            )
        if environment is not None:
            validation.check_type(problems, "environment", environment, Mapping, "{'NAME': 'value'}")
        if role is not None and not isinstance(role, ExecutionRole):
            validation.check_interface(
                problems, "role", role, "iam.IRole", "grant_pass_role", "iam.Role.from_role_arn(scope, 'Role', arn)"
            )
        validation.check_type(problems, "network_isolation", network_isolation, bool, "True or False")
        if vpc is not None:
            validation.check_interface(
                problems, "vpc", vpc, "ec2.IVpc", "select_subnets", "ec2.Vpc.from_lookup(...) or an ec2.Vpc"
            )
        problems.raise_if_any(self)

    def _validate(
        self,
        container: ContainerImage,
        model_data: ModelData | None,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
    ) -> None:
        problems = Problems()
        container.validate(problems, "container")
        if model_data is not None:
            model_data.validate(self, problems, "model_data")
        validation.check_environment(problems, "environment", self.environment)
        if vpc is None and (vpc_subnets is not None or security_groups):
            problems.add(
                rules.VPC_REQUIRED,
                "vpc",
                None,
                "a VPC whenever vpc_subnets or security_groups are given",
                "pass vpc=... as well",
            )
        if vpc is not None:
            vpc_rules = "VpcConfig"
            validation.check_count(
                problems,
                "vpc_subnets",
                self.subnet_ids,
                api_model.member(vpc_rules, "Subnets"),
                "select fewer or more subnets with vpc_subnets",
            )
            if security_groups:
                validation.check_count(
                    problems,
                    "security_groups",
                    list(security_groups),
                    api_model.member(vpc_rules, "SecurityGroupIds"),
                    "pass fewer security groups",
                )
        problems.raise_if_any(self)
        subnets_known = vpc is not None and not validation.is_unresolved(self.subnet_ids)
        if subnets_known and len(self.subnet_ids) < MIN_RECOMMENDED_SUBNETS:
            validation.warn(
                self,
                rules.SINGLE_SUBNET,
                f"the model uses {len(self.subnet_ids)} subnet; use at least {MIN_RECOMMENDED_SUBNETS} in "
                "different Availability Zones so SageMaker can spread instances",
            )


SUBNET_SELECTION_FIELDS = (
    "availability_zones",
    "one_per_az",
    "subnet_filters",
    "subnet_group_name",
    "subnets",
    "subnet_type",
)


def _select_subnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection | None) -> ec2.SelectedSubnets:
    """``vpc.select_subnets`` for a `SubnetSelection` (Python's binding takes its fields as keywords)."""
    fields = {name: getattr(selection, name) for name in SUBNET_SELECTION_FIELDS} if selection else {}
    return vpc.select_subnets(**{name: value for name, value in fields.items() if value is not None})
