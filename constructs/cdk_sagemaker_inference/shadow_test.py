"""Shadow tests: for a while, SageMaker copies a share of an endpoint's requests to a candidate model on its own
instances, logs its answers, then reverts the endpoint (``AWS::SageMaker::InferenceExperiment``, ShadowMode)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from aws_cdk import Resource
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, per_stack, rules, validation
from .endpoint import Endpoint
from .errors import Problems
from .execution_role import ExecutionRole
from .instance_type import InstanceType
from .model import IModel
from .nag import acknowledge_nag_findings, stack_arn
from .names import physical_name
from .s3_location import S3Location, check_location
from .variants import ProductionVariant

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

CFN = sagemaker.CfnInferenceExperiment
SHORTEST = timedelta(hours=1)
LONGEST = timedelta(days=30)
EXPERIMENT_ACTIONS = {
    "endpoint": ["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"],
    "configs": ["sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig"],
    "models": ["sagemaker:DescribeModel"],
}
CONFIG_WILDCARD_REASON = (
    "SageMaker names the endpoint configs a shadow test creates (with the shadow variant, and to revert) itself; "
    "the grant is limited to endpoint configs of this account and Region"
)


class ShadowTest(Resource):
    """A shadow test of ``model`` on ``endpoint``: the production variant answers every request, the shadow
    variant gets ``sampling_percentage`` of them and its answers are only logged; when the test ends, SageMaker
    reverts the endpoint to its config. Compare the two variants' metrics (``endpoint.metric_*(variant_name)``).

    The endpoint must be one this library defines, with one production variant on instances and no shadow
    variant; every rule a config's shadow variant meets applies (no serverless, asynchronous, multi-model,
    multi-container, Marketplace or Inf1 endpoints). CloudFormation does not see the test's changes: do not update
    the endpoint while a test runs (the update would drop the shadow variant).

    The experiment role (``role``) may describe and update this endpoint, create, describe and delete endpoint
    configs, and describe the two models; AWS documents no narrower list. The models' execution roles may write
    the captured requests and answers under ``capture``.

    :param endpoint: the endpoint under test.
    :param model: the candidate model (its execution role, VPC and data as any model's).
    :param sampling_percentage: the share of requests copied to the shadow, 0 to 100. Default: 100 (the guide
        recommends all requests before promoting).
    :param instance_type: the shadow's instance type. Default: - the production variant's.
    :param instance_count: the shadow's instances. Default: - the production variant's initial count.
    :param variant_name: the shadow variant's name. Default: ``Shadow``.
    :param start: when the test starts (time-zone aware). Default: - when CloudFormation creates it.
    :param end: when it ends (time-zone aware); 1 hour to 30 days after ``start``. Default: - 7 days after the start.
    :param capture: capture both variants' requests and answers under this S3 prefix. Default: - no capture.
    :param capture_kms_key: encrypts the captures. Default: - the bucket's encryption.
    :param description: up to 1024 characters. Default: - none.
    :param experiment_name: the test's name (letters, digits, hyphens; at most 120). Default: - from the construct
        path and the endpoint's name, so a new endpoint gets a new test instead of a name conflict.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Endpoint,
        model: IModel,
        sampling_percentage: int = 100,
        instance_type: InstanceType | None = None,
        instance_count: int | None = None,
        variant_name: str = "Shadow",
        start: datetime | None = None,
        end: datetime | None = None,
        capture: S3Location | None = None,
        capture_kms_key: kms.IKey | None = None,
        description: str | None = None,
        experiment_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems()
        validation.check_type(problems, "endpoint", endpoint, Endpoint, "Endpoint(scope, 'Endpoint', ...)")
        problems.raise_if_any(self)
        config = endpoint.endpoint_config
        production = config.production_variants[0] if config is not None else None
        if not isinstance(production, ProductionVariant):
            problems.add(
                rules.SHADOW_UNSUPPORTED,
                "endpoint",
                f"an endpoint of {type(production).__name__ if production else 'an imported config'}",
                "an endpoint whose config this library defines, serving a ProductionVariant (a model on instances)",
                "test the candidate against a real-time endpoint on instances",
            )
            problems.raise_if_any(self)
        assert config is not None and isinstance(production, ProductionVariant)
        shadow = ProductionVariant(
            model=model,
            variant_name=variant_name,
            instance_type=production.instance_type if instance_type is None else instance_type,
            initial_instance_count=production.initial_instance_count if instance_count is None else instance_count,
        )
        for problem in config.problems_with([], [shadow]).items:
            problems.items.append(problem)
        validation.check_value(
            problems,
            "sampling_percentage",
            sampling_percentage,
            api_model.member("ShadowModelVariantConfig", "SamplingPercentage"),
            "choose 0 to 100",
        )
        schedule = _schedule(problems, start, end)
        if capture is not None and check_location(problems, "capture", capture):
            url = None if validation.is_unresolved(capture.bucket.bucket_name) else capture.url
            constraint = api_model.member("InferenceExperimentDataStorageConfig", "Destination")
            validation.check_value(problems, "capture", url, constraint, "use a shorter prefix")
        validation.check_value(
            problems,
            "description",
            description,
            api_model.member("CreateInferenceExperimentRequest", "Description"),
            "shorten it",
        )
        validation.check_value(
            problems,
            "experiment_name",
            experiment_name,
            api_model.shape("InferenceExperimentName"),
            "use letters, digits and hyphens (not at the start or end), at most 120",
        )
        problems.raise_if_any(self)
        self.endpoint = endpoint
        self.shadow_variant = shadow
        self.experiment_name = experiment_name or _default_name(self, endpoint.endpoint_name)
        self.role = ExecutionRole(self, "Role")
        self._grant(endpoint, production, shadow, capture, capture_kms_key)
        self.resource = CFN(
            self,
            "Resource",
            name=self.experiment_name,
            type="ShadowMode",
            endpoint_name=endpoint.endpoint_name,
            role_arn=self.role.role_arn,
            model_variants=[_model_variant(production), _model_variant(shadow)],
            shadow_mode_config=CFN.ShadowModeConfigProperty(
                source_model_variant_name=production.variant_name,
                shadow_model_variants=[
                    CFN.ShadowModelVariantConfigProperty(
                        shadow_model_variant_name=variant_name, sampling_percentage=sampling_percentage
                    )
                ],
            ),
            schedule=schedule,
            data_storage_config=CFN.DataStorageConfigProperty(
                destination=capture.url, kms_key=capture_kms_key.key_arn if capture_kms_key else None
            )
            if capture
            else None,
            description=description,
        )
        self.resource.node.add_dependency(endpoint.resource, self.role.policy)
        self.experiment_arn: str = self.resource.attr_arn

    def _grant(
        self,
        endpoint: Endpoint,
        production: ProductionVariant,
        shadow: ProductionVariant,
        capture: S3Location | None,
        capture_kms_key: kms.IKey | None,
    ) -> None:
        from aws_cdk import aws_iam as iam

        configs = stack_arn(per_stack.facts(self), "sagemaker", "endpoint-config/*")
        models = [production.model.model_arn, shadow.model.model_arn]
        self.role.add_to_policy(
            iam.PolicyStatement(actions=EXPERIMENT_ACTIONS["endpoint"], resources=[endpoint.endpoint_arn]),
            iam.PolicyStatement(actions=EXPERIMENT_ACTIONS["configs"], resources=[configs.arn]),
            iam.PolicyStatement(actions=EXPERIMENT_ACTIONS["models"], resources=models),
        )
        acknowledge_nag_findings(self.role.policy, {configs.wildcard_finding: CONFIG_WILDCARD_REASON})
        for model in (production.model, shadow.model):
            role = model.execution_role
            if role is not None:
                role.serve_endpoint(endpoint.endpoint_name)
                if capture is not None:
                    role.grant_s3_prefix_write(capture, capture_kms_key)


def _schedule(
    problems: Problems, start: datetime | None, end: datetime | None
) -> CFN.InferenceExperimentScheduleProperty | None:
    """The schedule of a test from ``start`` to ``end``; each must know its time zone, and a known span lasts
    1 hour to 30 days (the guide's shadow-test limits)."""
    for name, moment in (("start", start), ("end", end)):
        typed = moment is not None and validation.check_type(problems, name, moment, datetime, "datetime(...)")
        if typed and moment.tzinfo is None:  # type: ignore[union-attr]
            problems.add(
                rules.SHADOW_TEST_SCHEDULE,
                name,
                moment,
                "a time-zone-aware datetime",
                "give tzinfo, e.g. datetime(2027, 1, 4, 9, tzinfo=timezone.utc)",
            )
    if problems.items:
        return None
    if start is not None and end is not None and not SHORTEST <= end - start <= LONGEST:
        problems.add(
            rules.SHADOW_TEST_SCHEDULE,
            "end",
            end,
            f"1 hour to 30 days after start ({start.isoformat()})",
            "shorten or lengthen the test",
        )
    if start is None and end is None:
        return None
    return CFN.InferenceExperimentScheduleProperty(start_time=_iso(start), end_time=_iso(end))


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _model_variant(variant: ProductionVariant) -> CFN.ModelVariantConfigProperty:
    return CFN.ModelVariantConfigProperty(
        model_name=variant.model.model_name,
        variant_name=variant.variant_name,
        infrastructure_config=CFN.ModelInfrastructureConfigProperty(
            infrastructure_type="RealTimeInference",
            real_time_inference_config=CFN.RealTimeInferenceConfigProperty(
                instance_type=variant.instance_type.name, instance_count=variant.initial_instance_count
            ),
        ),
    )


def _default_name(test: ShadowTest, endpoint_name: str) -> str:
    """``<stack>-<path>-<hash>-<endpoint digest>``: a new endpoint name gives a new test name, since a replaced
    experiment cannot reuse its predecessor's (CloudFormation creates the new one first)."""
    digest = hashlib.sha256(str(endpoint_name).encode()).hexdigest()[:6]
    return physical_name(test, "InferenceExperimentName", f"-{digest}")
