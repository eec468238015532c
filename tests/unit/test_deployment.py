"""Deployment guardrails: blue/green (all at once, canary, linear), rolling, component rolling updates, rollback
alarms; what each kind refuses; capacity kept across config changes once scaling is attached."""

import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import (
    AlarmThresholds,
    BlueGreenDeployment,
    CapacitySize,
    ComponentRollingUpdate,
    Endpoint,
    EndpointAlarms,
    EndpointConfig,
    InstanceType,
    Model,
    ModelPackage,
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
    new_stack,
    only_resource,
    synth_errors,
    template,
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
            maximum_execution_timeout=Duration.minutes(45),  # two bakes and the termination wait: 30 minutes
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
    assert (policy["TerminationWaitInSeconds"], policy["MaximumExecutionTimeoutInSeconds"]) == (600, 2700)
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
            ["[Api.WaitIntervalInSeconds] deployment.traffic_routing.wait_interval (WaitIntervalInSeconds) = 7200"],
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
            ["[Api.CapacitySizeType] deployment.maximum_batch_size.type (Type) = 'CAPACITY_PERCENTAGE'"],
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


def test_a_marketplace_package_draws_a_warning_that_the_guardrails_are_ignored(stack):
    vendor = Model(
        stack,
        "Vendor",
        model_package=ModelPackage.from_marketplace("arn:aws:sagemaker:us-east-1:865070037744:model-package/vendor"),
        network_isolation=True,
    )
    config = EndpointConfig(
        stack, "Config", production_variants=[variant(vendor, variant_name="A", initial_instance_count=2)]
    )
    Endpoint(stack, "Endpoint", endpoint_config=config, deployment=BlueGreenDeployment())
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("DeploymentFallback"))
    assert len(warnings) == 1
    assert "variants ['A'] serve AWS Marketplace model packages" in str(warnings[0].entry.data)


def test_more_than_ten_rollback_alarms_fail_the_synth(stack):
    endpoint = endpoint_with(stack, BlueGreenDeployment(), variants=2)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    endpoint.add_rollback_alarms(*alarms.alarms.values())  # 14
    assert "[Api.AlarmList] deployment.rollback_alarms (Alarms) = '14 items'" in synth_errors(stack)


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
        "[Api.InferenceComponentCapacitySizeType] deployment.maximum_batch_size.type (Type) = 'INSTANCE_COUNT'",
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


def all_at_once(bake_minutes):
    return BlueGreenDeployment(traffic_routing=TrafficRouting.all_at_once(wait_interval=Duration.minutes(bake_minutes)))


def test_a_rollback_alarm_that_cannot_reach_alarm_within_the_bake_fails_the_synth_naming_both_numbers(stack):
    endpoint = endpoint_with(stack, all_at_once(5))
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)  # 5 one-minute periods by default
    endpoint.add_rollback_alarms(*alarms.of_severity(Severity.CRITICAL))
    message = synth_errors(stack)
    assert "[RollbackAlarms] deployment.rollback_alarms[0] = 'TestStack/Alarms/V0ErrorRate5xxCritical'" in message
    assert "within the 300 s bake" in message
    assert "it needs 360 s: 5 breaching period(s) of 60 s + 60 s" in message


def test_a_rollback_alarm_with_fewer_datapoints_fits_the_same_bake(stack):
    endpoint = endpoint_with(stack, all_at_once(5))
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    alarm = alarms.add_alarm(
        "Errors",
        metric=endpoint.metric_invocation_5xx_errors("V0", statistic="Average"),
        threshold=0.05,
        severity=Severity.CRITICAL,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        evaluation_periods=5,
        datapoints_to_alarm=4,  # 4 x 60 s + 60 s = 300 s: can fire inside the bake
    )
    endpoint.add_rollback_alarms(alarm)
    assert deployment_config(stack)["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": {"Ref": stack.get_logical_id(alarm.node.default_child)}}
    ]


def test_new_fleet_rollback_alarms_watch_the_config_being_deployed_and_fit_the_bake(stack):
    endpoint = endpoint_with(stack, all_at_once(5), variants=2)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    made = alarms.add_rollback_alarms()
    assert [alarm.node.id for alarm in made] == [
        f"V{index}{what}CriticalNewFleet" for index in range(2) for what in ("ErrorRate5xx",)
    ]  # the critical defaults: 5xx only
    assert endpoint.rollback_alarms == made
    resources = template(stack).find_resources("AWS::CloudWatch::Alarm")
    alarm = resources[stack.get_logical_id(made[0].node.default_child)]["Properties"]
    config_id = stack.get_logical_id(endpoint.endpoint_config.resource)
    assert {"Name": "EndpointConfigName", "Value": {"Fn::GetAtt": [config_id, "EndpointConfigName"]}} in alarm[
        "Dimensions"
    ]
    assert alarm["EvaluationPeriods"] == 4  # 4 x 60 s + 60 s fits the 300 s bake (the default asks 5)
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Average", 0.05)


