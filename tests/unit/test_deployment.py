"""Deployment guardrails: blue/green (all at once, canary, linear), rolling, component rolling updates, rollback
alarms; what each kind refuses; capacity kept across config changes once scaling is attached."""

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import (
    BlueGreenDeployment,
    CapacitySize,
    ComponentRollingUpdate,
    Endpoint,
    EndpointAlarms,
    EndpointConfig,
    InstanceType,
    RollingDeployment,
    ServerlessProductionVariant,
    Severity,
    TrafficRouting,
)
from tests.support import (
    component_endpoint,
    ecr_model,
    expect_problems,
    inference_component,
    only_resource,
    synth_errors,
    variant,
)

MINUTES_10 = Duration.minutes(10)


def endpoint_with(stack, deployment, *, count=4, variants=1, **variant_kwargs):
    model = ecr_model(stack)
    made = [
        variant(model, variant_name=f"V{index}", initial_instance_count=count, **variant_kwargs)
        for index in range(variants)
    ]
    config = EndpointConfig(stack, "Config", production_variants=made)
    return Endpoint(stack, "Endpoint", endpoint_config=config, deployment=deployment)


def deployment_config(stack):
    return only_resource(stack, "AWS::SageMaker::Endpoint")["Properties"]["DeploymentConfig"]


def test_a_canary_with_rollback_alarms_from_the_alarms_construct(stack):
    endpoint = endpoint_with(
        stack,
        BlueGreenDeployment(
            traffic_routing=TrafficRouting.canary(CapacitySize.percent(25), wait_interval=MINUTES_10),
            termination_wait=MINUTES_10,
            maximum_execution_timeout=Duration.minutes(30),
        ),
    )
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    endpoint.add_rollback_alarms(*alarms.of_severity(Severity.CRITICAL))
    policy = deployment_config(stack)["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 600,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25},
    }
    assert (policy["TerminationWaitInSeconds"], policy["MaximumExecutionTimeoutInSeconds"]) == (600, 1800)
    [rollback] = deployment_config(stack)["AutoRollbackConfiguration"]["Alarms"]
    assert rollback == {
        "AlarmName": {"Ref": stack.get_logical_id(alarms.alarms["V0ErrorRate5xxCritical"].node.default_child)}
    }


