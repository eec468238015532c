"""A hundred fully featured endpoints in one app (EndpointStacks, the README's example), the stack budgets checked
on the templates, and the policy-size check that keeps a shared role deployable."""

import json
import re
from pathlib import Path

import pytest
from aws_cdk import App, CfnWaitConditionHandle, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from cdk_sagemaker_inference import (
    ContainerImage,
    Endpoint,
    EndpointAlarms,
    EndpointConfig,
    EndpointDashboard,
    EndpointStacks,
    ExecutionRole,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
    Severity,
    SmokeTestPayload,
    ValidationError,
)
from cdk_sagemaker_inference.budgets import MAX_RESOURCES, MAX_TEMPLATE_BYTES
from cdk_sagemaker_inference.managed_policy import MAX_POLICY_CHARACTERS, estimated_characters
from tests.test_readme import HUNDRED_ENDPOINTS, examples, run_example

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"


def fully_featured(stack, index, role, topic, dashboard):
    """An endpoint with a model on the stack's shared role, scaling, the recommended alarms and a smoke test."""
    model = Model(
        stack,
        f"Model{index}",
        container=ContainerImage.from_image_uri(IMAGE),
        model_data=ModelData.from_s3_url(f"s3://fleet-models/model-{index}/model.tar.gz"),
        role=role,
    )
    variant = ProductionVariant(model=model, instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)
    endpoint = Endpoint(
        stack,
        f"Endpoint{index}",
        endpoint_config=EndpointConfig(stack, f"Config{index}", production_variants=[variant]),
    )
    endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=2, max_capacity=4).scale_on_invocations(
        "Invocations", invocations_per_instance=100
    )
    alarms = EndpointAlarms(stack, f"Alarms{index}", endpoint=endpoint, topics={Severity.CRITICAL: topic})
    endpoint.add_smoke_test(payload=SmokeTestPayload.from_text("ping"))
    if dashboard is None:
        return EndpointDashboard(stack, "Dashboard", endpoint=endpoint, alarms=alarms)
    dashboard.add_endpoint(endpoint, alarms=alarms)
    return dashboard


def fleet(app, count, per_stack=25):
    stacks = EndpointStacks(app, "Fleet", endpoints_per_stack=per_stack)
    topic = sns.Topic(stacks.shared, "Alarms", enforce_ssl=True)
    roles, dashboards = {}, {}
    for index in range(count):
        stack = stacks.stack_for_endpoint()
        if stack not in roles:
            roles[stack] = ExecutionRole(stack, "Role")
        role = roles[stack]
        dashboards[stack] = fully_featured(stack, index, role, topic, dashboards.get(stack))
    return stacks


@pytest.fixture(scope="module")
def hundred():
    """The README's hundred endpoints, run as written (tests/test_readme.py leaves that example to this test)."""
    [code] = [code for code, _ in examples() if HUNDRED_ENDPOINTS in code]
    namespace = run_example(code)
    return namespace["fleet"], Path(namespace["app"].outdir)


def test_a_hundred_endpoints_spread_over_four_stacks_within_the_budgets(hundred):
    stacks, outdir = hundred
    assert [stack.stack_name for stack in stacks.stacks] == ["Scoring1", "Scoring2", "Scoring3", "Scoring4"]
    for stack in stacks.stacks:
        path = outdir / f"{stack.artifact_id}.template.json"
        template = json.loads(path.read_text())
        types = [resource["Type"] for resource in template["Resources"].values()]
        assert types.count("AWS::SageMaker::Endpoint") == 25
        assert types.count("AWS::CloudWatch::Dashboard") == 1 and types.count("AWS::IAM::Role") < 10
        assert len(types) <= 0.85 * MAX_RESOURCES and path.stat().st_size <= 0.5 * MAX_TEMPLATE_BYTES
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::ManagedPolicy":
                assert estimated_characters(resource["Properties"]["PolicyDocument"]) <= MAX_POLICY_CHARACTERS


def test_a_stack_past_500_resources_fails_the_synth_saying_how_to_split():
    app = App(builtin_cloud_formation_validation=False)
    [stack] = fleet(app, 1).stacks
    for index in range(MAX_RESOURCES - 20):  # one endpoint's stack holds more than 20 resources
        CfnWaitConditionHandle(stack, f"Filler{index}")
    with pytest.raises(RuntimeError) as caught:
        app.synth()
    assert "Fleet1: 1 invalid property" in str(caught.value)
    [count] = re.findall(r"\[StackBudget\] resources = (\d+): allowed: at most 500 per stack", str(caught.value))
    assert int(count) > MAX_RESOURCES and "EndpointStacks" in str(caught.value)


def test_a_template_past_1_mb_fails_the_synth_saying_how_to_split(tmp_path):
    app = App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    stacks = fleet(app, 1)
    stacks.stacks[0].template_options.metadata = {"Notes": "x" * MAX_TEMPLATE_BYTES}
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    [ours] = [r for r in report["pluginReports"] if r["pluginName"] == "cdk-sagemaker-inference"]
    [violation] = ours["violations"]
    assert violation["description"].startswith("Fleet1.template.json has 1,"), violation
    assert "allows 1,048,576" in violation["description"] and "EndpointStacks" in json.dumps(violation)


def test_a_role_shared_by_too_many_models_fails_the_synth_naming_the_policy():
    app = App(builtin_cloud_formation_validation=False)
    stack = Stack(app, "Crowded")
    role = ExecutionRole(stack, "Role")
    for index in range(120):
        Model(
            stack,
            f"Model{index}",
            container=ContainerImage.from_image_uri(IMAGE),
            model_data=ModelData.from_s3_url(f"s3://fleet-models/a-long-prefix-for-model-{index}/model.tar.gz"),
            role=role,
        )
    with pytest.raises(RuntimeError) as caught:
        app.synth()
    assert "Crowded/Role/Policy" in str(caught.value) and "[PolicySize] policy = 'about" in str(caught.value)
    assert "give some of the models that share this role their own ExecutionRole" in str(caught.value)


def test_endpoints_per_stack_must_be_positive():
    with pytest.raises(ValidationError, match=r"\[StackBudget\] endpoints_per_stack = 0"):
        EndpointStacks(App(), "Fleet", endpoints_per_stack=0)


def test_a_policy_resolved_for_its_repeats_still_counts_each_reference_at_its_longest():
    from aws_cdk import aws_s3 as s3

    app = App(builtin_cloud_formation_validation=False)
    stack = Stack(app, "Repeats")
    role = ExecutionRole(stack, "Role")
    buckets = [s3.Bucket(stack, f"Bucket{index}").bucket_arn for index in range(60)]
    for _ in range(2):  # the same grants twice: the document is resolved to drop the repeats
        role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=buckets))
    with pytest.raises(RuntimeError, match=r"Repeats/Role/Policy: 1 invalid property"):
        app.synth()