def test_new_fleet_alarms_take_each_threshold_of_the_severity_the_kind_publishes(stack):
    endpoint = endpoint_with(stack, all_at_once(10))
    thresholds = AlarmThresholds(latency_p99_ms={Severity.CRITICAL: 250})
    made = EndpointAlarms(stack, "Alarms", endpoint=endpoint, thresholds=thresholds).add_rollback_alarms()
    assert sorted(alarm.node.id for alarm in made) == ["V0ErrorRate5xxCriticalNewFleet", "V0LatencyP99CriticalNewFleet"]
    latency = template(stack).to_json()["Resources"][stack.get_logical_id(made[1].node.default_child)]
    assert (latency["Properties"]["Threshold"], latency["Properties"]["EvaluationPeriods"]) == (250_000, 5)


def test_new_fleet_alarms_need_a_deployment_and_a_bake_they_can_fire_in(stack):
    endpoint = endpoint_with(stack, None)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    expect_problems(alarms.add_rollback_alarms, "[RollbackAlarms] endpoint = 'TestStack/Endpoint'", "deployment=")
    other = new_stack()
    short = endpoint_with(other, all_at_once(1))
    expect_problems(
        EndpointAlarms(other, "Alarms", endpoint=short).add_rollback_alarms,
        "[RollbackAlarms] deployment wait_interval = '60 s'",
        "at least 120 s",
    )


def test_adding_no_rollback_alarm_is_an_error_not_a_silent_no_op(stack):
    endpoint = endpoint_with(stack, all_at_once(5))
    expect_problems(endpoint.add_rollback_alarms, "[RollbackAlarms] alarms = 'no alarm'")


def test_a_rollback_alarm_is_checked_as_add_alarm_checks_it(stack):
    endpoint = endpoint_with(stack, all_at_once(10))
    unchecked = cloudwatch.Alarm(
        stack,
        "Raw",
        metric=cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name="Invocation5XXErrors",
            dimensions_map={"EndpointName": endpoint.endpoint_name, "VariantName": "V0"},
            statistic="Average",
            period=Duration.minutes(1),
        ),
        threshold=1,  # the Average of a 0/1 metric never exceeds 1
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=2,
    )
    endpoint.add_rollback_alarms(unchecked)
    assert "[AlarmCanFire] threshold = 1" in synth_errors(stack)


@pytest.mark.parametrize(
    ("routing", "fragment"),
    [
        (TrafficRouting("CANARY", MINUTES_10), "deployment.traffic_routing.size (CanarySize) = None: allowed: a Capac"),
        (TrafficRouting.linear(None, wait_interval=MINUTES_10), "traffic_routing.size (LinearStepSize) = None"),
        (TrafficRouting("ALL_AT_ONCE", MINUTES_10, CapacitySize.percent(25)), "no size for ALL_AT_ONCE"),
    ],
)
def test_a_shift_has_a_size_exactly_when_it_goes_in_steps_whatever_built_it(stack, routing, fragment):
    expect_problems(
        lambda: endpoint_with(stack, BlueGreenDeployment(traffic_routing=routing)), "[DeploymentSize]", fragment
    )


def test_a_canarys_timeout_counts_both_of_its_bakes(stack):
    canary = TrafficRouting.canary(CapacitySize.percent(25), wait_interval=MINUTES_10)
    expect_problems(
        lambda: endpoint_with(
            stack, BlueGreenDeployment(traffic_routing=canary, maximum_execution_timeout=Duration.minutes(20))
        ),
        "maximum_execution_timeout = '1200 seconds'",
        "waits (1200 seconds)",
    )


def test_a_timeout_that_leaves_little_time_to_provision_the_new_fleet_draws_a_warning(stack):
    canary = TrafficRouting.canary(CapacitySize.percent(25), wait_interval=MINUTES_10)
    endpoint_with(stack, BlueGreenDeployment(traffic_routing=canary, maximum_execution_timeout=Duration.minutes(25)))
    [warning] = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("DeploymentProvisioning"))
    assert "leaves 300 s beyond the baking and termination waits (1200 s)" in warning.entry.data


@pytest.mark.parametrize(
    ("copies", "batch", "fragment"),
    [
        (
            4,
            CapacitySize.percent(60),
            "60 % of 4 copies)': allowed: 5 to 50 % of the component's copies",
        ),
        (4, CapacitySize.copy_count(3), "3 (COPY_COUNT, 75 % of 4 copies)"),
        (2, CapacitySize.percent(25), "at least 1 copy per batch"),
    ],
)
def test_a_component_batch_is_5_to_50_percent_of_its_copies_and_at_least_one(stack, copies, batch, fragment):
    endpoint = component_endpoint(stack)
    update = ComponentRollingUpdate(maximum_batch_size=batch, wait_interval=MINUTES_10)
    expect_problems(
        lambda: inference_component(stack, endpoint, copy_count=copies, deployment=update), "[DeploymentSize]", fragment
    )


