"""A SageMaker Model: its containers (one, a Serial pipeline or Direct ones), their data, its execution role
and its network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jsii
from aws_cdk import Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, network, owned_images, per_stack, rules, validation
from .container_image import ContainerImage
from .errors import Problems
from .execution_role import ExecutionRole
from .imported import ImportedResource, identity
from .llm import LargeLanguageModel
from .model_data import ModelData, ModelDataConfig, MultiModelData
from .model_package import ModelPackage
from .per_stack import StackFacts

if TYPE_CHECKING:  # aws_ec2 costs ~0.2 s to import: only models in a VPC load it, at run time
    from aws_cdk import aws_ec2 as ec2

MULTI_MODEL_LABEL = "com.amazonaws.sagemaker.capabilities.multi-models"
BIND_TO_PORT_LABEL = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port"


class InferenceExecutionMode:
    """How the containers of a multi-container model are called (``InferenceExecutionConfig.Mode``)."""

    SERIAL = "Serial"
    """A pipeline: each container's answer is the next one's request (the default)."""
    DIRECT = "Direct"
    """Each call names one container by hostname (``TargetContainerHostname``)."""


@dataclass(frozen=True, kw_only=True)
class ModelContainer:
    """One container of a multi-container model.

    :param image: the inference image.
    :param model_data: its artifacts (a multi-model prefix for at most one container). Default: - none.
    :param environment: its environment variables. Default: - none.
    :param hostname: ``ContainerHostname``, which Direct calls name; required in Direct mode.
        Default: - SageMaker names it.
    """

    image: ContainerImage
    model_data: ModelData | None = None
    environment: Mapping[str, str] | None = None
    hostname: str | None = None


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
    container_count: int = 1
    inference_execution_mode: str | None = None
    """``Direct`` or ``Serial`` for a model of several containers; None for one (or an imported model)."""
    container_hostnames: tuple[str, ...] = ()
    multi_model_data: MultiModelData | None = None
    """The model's multi-model data (one container in ``MultiModel`` mode), if any."""
    uncompressed_data: bool = False
    """A container takes uncompressed model data (``ModelDataSource``)."""
    is_marketplace: bool = False
    """The model serves an AWS Marketplace model package."""
    private_registry: bool = False
    """A container's image comes from a private Docker registry through the model's VPC."""
    llm: LargeLanguageModel | None = None
    """The large language model the model serves, if it was given as ``llm``."""

    @property
    def is_multi_model(self) -> bool:
        return self.multi_model_data is not None

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
    """A SageMaker model (``AWS::SageMaker::Model``): one container, several (``containers``), or a model package
    (``model_package``: a Model Registry version or an AWS Marketplace package).

    It has no physical name: every property is create-only, so CloudFormation replaces the model on
    any change, which a fixed name would make fail. The model depends on its role's policy, because
    CreateModel checks the image and data access at once.

    :param container: the inference image of a single-container model (exactly one of ``container`` and
        ``containers``). Default: - none.
    :param model_data: the single container's artifacts, extracted to ``/opt/ml/model``. Default: - none.
    :param environment: the single container's environment variables. Default: - none.
    :param containers: 1 to 15 `ModelContainer` instead of ``container``: a Serial pipeline or Direct
        containers. Default: - none.
    :param model_package: a `ModelPackage` instead of ``container`` and ``model_data`` (``environment`` still
        applies). Default: - none.
    :param llm: a `LargeLanguageModel` instead of ``container``, ``model_data`` and ``environment``: its server's
        SageMaker-owned GPU image, its weights and the server's variables. Default: - none.
    :param inference_execution_mode: with ``containers``, `InferenceExecutionMode` ``SERIAL`` or ``DIRECT``.
        Default: ``Serial`` for 2 or more containers.
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
        container: ContainerImage | None = None,
        model_data: ModelData | None = None,
        environment: Mapping[str, str] | None = None,
        containers: Sequence[ModelContainer] | None = None,
        model_package: ModelPackage | None = None,
        llm: LargeLanguageModel | None = None,
        inference_execution_mode: str | None = None,
        role: ExecutionRole | iam.IRole | None = None,
        network_isolation: bool = False,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack_facts = per_stack.facts(scope)
        if llm is not None:
            self._validate_llm(llm, [container, model_data, environment, containers, model_package])
            self.llm = llm
            container, model_data, environment = llm.image, llm.model_data, llm.rendered_environment()
        self._validate_types(
            container, model_data, environment, containers, model_package, role, network_isolation, vpc
        )
        self._single = containers is None
        self.model_package = model_package
        self.is_marketplace = model_package is not None and model_package.is_marketplace
        self._environment = environment
        self.containers: tuple[ModelContainer, ...] = (
            ()
            if model_package is not None
            else (ModelContainer(image=container, model_data=model_data, environment=environment),)  # type: ignore[arg-type]
            if containers is None
            else tuple(containers)
        )
        self.container_count = max(len(self.containers), 1)
        if inference_execution_mode is None and len(self.containers) > 1:
            inference_execution_mode = InferenceExecutionMode.SERIAL
        self.inference_execution_mode = inference_execution_mode
        self.container_hostnames = tuple(item.hostname for item in self.containers if item.hostname is not None)
        self.network_isolation = network_isolation
        self.vpc = vpc
        self._validate(vpc, vpc_subnets, security_groups)

        if isinstance(role, ExecutionRole):
            self.execution_role = role
        elif role is not None:  # models sharing one IAM role share one managed policy
            self.execution_role = ExecutionRole.shared(self, role)
        else:
            self.execution_role = ExecutionRole(self, "ExecutionRole")
        self.role: iam.IRole = self.execution_role.role
        self.placement = (
            network.place(self, vpc, self.subnet_ids, security_groups, self.execution_role) if vpc else None
        )
        self.security_groups: list[ec2.ISecurityGroup] = self.placement.security_groups if self.placement else []
        self._deployments: list[Construct] = []
        rendered = [self._bind_container(index, item) for index, item in enumerate(self.containers)]
        if model_package is not None:
            rendered = [self._bind_package(model_package)]
        mode = self.inference_execution_mode
        self.resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=self.role.role_arn,
            primary_container=rendered[0] if self._single else None,
            containers=None if self._single else rendered,
            inference_execution_config=sagemaker.CfnModel.InferenceExecutionConfigProperty(mode=mode) if mode else None,
            enable_network_isolation=network_isolation or None,
            vpc_config=self.placement.render(sagemaker.CfnModel.VpcConfigProperty) if self.placement else None,
        )
        for deployment in self._deployments:
            self.resource.node.add_dependency(deployment)
        self.resource.add_resource_dependency(self.execution_role.policy)
        self._model_name: str = self.resource.attr_model_name

    @property
    def model_name(self) -> str:
        return self._model_name

    def _bind_container(self, index: int, item: ModelContainer) -> sagemaker.CfnModel.ContainerDefinitionProperty:
        """Bind a container's image and data (each after the first under its own scope, so two asset images
        do not clash) and render its definition."""
        scope: Construct = self if index == 0 else Construct(self, f"Container{index + 1}")
        image = item.image.bind(scope, self.execution_role)
        self.private_registry = self.private_registry or image.private_registry
        data = item.model_data.bind(scope, self.execution_role) if item.model_data else ModelDataConfig()
        if data.deployment is not None:
            self._deployments.append(data.deployment)
        if data.is_multi_model:
            self.multi_model_data = item.model_data  # type: ignore[assignment]  # only MultiModelData is
        self.uncompressed_data = self.uncompressed_data or data.uncompressed is not None
        source = (
            sagemaker.CfnModel.ModelDataSourceProperty(
                s3_data_source=sagemaker.CfnModel.S3DataSourceProperty(
                    s3_uri=data.uncompressed[0], s3_data_type=data.uncompressed[1], compression_type="None"
                )
            )
            if data.uncompressed
            else None
        )
        cache = data.multi_model_cache
        auth = (
            sagemaker.CfnModel.RepositoryAuthConfigProperty(
                repository_credentials_provider_arn=image.credentials_provider_arn
            )
            if image.credentials_provider_arn
            else None
        )
        return sagemaker.CfnModel.ContainerDefinitionProperty(
            image=image.image_uri,
            image_config=sagemaker.CfnModel.ImageConfigProperty(
                repository_access_mode="Vpc", repository_auth_config=auth
            )
            if image.private_registry
            else None,
            model_data_url=data.url,
            model_data_source=source,
            mode="MultiModel" if data.is_multi_model else None,
            multi_model_config=sagemaker.CfnModel.MultiModelConfigProperty(model_cache_setting="Disabled")
            if cache is False
            else None,
            environment=dict(item.environment or {}) or None,
            container_hostname=item.hostname,
        )

    def _bind_package(self, package: ModelPackage) -> sagemaker.CfnModel.ContainerDefinitionProperty:
        bound = package.bind(self, self.execution_role)
        return sagemaker.CfnModel.ContainerDefinitionProperty(
            model_package_name=bound.model_package_name, environment=dict(self._environment or {}) or None
        )

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

    def _validate_llm(self, llm: object, others: list[object]) -> None:
        problems = Problems()
        if any(other is not None for other in others):
            problems.add(
                rules.MODEL_CONTAINERS,
                "llm",
                "given with container, model_data, environment, containers or model_package",
                "llm alone: it brings its image, weights and environment",
                "move extra variables to LargeLanguageModel(environment=...) and drop the rest",
            )
        write = "LargeLanguageModel(server=LlmServer.TGI, model_id='org/name')"
        if validation.check_type(problems, "llm", llm, LargeLanguageModel, write):
            assert isinstance(llm, LargeLanguageModel)
            llm.validate(problems, "llm")
        problems.raise_if_any(self)

    def _validate_package(self, problems: Problems, package: ModelPackage) -> None:
        package.validate(problems, "model_package")
        validation.check_environment(problems, "environment", dict(self._environment or {}))
        package_region, model_region = package.region, self.stack_facts.literal("region")
        if package_region and model_region and package_region != model_region:
            problems.add(
                rules.MODEL_PACKAGE_REGION,
                "model_package",
                f"a model package in {package_region}",
                f"a model package in the model's Region ({model_region})",
                f"register the model in a group in {model_region}, or deploy this stack to {package_region}",
            )
        if package.is_marketplace and not self.network_isolation:
            problems.add(
                rules.MARKETPLACE_NETWORK_ISOLATION,
                "network_isolation",
                self.network_isolation,
                "True for an AWS Marketplace model package (it may not reach the network)",
                "pass network_isolation=True",
            )

    def _validate_containers(self, problems: Problems) -> None:
        prefix = "" if self._single else "containers[{index}]."
        for index, item in enumerate(self.containers):
            where = prefix.format(index=index)
            prop = f"{where}container" if self._single else f"{where}image"
            item.image.validate(problems, prop)
            if item.image.private_registry and self.vpc is None:
                problems.add(
                    rules.PRIVATE_REGISTRY,
                    prop,
                    str(item.image),
                    "a model in a VPC: SageMaker reaches a private registry only through the model's VPC",
                    "give the model vpc=... (the registry must let its security groups in)",
                )
            image_region, model_region = item.image.region, self.stack_facts.literal("region")
            owned_images.check_published(problems, prop, str(item.image), item.image.regions, model_region)
            if image_region and model_region and image_region != model_region:
                problems.add(
                    rules.IMAGE_REGION,
                    prop,
                    f"an image in {image_region}",
                    f"an image in the model's Region ({model_region}): SageMaker pulls from ECR in that Region only",
                    f"replicate the repository to {model_region} (ECR replication) and use that copy",
                )
            if item.model_data is not None:
                item.model_data.validate(self, problems, f"{where}model_data")
            validation.check_environment(problems, f"{where}environment", dict(item.environment or {}))
            if not self._single:
                validation.check_value(
                    problems,
                    f"{where}hostname",
                    item.hostname,
                    api_model.member("ContainerDefinition", "ContainerHostname"),
                    "use letters, digits and hyphens, at most 63",
                )
        if self._single:
            if self.inference_execution_mode is not None:
                problems.add(
                    rules.MODEL_CONTAINERS,
                    "inference_execution_mode",
                    self.inference_execution_mode,
                    "only for a model given containers=[...]",
                    "drop inference_execution_mode, or give the containers as containers=[ModelContainer(...)]",
                )
            return
        validation.check_count(
            problems,
            "containers",
            list(self.containers),
            api_model.member("CreateModelInput", "Containers"),
            "split the containers across models",
        )
        if not self.containers:
            problems.add(rules.MODEL_CONTAINERS, "containers", [], "1 to 15 containers", "give at least one")
        validation.check_value(
            problems,
            "inference_execution_mode",
            self.inference_execution_mode,
            api_model.member("InferenceExecutionConfig", "Mode"),
            "use InferenceExecutionMode.SERIAL or InferenceExecutionMode.DIRECT",
        )
        if self.inference_execution_mode == InferenceExecutionMode.DIRECT:
            missing = [index for index, item in enumerate(self.containers) if item.hostname is None]
            for index in missing:
                problems.add(
                    rules.DIRECT_HOSTNAMES,
                    f"containers[{index}].hostname",
                    None,
                    "a hostname on every container in Direct mode (calls name it as TargetContainerHostname)",
                    "give each ModelContainer a hostname='...'",
                )
        validation.check_unique(
            problems,
            rules.DIRECT_HOSTNAMES,
            "containers[*].hostname",
            list(self.container_hostnames),
            "give each container its own hostname",
        )
        multi_model = [index for index, item in enumerate(self.containers) if _is_multi_model(item.model_data)]
        if len(multi_model) > 1:
            problems.add(
                rules.SINGLE_MULTI_MODEL_CONTAINER,
                "containers[*].model_data",
                f"multi-model data in containers {multi_model}",
                "at most one multi-model container in a model",
                "keep ModelData.multi_model(...) on one container",
            )

    def _warn_missing_labels(self) -> None:
        """Locally built images whose Dockerfile lacks a label SageMaker requires of this use (a warning: the
        base image may set it)."""
        for index, item in enumerate(self.containers):
            labels = item.image.labels
            if labels is None:
                continue
            needed = []
            if _is_multi_model(item.model_data):
                needed.append(MULTI_MODEL_LABEL)
            if len(self.containers) > 1:
                needed.append(BIND_TO_PORT_LABEL)
            for label in needed:
                if labels.get(label) != "true":
                    where = "container" if self._single else f"containers[{index}].image"
                    validation.warn(
                        self,
                        rules.DOCKER_LABELS,
                        f"{where}: the Dockerfile sets no LABEL {label}=true, which SageMaker requires of this "
                        "container (model creation fails without it) unless the base image sets it",
                    )

    def _validate_types(
        self,
        container: object,
        model_data: object,
        environment: object,
        containers: object,
        model_package: object,
        role: object,
        network_isolation: object,
        vpc: object,
    ) -> None:
        """Wrong types first: later checks and the CDK calls rely on them."""
        problems = Problems()
        if model_package is not None:
            if container is not None or model_data is not None or containers is not None:
                problems.add(
                    rules.MODEL_CONTAINERS,
                    "model_package",
                    "given with container, model_data or containers",
                    "one source: a model package, or container (with model_data), or containers",
                    "drop container, model_data and containers: the model package names its image and data",
                )
            write = "ModelPackage.latest_approved('group-name')"
            validation.check_type(problems, "model_package", model_package, ModelPackage, write)
            if environment is not None:
                validation.check_type(problems, "environment", environment, Mapping, "{'NAME': 'value'}")
        elif containers is None:
            _check_container_types(problems, "", container, model_data, environment)
        elif container is not None or model_data is not None or environment is not None:
            problems.add(
                rules.MODEL_CONTAINERS,
                "containers",
                "given with container, model_data or environment",
                "either container (with model_data and environment) or containers",
                "move the single container into containers=[ModelContainer(image=..., model_data=...)]",
            )
        elif not isinstance(containers, (list, tuple)):
            validation.check_type(problems, "containers", containers, (list, tuple), "[ModelContainer(...)]")
        else:
            for index, item in enumerate(containers):
                prop = f"containers[{index}]"
                if validation.check_type(problems, prop, item, ModelContainer, "ModelContainer(image=...)"):
                    _check_container_types(problems, f"{prop}.", item.image, item.model_data, item.environment)
        if role is not None and not isinstance(role, ExecutionRole):
            validation.check_interface(
                problems, "role", role, "iam.IRole", "grant_pass_role", "iam.Role.from_role_arn(scope, 'Role', arn)"
            )
        validation.check_type(problems, "network_isolation", network_isolation, bool, "True or False")
        network.check_vpc_type(problems, vpc)
        problems.raise_if_any(self)

    def _validate(
        self,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
    ) -> None:
        problems = Problems()
        if self.model_package is not None:
            self._validate_package(problems, self.model_package)
        else:
            self._validate_containers(problems)
        self.subnet_ids: list[str] = network.validate_placement(
            self, "the model", problems, vpc, vpc_subnets, security_groups
        )
        problems.raise_if_any(self)
        self._warn_missing_labels()


def _check_container_types(problems: Problems, prefix: str, image: object, data: object, environment: object) -> None:
    image_prop = "container" if not prefix else f"{prefix}image"
    validation.check_type(
        problems, image_prop, image, ContainerImage, "ContainerImage.from_ecr_repository(repo, tag='1.0')"
    )
    if data is not None:
        validation.check_type(
            problems, f"{prefix}model_data", data, ModelData, "ModelData.from_s3_url('s3://bucket/model.tar.gz')"
        )
    if environment is not None:
        validation.check_type(problems, f"{prefix}environment", environment, Mapping, "{'NAME': 'value'}")


def _is_multi_model(data: ModelData | None) -> bool:
    return isinstance(data, MultiModelData)