def test_all_at_once_always_renders_its_wait_interval_the_api_requires(stack):
    endpoint_with(stack, BlueGreenDeployment())
    routing = deployment_config(stack)["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}  # C15: the guide's example omits it


def test_linear_and_rolling_render_their_steps(stack):
    endpoint_with(
        stack,
        RollingDeployment(
            maximum_batch_size=CapacitySize.instance_count(1),
            wait_interval=Duration.minutes(5),
            rollback_maximum_batch_size=CapacitySize.percent(100),
        ),
    )
    rolling = deployment_config(stack)["RollingUpdatePolicy"]
    assert rolling["MaximumBatchSize"] == {"Type": "INSTANCE_COUNT", "Value": 1}
    assert rolling["RollbackMaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 100}


def test_linear_steps_render_as_linear_step_size(stack):
    endpoint_with(
        stack,
        BlueGreenDeployment(traffic_routing=TrafficRouting.linear(CapacitySize.percent(20), wait_interval=MINUTES_10)),
    )
    routing = deployment_config(stack)["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["LinearStepSize"] == {"Type": "CAPACITY_PERCENT", "Value": 20}


@pytest.mark.parametrize(
    ("deployment", "kwargs", "fragments"),
    [
        (
            BlueGreenDeployment(
                traffic_routing=TrafficRouting.canary(CapacitySize.percent(60), wait_interval=MINUTES_10)
            ),
            {},
            ["[DeploymentSize] deployment.traffic_routing.size", "0 to 50 %"],
        ),
        (
            BlueGreenDeployment(
                traffic_routing=TrafficRouting.canary(CapacitySize.instance_count(3), wait_interval=MINUTES_10)
            ),
            {"count": 4},
            ["75 % of 4 instances"],
        ),
        (
            BlueGreenDeployment(
                traffic_routing=TrafficRouting.linear(CapacitySize.percent(5), wait_interval=MINUTES_10)
            ),
            {},
            ["10 to 50 %"],
        ),
        (
            BlueGreenDeployment(traffic_routing=TrafficRouting.all_at_once(wait_interval=Duration.hours(2))),
            {},
            ["[Api.WaitIntervalInSeconds] deployment.traffic_routing.wait_interval = 7200"],
        ),
        (BlueGreenDeployment(termination_wait=Duration.hours(2)), {}, ["[Api.TerminationWaitInSeconds]"]),
        (
            BlueGreenDeployment(maximum_execution_timeout=Duration.minutes(5)),
            {},
            ["[Api.MaximumExecutionTimeoutInSeconds]"],
        ),
        (
            BlueGreenDeployment(
                traffic_routing=TrafficRouting.linear(CapacitySize.percent(20), wait_interval=MINUTES_10),
                maximum_execution_timeout=Duration.minutes(30),
            ),
            {},
            ["[DeploymentSize] deployment.maximum_execution_timeout = '1800 seconds'", "(3000 seconds)"],
        ),
        (RollingDeployment(maximum_batch_size=CapacitySize.percent(60), wait_interval=MINUTES_10), {}, ["5 to 50 %"]),
        (
            RollingDeployment(maximum_batch_size=CapacitySize.percent(20), wait_interval=MINUTES_10),
            {"variants": 2},
            ["[DeploymentKind] deployment = 'RollingDeployment of 2 variants'"],
        ),
        (
            RollingDeployment(maximum_batch_size=CapacitySize("CAPACITY_PERCENTAGE", 20), wait_interval=MINUTES_10),
            {},
            ["[Api.CapacitySizeType] deployment.maximum_batch_size.type = 'CAPACITY_PERCENTAGE'"],
        ),
        (
            RollingDeployment(maximum_batch_size=CapacitySize.percent(0), wait_interval=MINUTES_10),
            {},
            ["[Api.CapacitySizeValue]"],
        ),
    ],
)
def test_deployment_rules(stack, deployment, kwargs, fragments):
    expect_problems(lambda: endpoint_with(stack, deployment, **kwargs), "TestStack/Endpoint", *fragments)


def test_serverless_refuses_guardrails_naming_why(stack):
    config = EndpointConfig(stack, "Config", production_variants=[ServerlessProductionVariant(model=ecr_model(stack))])
    expect_problems(
        lambda: Endpoint(stack, "Endpoint", endpoint_config=config, deployment=BlueGreenDeployment()),
        "[DeploymentKind] deployment = 'BlueGreenDeployment'",
        "serverless endpoints refuse them",
    )


def test_inf1_draws_a_warning_that_the_guardrails_are_ignored(stack):
    endpoint_with(stack, BlueGreenDeployment(), instance_type=InstanceType.of("ml.inf1.xlarge"))
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("DeploymentFallback"))
    assert len(warnings) == 1


def test_more_than_ten_rollback_alarms_fail_the_synth(stack):
    endpoint = endpoint_with(stack, BlueGreenDeployment(), variants=2)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    endpoint.add_rollback_alarms(*alarms.alarms.values())  # 14
    assert "[Api.AlarmList] deployment.rollback_alarms = '14 items'" in synth_errors(stack)


def test_rollback_alarms_need_a_deployment(stack):
    endpoint = endpoint_with(stack, None)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    expect_problems(
        lambda: endpoint.add_rollback_alarms(*alarms.of_severity(Severity.CRITICAL)),
        "[DeploymentKind] deployment = None",
    )


def test_an_inference_component_rolls_its_copies(stack):
    inference_component(
        stack,
        copy_count=4,
        deployment=ComponentRollingUpdate(
            maximum_batch_size=CapacitySize.copy_count(1), wait_interval=Duration.minutes(2)
        ),
    )
    properties = only_resource(stack, "AWS::SageMaker::InferenceComponent")["Properties"]
    rolling = properties["DeploymentConfig"]["RollingUpdatePolicy"]
    assert rolling == {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 120}


def test_a_component_rolling_update_takes_copy_counts_not_instances(stack):
    endpoint = component_endpoint(stack)
    expect_problems(
        lambda: inference_component(
            stack,
            endpoint,
            deployment=ComponentRollingUpdate(
                maximum_batch_size=CapacitySize.instance_count(1), wait_interval=MINUTES_10
            ),
        ),
        "[Api.InferenceComponentCapacitySizeType] deployment.maximum_batch_size.type = 'INSTANCE_COUNT'",
    )


def test_an_endpoint_without_scaling_does_not_retain_variant_properties(stack):
    endpoint_with(stack, None)
    properties = only_resource(stack, "AWS::SageMaker::Endpoint")["Properties"]
    assert "RetainAllVariantProperties" not in properties


def test_scaling_keeps_live_capacity_but_a_new_weight_still_applies(stack):
    endpoint = endpoint_with(stack, None, count=2)
    endpoint.find_variant("V0").auto_scale_instance_count(min_capacity=1, max_capacity=4)
    properties = only_resource(stack, "AWS::SageMaker::Endpoint")["Properties"]
    assert properties["RetainAllVariantProperties"] is True
    excluded = [item["VariantPropertyType"] for item in properties["ExcludeRetainedVariantProperties"]]
    assert excluded == ["DesiredWeight", "DataCaptureConfig"]  # DesiredInstanceCount alone is retained


def test_the_smoke_test_runs_after_the_traffic_shift_on_the_config_the_deploy_asked_for(stack):
    from cdk_sagemaker_inference import SmokeTestPayload

    endpoint = endpoint_with(
        stack,
        BlueGreenDeployment(traffic_routing=TrafficRouting.canary(CapacitySize.percent(50), wait_interval=MINUTES_10)),
    )
    endpoint.add_smoke_test(payload=SmokeTestPayload.from_text("great"))
    test = only_resource(stack, "Custom::SageMakerEndpointSmokeTest")
    # CloudFormation finishes the endpoint update (every shift and bake) before it starts what depends on it.
    assert stack.get_logical_id(endpoint.resource) in test["DependsOn"]
    # A rolled-back deployment leaves the old config in service: the handler fails the test on the mismatch.
    assert test["Properties"]["ExpectedEndpointConfigName"] == {
        "Fn::GetAtt": [stack.get_logical_id(endpoint.endpoint_config.resource), "EndpointConfigName"]
    }


@pytest.mark.parametrize(
    "deployment",
    [
        BlueGreenDeployment(traffic_routing=TrafficRouting.canary(CapacitySize.percent(50), wait_interval=MINUTES_10)),
        RollingDeployment(maximum_batch_size=CapacitySize.percent(50), wait_interval=MINUTES_10),
    ],
)
def test_a_variant_of_one_instance_cannot_deploy_in_steps(stack, deployment):
    expect_problems(
        lambda: endpoint_with(stack, deployment, count=1),
        "[DeploymentSize] deployment =",
        "in steps of a variant of 1 instance",
        "TrafficRouting.all_at_once",
    )


def test_steps_are_shares_of_the_smallest_variant(stack):
    model = ecr_model(stack)
    variants = [
        variant(model, variant_name="Big", initial_instance_count=8),
        variant(model, variant_name="Small", initial_instance_count=2),
    ]
    config = EndpointConfig(stack, "Config", production_variants=variants)
    routing = TrafficRouting.canary(CapacitySize.instance_count(2), wait_interval=MINUTES_10)
    expect_problems(
        lambda: Endpoint(
            stack, "Endpoint", endpoint_config=config, deployment=BlueGreenDeployment(traffic_routing=routing)
        ),
        "100 % of 2 instances",
    )