def test_a_component_batch_must_fit_the_fewest_copies_scaling_allows(stack):
    update = ComponentRollingUpdate(maximum_batch_size=CapacitySize.copy_count(2), wait_interval=MINUTES_10)
    component = inference_component(stack, copy_count=4, deployment=update)  # 2 of 4: half, allowed
    expect_problems(
        lambda: component.auto_scale_copy_count(min_capacity=2, max_capacity=6),
        "deployment.maximum_batch_size (MaximumBatchSize) = '2 (COPY_COUNT, 100 % of 2 copies)'",
    )
    component.auto_scale_copy_count(min_capacity=4, max_capacity=6)


def guarded_name(variant_names, instance_type=InstanceType.ML_M5_LARGE, deployment=True):
    stack = new_stack()
    model = ecr_model(stack)
    made = [variant(model, variant_name=name, instance_type=instance_type) for name in variant_names]
    config = EndpointConfig(stack, "Config", production_variants=made)
    return Endpoint(stack, "Endpoint", endpoint_config=config, deployment=all_at_once(5) if deployment else None)


def test_a_guarded_endpoints_default_name_follows_its_variant_set_so_a_change_replaces_it():
    first = guarded_name(["Primary", "Candidate"]).endpoint_name
    assert guarded_name(["Candidate", "Primary"]).endpoint_name == first  # the same set, in another order
    assert guarded_name(["Primary", "Candidate"], InstanceType.ML_C5_XLARGE).endpoint_name == first  # in place
    assert guarded_name(["Primary", "Challenger"]).endpoint_name != first  # guardrails refuse: a new endpoint
    assert guarded_name(["Primary"]).endpoint_name != first
    unguarded = guarded_name(["Primary"], deployment=False).endpoint_name
    assert guarded_name(["Secondary"], deployment=False).endpoint_name == unguarded  # no guardrails: in place


def test_variants_added_after_a_guarded_endpoint_fail_the_synth(stack):
    endpoint = endpoint_with(stack, all_at_once(5))
    endpoint.endpoint_config.add_production_variant(variant(ecr_model(stack, "Late"), variant_name="Late"))
    message = synth_errors(stack)
    assert "[DeploymentVariants] endpoint_config.production_variants = ['Late', 'V0']" in message
    assert "add every variant before defining the Endpoint" in message


@pytest.mark.parametrize(
    ("deployment", "fragment"),
    [
        (BlueGreenDeployment(traffic_routing={"type": "CANARY"}), "[WrongType] deployment.traffic_routing = "),
        (
            RollingDeployment(maximum_batch_size="10%", wait_interval=MINUTES_10),
            "deployment.maximum_batch_size = '10%'",
        ),
        (
            RollingDeployment(
                maximum_batch_size=CapacitySize.percent(10), wait_interval=MINUTES_10, rollback_maximum_batch_size=50
            ),
            "deployment.rollback_maximum_batch_size = 50",
        ),
    ],
)
def test_deployment_parts_of_the_wrong_type_are_validation_errors(stack, deployment, fragment):
    expect_problems(lambda: endpoint_with(stack, deployment), fragment)


def test_a_component_batch_of_the_wrong_type_is_a_validation_error(stack):
    update = ComponentRollingUpdate(maximum_batch_size=None, wait_interval=MINUTES_10)
    expect_problems(lambda: inference_component(stack, deployment=update), "deployment.maximum_batch_size = None")


def canary(percent):
    return BlueGreenDeployment(
        traffic_routing=TrafficRouting.canary(CapacitySize.percent(percent), wait_interval=MINUTES_10)
    )


def linear(percent):
    return BlueGreenDeployment(
        traffic_routing=TrafficRouting.linear(CapacitySize.percent(percent), wait_interval=MINUTES_10)
    )


def rolling(percent):
    return RollingDeployment(maximum_batch_size=CapacitySize.percent(percent), wait_interval=MINUTES_10)


@pytest.mark.parametrize(
    ("deployment", "accepted"),
    [
        (canary(1), True),
        (canary(50), True),
        (canary(51), False),
        (linear(9), False),
        (linear(10), True),
        (linear(50), True),
        (linear(51), False),
        (rolling(4), False),
        (rolling(5), True),
        (rolling(50), True),
        (rolling(51), False),
    ],
)
def test_traffic_shares_are_bounded_exactly_as_the_guide_says(stack, deployment, accepted):
    # Canary at most 50 %, linear steps 10 to 50 %, rolling batches 5 to 50 % of the variant's instances.
    if accepted:
        endpoint_with(stack, deployment, count=20)
    else:
        expect_problems(lambda: endpoint_with(stack, deployment, count=20), "[DeploymentSize]")


def test_a_rolling_deployment_without_baking_renders_a_zero_wait(stack):
    endpoint_with(
        stack, RollingDeployment(maximum_batch_size=CapacitySize.percent(25), wait_interval=Duration.seconds(0))
    )
    assert deployment_config(stack)["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 0
