"""Builders and assertions the tests share."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk.assertions import Template
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.rules import Rules
from cfnlint.runner import Runner, run_template_by_data

from cdk_sagemaker_inference import (
    ComputeRequirements,
    ContainerImage,
    Endpoint,
    EndpointConfig,
    InferenceComponent,
    InferenceComponentHostVariant,
    InstanceType,
    Model,
    ProductionVariant,
    ValidationError,
)

ROOT = Path(__file__).resolve().parent.parent
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def new_app(context: dict[str, Any] | None = None) -> App:
    """An app without the built-in CloudFormation schema check (4-5 s a synth; cfn-lint covers it)."""
    return App(builtin_cloud_formation_validation=False, context=context)


def new_stack(stack_id: str = "TestStack") -> Stack:
    return Stack(new_app(), stack_id)


def ecr_image(stack: Stack, tag: str = "1.0") -> ContainerImage:
    repository = ecr.Repository.from_repository_name(stack, f"Repo{len(stack.node.children)}", "inference")
    return ContainerImage.from_ecr_repository(repository, tag=tag)


def ecr_model(stack: Stack, construct_id: str = "Model", **kwargs: Any) -> Model:
    kwargs.setdefault("container", ecr_image(stack))
    return Model(stack, construct_id, **kwargs)


def variant(model: Model, **kwargs: Any) -> ProductionVariant:
    kwargs.setdefault("instance_type", InstanceType.ML_M5_LARGE)
    return ProductionVariant(model=model, **kwargs)


def component_endpoint(stack: Stack, **config_kwargs: Any) -> Endpoint:
    """An endpoint whose config hosts inference components: one ml.m5.large host variant."""
    host = InferenceComponentHostVariant(instance_type=InstanceType.ML_M5_LARGE)
    config = EndpointConfig(stack, "Config", production_variants=[host], **config_kwargs)
    return Endpoint(stack, "Endpoint", endpoint_config=config)


def inference_component(
    stack: Stack, endpoint: Endpoint | None = None, construct_id: str = "Component", **kwargs: Any
) -> InferenceComponent:
    """A component of an ECR model that shares the config's role, 1024 MB per copy."""
    endpoint = endpoint or component_endpoint(stack)
    assert endpoint.endpoint_config is not None
    if "model" not in kwargs:  # built only when needed: it adds constructs
        kwargs["model"] = ecr_model(stack, f"{construct_id}Model", role=endpoint.endpoint_config.execution_role)
    kwargs.setdefault("compute", ComputeRequirements(min_memory_required_in_mb=1024))
    return InferenceComponent(stack, construct_id, endpoint=endpoint, **kwargs)


def realtime_endpoint(stack: Stack, **variant_kwargs: Any) -> Endpoint:
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), **variant_kwargs)])
    return Endpoint(stack, "Endpoint", endpoint_config=config)


def scale_on_latency_steps(count: Any) -> None:
    """A step policy on the variant's model latency (an `InstanceCount`): one out above 500 ms, one in below 100 ms;
    it also makes the two CloudFormation alarms step scaling needs."""
    from aws_cdk import aws_applicationautoscaling as appscaling

    count.scale_on_metric(
        "Latency",
        metric=count.endpoint.metric_model_latency(count.variant_name),
        scaling_steps=[
            appscaling.ScalingInterval(upper=100_000, change=-1),
            appscaling.ScalingInterval(lower=500_000, change=1),
        ],
    )


def template(stack: Stack) -> Template:
    return Template.from_stack(stack)


def only_resource(stack: Stack, resource_type: str) -> dict[str, Any]:
    resources = template(stack).find_resources(resource_type)
    assert len(resources) == 1, f"expected one {resource_type}, found {list(resources)}"
    resource: dict[str, Any] = next(iter(resources.values()))
    return resource


def expect_problems(call: Any, *fragments: str) -> ValidationError:
    """Run ``call``; it must raise one ValidationError whose message holds every fragment."""
    with pytest.raises(ValidationError) as caught:
        call()
    for fragment in fragments:
        assert fragment in str(caught.value), f"{fragment!r} not in:\n{caught.value}"
    return caught.value


def normalized(template_json: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes replaced, so snapshots survive content-neutral changes."""
    loaded: dict[str, Any] = json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template_json, sort_keys=True)))
    return loaded


# aws-cdk-lib's Lambda Function adds DependsOn on its role although Properties.Role already references
# it; cfn-lint's W3005 calls that redundant. It is harmless and not ours to change.
CDK_OWN_REDUNDANT_DEPENDS_ON = "W3005"


def cfn_lint(template_json: dict[str, Any], regions: list[str]) -> list[str]:
    """cfn-lint's findings on a synthesized template (every rule but W3005), as text."""
    config = ConfigMixIn(regions=regions, ignore_checks=[CDK_OWN_REDUNDANT_DEPENDS_ON])
    decoded, errors = decode_str(json.dumps(template_json))  # as cfnlint.api.lint: nodes that know their line
    assert decoded is not None, errors
    return [str(match) for match in run_template_by_data(decoded, config, cfn_lint_rules())]


@functools.cache
def cfn_lint_rules() -> Rules:
    """cfn-lint's rules, loaded once per process: a load takes about 0.8 s, and ``cfnlint.api.lint`` loads them
    on every call. Each run applies its own config (regions, ignored checks) to them."""
    return Runner(ConfigMixIn()).rules


def nag_findings(stack: Stack) -> list[tuple[str, str]]:
    """(rule, construct path) of every unacknowledged finding of the three packs the sample app runs."""
    from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks

    template(stack)  # cdk-nag reads acknowledgments made at synth
    findings = []
    for pack in (AwsSolutionsChecks(stack), HIPAASecurityChecks(stack), NIST80053R5Checks(stack)):
        report = pack.validate_scope(stack)
        findings += [(v.rule_name, r.construct_path) for v in report.violations for r in v.violating_resources]
    return findings


def synth_errors(stack: Stack) -> str:
    """The message of the error synth raises for problems found at validation (after every ``add_*()``)."""
    with pytest.raises(RuntimeError) as caught:
        template(stack)
    return str(caught.value)
