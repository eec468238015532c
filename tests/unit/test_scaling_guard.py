"""The guard of an autoscaled variant's instance type: one provider per stack, scoped permissions, what it holds.

Its handler's behaviour under every deploy outcome is replayed against moto in tests/handlers/test_scaling_guard.py.
"""

import json

import pytest
from aws_cdk import Stack
from aws_cdk import aws_applicationautoscaling as appscaling

from cdk_sagemaker_inference import Endpoint, EndpointConfig, ValidationError
from cdk_sagemaker_inference.scaling_guard import STACK_TAG, ScalingGuardProvider
from tests.support import (
    cfn_lint,
    ecr_model,
    nag_findings,
    realtime_endpoint,
    scale_on_latency_steps,
    synth_errors,
    template,
    variant,
)

GUARD = "Custom::SageMakerScalingGuard"


def autoscaled(stack, index=0):
    config = EndpointConfig(
        stack,
        f"Config{index}",
        production_variants=[variant(ecr_model(stack, f"Model{index}"), initial_instance_count=2)],
    )
    endpoint = Endpoint(stack, f"Endpoint{index}", endpoint_config=config)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=4)
    count.scale_on_invocations("Invocations", invocations_per_instance=100)
    return endpoint, count


def test_every_autoscaled_variant_of_a_stack_shares_one_provider_and_its_one_policy(stack):
    for index in range(3):
        autoscaled(stack, index)
    synthesized = template(stack)
    assert len(synthesized.find_resources(GUARD)) == 3
    assert len(synthesized.find_resources("Custom::SageMakerScalingRestore")) == 3
    assert len(synthesized.find_resources("AWS::Lambda::Function")) == 2  # the handler and the framework's
    assert synthesized.find_resources("Custom::AWS") == {}
    provider = ScalingGuardProvider.of(stack)
    [policy] = [
        p for p in synthesized.find_resources("AWS::IAM::ManagedPolicy").values() if "ScalingGuard" in json.dumps(p)
    ]
    [described] = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "sagemaker:DescribeEndpoint"
    ]
    assert len(described["Resource"]) == 3  # each endpoint by name, in one statement
    assert provider is ScalingGuardProvider.of(stack)


def test_past_six_guarded_endpoints_the_guard_reads_them_by_prefix_within_the_policy_quota(stack):
    for index in range(50):
        autoscaled(stack, index)
    synthesized = template(stack)  # synth fails if a policy exceeds IAM's 6,144 characters (PolicySize)
    [policy] = [
        p for p in synthesized.find_resources("AWS::IAM::ManagedPolicy").values() if "ScalingGuard" in json.dumps(p)
    ]
    [described] = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "sagemaker:DescribeEndpoint"
    ]
    assert described["Resource"]["Fn::Join"][1][-1] == ":endpoint/teststack-endpoint*"
    assert [finding for finding in nag_findings(stack) if "Provider" in finding[1]] == []


def test_the_guard_may_change_only_the_scalable_targets_its_stack_tags(stack):
    autoscaled(stack)
    synthesized = template(stack)
    statements = json.dumps(Stack.of(stack).resolve(ScalingGuardProvider.of(stack).policy.statements))
    for statement in json.loads(statements):
        assert statement["Resource"] != "*", statement
        if any(action.startswith("application-autoscaling:") for action in json.dumps(statement["Action"]).split('"')):
            assert "scalable-target/*" in json.dumps(statement["Resource"])
            assert STACK_TAG in json.dumps(statement["Condition"])
    [target] = synthesized.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert target["Properties"]["Tags"] == [{"Key": STACK_TAG, "Value": "TestStack"}]
    assert target["DeletionPolicy"] == "Retain"


def test_the_guard_holds_the_declared_scaling_without_waiting_for_it(stack):
    endpoint, count = autoscaled(stack)
    scale_on_latency_steps(count)
    count.scale_on_schedule("Night", schedule=appscaling.Schedule.cron(hour="22", minute="0"), max_capacity=2)
    synthesized = template(stack)
    [guard] = synthesized.find_resources(GUARD).values()
    registration = guard["Properties"]["Registration"]
    assert (registration["Target"]["MinCapacity"], registration["Target"]["MaxCapacity"]) == (1, 4)
    assert [action["ScheduledActionName"] for action in registration["Target"]["ScheduledActions"]] == ["Night"]
    policy_names = sorted(
        p["Properties"]["PolicyName"]
        for p in synthesized.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    )
    assert sorted(p["PolicyName"] for p in registration["Policies"]) == policy_names
    assert "Ref" not in json.dumps(registration)  # no reference: the endpoint waits for the guard, the target for it
    endpoint_resource = synthesized.to_json()["Resources"][stack.get_logical_id(endpoint.resource)]
    [restore_id] = synthesized.find_resources("Custom::SageMakerScalingRestore")
    assert restore_id in endpoint_resource["DependsOn"]
    assert cfn_lint(synthesized.to_json(), ["us-east-1"]) == []


def test_the_guard_provider_draws_no_unacknowledged_cdk_nag_finding(stack):
    autoscaled(stack)
    findings = [(rule, path) for rule, path in nag_findings(stack) if not path.startswith("TestStack/Config0/")]
    assert findings == []  # the config's own (no volume key) are the config's business


def test_a_variant_without_autoscaling_has_no_guard(stack):
    realtime_endpoint(stack)
    assert template(stack).find_resources(GUARD) == {}


def test_an_unguarded_variant_scales_without_guard_provider_or_retained_target(stack):
    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(
        min_capacity=1, max_capacity=4, guard_instance_type_changes=False
    )
    count.scale_on_invocations("Invocations", invocations_per_instance=100)
    synthesized = template(stack)
    assert synthesized.find_resources(GUARD) == {}
    assert synthesized.find_resources("AWS::Lambda::Function") == {}
    [target] = synthesized.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert "DeletionPolicy" not in target and "Tags" not in target["Properties"]
    assert len(synthesized.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")) == 1


def test_guard_instance_type_changes_takes_a_bool(stack):
    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    with pytest.raises(ValidationError, match=r"guard_instance_type_changes = 'no'.*write True or False"):
        endpoint.find_variant("AllTraffic").auto_scale_instance_count(
            min_capacity=1, max_capacity=4, guard_instance_type_changes="no"
        )


def test_declared_scaling_too_large_for_the_guards_response_fails_the_synth(stack):
    _, count = autoscaled(stack)
    for index in range(40):
        count.scale_on_schedule(
            f"Hour{index}", schedule=appscaling.Schedule.cron(hour=str(index % 24), minute="0"), min_capacity=1
        )
    message = synth_errors(stack)
    assert "[ScalingGuardSize] scaling policies = '" in message and "at most 3500 bytes" in message
