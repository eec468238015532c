"""Behaviour the mutation run (`make mutation`) found unpinned in alarms.py, deployment.py and scaling.py: each test
fails for a surviving mutant's change (named in its docstring) and passes for the code as written."""

from __future__ import annotations

import dataclasses

import pytest
from aws_cdk import CfnParameter, Duration, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import (
    AlarmThresholds,
    AsyncInference,
    BlueGreenDeployment,
    CapacitySize,
    ComponentRollingUpdate,
    CopyCount,
    Endpoint,
    EndpointAlarms,
    EndpointConfig,
    RollingDeployment,
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
    realtime_endpoint,
    template,
    variant,
)
from tests.unit.test_deployment import endpoint_with

MISSING = cloudwatch.TreatMissingData.NOT_BREACHING


def all_at_once(seconds):
    return BlueGreenDeployment(traffic_routing=TrafficRouting.all_at_once(wait_interval=Duration.seconds(seconds)))


# alarms.py (the 0/1 metric bound's edges are in test_alarms_and_dashboard.py)


def test_thresholds_are_immutable_and_keyword_only():
    """Mutants frozen=False, and `/` for `*` in EndpointAlarms' signature."""
    thresholds = AlarmThresholds()
    with pytest.raises(dataclasses.FrozenInstanceError):
        thresholds.evaluation_periods = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        AlarmThresholds({Severity.WARNING: 0.1})  # type: ignore[misc]


def test_endpoint_alarms_take_the_endpoint_by_keyword_only(stack):
    endpoint = realtime_endpoint(stack)
    with pytest.raises(TypeError):
        EndpointAlarms(stack, "Alarms", endpoint, None)  # type: ignore[misc]


def test_async_backlog_defaults_are_the_documented_ones(stack):
    """AlarmThresholds' docstring: backlog 100 requests, oldest request 900 s (mutants 99, 101, 899)."""
    config = EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack))], async_inference=AsyncInference()
    )
    EndpointAlarms(stack, "Alarms", endpoint=Endpoint(stack, "Endpoint", endpoint_config=config))
    thresholds = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]["Threshold"]
        for alarm in template(stack).find_resources("AWS::CloudWatch::Alarm").values()
    }
    assert thresholds["ApproximateBacklogSize"] == 100
    assert thresholds["ApproximateAgeOfOldestRequest"] == 900


def test_a_new_fleet_4xx_rate_is_not_scaled(stack):
    """The 4xx rate needs no unit change (mutant: scale 2)."""
    endpoint = endpoint_with(stack, all_at_once(600))
    thresholds = AlarmThresholds(error_rate_4xx={Severity.CRITICAL: 0.05})
    made = EndpointAlarms(stack, "Alarms", endpoint=endpoint, thresholds=thresholds).add_rollback_alarms()
    rendered = template(stack).to_json()["Resources"]
    four = [a for a in made if "4xx" in a.node.id]
    assert [rendered[stack.get_logical_id(a.node.default_child)]["Properties"]["Threshold"] for a in four] == [0.05]


def test_a_bake_with_room_for_exactly_one_period_takes_a_one_period_alarm(stack):
    """120 s bake = one 60 s period + 60 s publishing delay (mutant `periods <= 1`)."""
    endpoint = endpoint_with(stack, all_at_once(120))
    [alarm] = EndpointAlarms(stack, "Alarms", endpoint=endpoint).add_rollback_alarms()
    properties = template(stack).to_json()["Resources"][stack.get_logical_id(alarm.node.default_child)]["Properties"]
    assert properties["EvaluationPeriods"] == 1


def test_a_deploy_time_bake_keeps_the_configured_periods(stack):
    """A token bake is not arithmetic (mutant `or` for `and`)."""
    seconds = CfnParameter(stack, "Bake", type="Number", default=600).value_as_number
    endpoint = endpoint_with(stack, all_at_once(seconds))
    [alarm] = EndpointAlarms(stack, "Alarms", endpoint=endpoint).add_rollback_alarms()
    properties = template(stack).to_json()["Resources"][stack.get_logical_id(alarm.node.default_child)]["Properties"]
    assert properties["EvaluationPeriods"] == 5


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"treat_missing_data": "notBreaching"}, "[WrongType] treat_missing_data = 'notBreaching'"),
        ({"treat_missing_data": MISSING, "comparison_operator": ">"}, "[WrongType] comparison_operator = '>'"),
    ],
)
def test_add_alarm_checks_its_enum_arguments(stack, options, fragment):
    """Mutant: the enum type checks skipped."""
    alarms = EndpointAlarms(stack, "Alarms", endpoint=realtime_endpoint(stack))
    metric = alarms.endpoint.metric_invocation_5xx_errors("AllTraffic", statistic="Average")
    expect_problems(
        lambda: alarms.add_alarm("Custom", metric=metric, threshold=0.1, severity=Severity.WARNING, **options), fragment
    )


def test_a_threshold_of_the_wrong_type_is_one_problem_saying_what_to_write(stack):
    """Mutant `not not` for `not`: the type check first, the API limits only for a number."""
    alarms = EndpointAlarms(stack, "Alarms", endpoint=realtime_endpoint(stack))
    metric = alarms.endpoint.metric_invocation_5xx_errors("AllTraffic", statistic="Average")
    error = expect_problems(
        lambda: alarms.add_alarm(
            "Custom", metric=metric, threshold="x", severity=Severity.WARNING, treat_missing_data=MISSING
        ),
        "[WrongType] threshold = 'x'",
        "write a number, e.g. 0.05",
    )
    assert len(error.problems) == 1


def test_a_rollback_alarm_on_metric_math_is_accepted(stack):
    """A math alarm has no period of its own: its window is unknown, not computed (mutant `and` for `or`)."""
    endpoint = endpoint_with(stack, all_at_once(600))
    errors = endpoint.metric_invocation_5xx_errors("V0", statistic="Sum")
    calls = endpoint.metric_invocations("V0")
    rate = cloudwatch.MathExpression(expression="errors / calls", using_metrics={"errors": errors, "calls": calls})
    alarm = rate.create_alarm(stack, "Rate", threshold=0.05, evaluation_periods=2, treat_missing_data=MISSING)
    endpoint.add_rollback_alarms(alarm)
    config = only_resource(stack, "AWS::SageMaker::Endpoint")["Properties"]["DeploymentConfig"]
    assert config["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": {"Ref": stack.get_logical_id(alarm.node.default_child)}}
    ]


def test_thresholds_without_evaluation_periods_are_refused(stack):
    """Mutant: `value is not None` for `value is None`."""
    expect_problems(
        lambda: EndpointAlarms(
            stack, "Alarms", endpoint=realtime_endpoint(stack), thresholds=AlarmThresholds(evaluation_periods=None)
        ),
        "[WrongType] thresholds.evaluation_periods = None",
    )


# deployment.py


def test_a_canary_of_just_over_half_the_fleet_is_refused(stack):
    """101 of 200 instances is 50.5 % (mutants: `//` gives 50; 2^31 or 2+31 as the bound gives an unknown share)."""
    deployment = BlueGreenDeployment(
        traffic_routing=TrafficRouting.canary(CapacitySize.instance_count(101), wait_interval=Duration.minutes(5))
    )
    expect_problems(
        lambda: endpoint_with(stack, deployment, count=200), "101 (INSTANCE_COUNT, 50.5 % of 200 instances)"
    )


def test_size_messages_name_each_variants_instances(stack):
    """Mutant: `>` for `==` picks the component wording."""
    deployment = BlueGreenDeployment(
        traffic_routing=TrafficRouting.linear(CapacitySize.percent(60), wait_interval=Duration.minutes(5))
    )
    expect_problems(lambda: endpoint_with(stack, deployment), "10 to 50 % of each variant's instances")


def test_capacity_sizes_and_routings_are_immutable():
    """Mutant frozen=False."""
    size = CapacitySize.percent(10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        size.value = 20  # type: ignore[misc]


def test_deployments_take_keywords_only():
    """Mutants kw_only=False."""
    with pytest.raises(TypeError):
        ComponentRollingUpdate(CapacitySize.copy_count(1), Duration.minutes(1))  # type: ignore[misc]
    routing = TrafficRouting.all_at_once()
    with pytest.raises(TypeError):
        BlueGreenDeployment(routing)  # type: ignore[misc]
    with pytest.raises(TypeError):
        RollingDeployment(CapacitySize.percent(10), Duration.minutes(5))  # type: ignore[misc]


@pytest.mark.parametrize(("step", "bakes"), [(33, 4), (50, 2), (10, 10)])
def test_a_linear_deployment_bakes_once_per_step(step, bakes):
    """33 % steps take 4 shifts (mutant: 99 / share gives 3)."""
    routing = TrafficRouting.linear(CapacitySize.percent(step), wait_interval=Duration.minutes(5))
    assert routing.bake_seconds() == bakes * 300


def test_bakes_unknown_at_synth_are_none():
    """A deploy-time wait, or a 0 % step the size checks refuse (mutants `and` for `or`, `<= -1` for `<= 0`)."""
    wait = Duration.seconds(Token.as_number({"Ref": "Wait"}))
    assert TrafficRouting.canary(CapacitySize.percent(10), wait_interval=wait).bake_seconds() is None
    assert TrafficRouting.linear(CapacitySize.percent(0), wait_interval=Duration.minutes(5)).bake_seconds() is None


@pytest.mark.parametrize(("spare", "warned"), [(599, True), (600, False)])
def test_the_provisioning_warning_starts_under_600_spare_seconds(stack, spare, warned):
    """Mutants PROVISIONING_SECONDS 599 and 601; a termination wait counts (mutant `-`)."""
    deployment = BlueGreenDeployment(
        traffic_routing=TrafficRouting.all_at_once(wait_interval=Duration.minutes(5)),
        termination_wait=Duration.minutes(5),
        maximum_execution_timeout=Duration.seconds(600 + spare),
    )
    endpoint_with(stack, deployment)
    found = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("DeploymentProvisioning"))
    assert bool(found) is warned


def test_a_component_rolling_update_renders_a_zero_wait(stack):
    """Mutant: `or 1` for `or 0`."""
    deployment = ComponentRollingUpdate(
        maximum_batch_size=CapacitySize.copy_count(1), wait_interval=Duration.seconds(0)
    )
    inference_component(stack, copy_count=4, deployment=deployment)
    config = only_resource(stack, "AWS::SageMaker::InferenceComponent")["Properties"]["DeploymentConfig"]
    assert config["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 0


def test_a_component_rolling_update_renders_its_rollback_alarms(stack):
    """Mutant: `if not alarms`."""
    endpoint = component_endpoint(stack)
    alarm = EndpointAlarms(stack, "Alarms", endpoint=endpoint).add_alarm(
        "Errors",
        metric=endpoint.metric_invocation_5xx_errors("AllTraffic", statistic="Average"),
        threshold=0.05,
        severity=Severity.CRITICAL,
        treat_missing_data=MISSING,
        evaluation_periods=1,
    )
    deployment = ComponentRollingUpdate(
        maximum_batch_size=CapacitySize.copy_count(1), wait_interval=Duration.minutes(2), rollback_alarms=[alarm]
    )
    inference_component(stack, endpoint, copy_count=4, deployment=deployment)
    config = only_resource(stack, "AWS::SageMaker::InferenceComponent")["Properties"]["DeploymentConfig"]
    assert config["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": {"Ref": stack.get_logical_id(alarm.node.default_child)}}
    ]


def test_a_component_batch_under_one_copy_names_the_copies(stack):
    """5 % of 4 copies is 0.2 of a copy (mutants `+ 100`, `/ 99` in the message)."""
    endpoint = component_endpoint(stack)
    deployment = ComponentRollingUpdate(maximum_batch_size=CapacitySize.percent(5), wait_interval=Duration.minutes(1))
    expect_problems(
        lambda: inference_component(stack, endpoint, copy_count=4, deployment=deployment),
        "5 (CAPACITY_PERCENT, 0.2 of 4 copies)",
    )


def test_a_rollback_batch_under_one_percent_is_accepted(stack):
    """1 copy of 101 is 0.99 %: any rollback batch share from 0 % up (mutant: from 1 %)."""
    endpoint = component_endpoint(stack)
    deployment = ComponentRollingUpdate(
        maximum_batch_size=CapacitySize.copy_count(10),
        rollback_maximum_batch_size=CapacitySize.copy_count(1),
        wait_interval=Duration.minutes(1),
    )
    inference_component(stack, endpoint, copy_count=101, deployment=deployment)
    policy = only_resource(stack, "AWS::SageMaker::InferenceComponent")["Properties"]["DeploymentConfig"]
    assert policy["RollingUpdatePolicy"]["RollbackMaximumBatchSize"] == {"Type": "COPY_COUNT", "Value": 1}


def test_rollback_alarms_must_be_a_list(stack):
    """Mutant: the list type check inverted."""
    expect_problems(
        lambda: endpoint_with(
            stack, BlueGreenDeployment(traffic_routing=TrafficRouting.all_at_once(), rollback_alarms="x")
        ),
        "[WrongType] deployment.rollback_alarms = 'x'",
    )


# scaling.py


def instance_count(stack, **kwargs):
    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    return endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=4, **kwargs)


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({"minute": "59", "hour": "0"}, None),
        ({"minute": "60"}, "schedule.minute = '60': allowed: 0 to 59"),
        ({"hour": "23"}, None),
        ({"hour": "24"}, "schedule.hour = '24': allowed: 0 to 23"),
        ({"week_day": "1"}, None),
        ({"week_day": "7"}, None),
        ({"week_day": "8"}, "schedule.week_day = '8': allowed: 1 to 7, SUN-SAT"),
        ({"week_day": "0"}, "schedule.week_day = '0'"),
        ({"month": "0"}, "schedule.month = '0': allowed: 1 to 12, JAN-DEC"),
        ({"day": "L,32"}, "schedule.day = 'L,32'"),  # every value of a list counts, after a wildcard too
    ],
)
def test_cron_fields_take_exactly_their_ranges(stack, fields, refused):
    """Mutants: minute to 60, hour from -1 or to 24, week day from 2 or to 6, the day names' message."""
    from aws_cdk import aws_applicationautoscaling as appscaling

    count = instance_count(stack)
    schedule = appscaling.Schedule.cron(**{"minute": "0", **fields})

    def add():
        count.scale_on_schedule("Nights", schedule=schedule, max_capacity=2)

    if refused:
        expect_problems(add, refused)
    else:
        add()
        assert template(stack).find_resources("AWS::ApplicationAutoScaling::ScalableTarget")


def test_provisioned_concurrency_schedules_may_go_down_to_one(stack):
    """Provisioned concurrency's floor is 1 (mutant: 2)."""
    from aws_cdk import aws_applicationautoscaling as appscaling

    from cdk_sagemaker_inference import ServerlessProductionVariant

    serverless = ServerlessProductionVariant(model=ecr_model(stack), max_concurrency=10, provisioned_concurrency=2)
    endpoint = Endpoint(
        stack, "Endpoint", endpoint_config=EndpointConfig(stack, "Config", production_variants=[serverless])
    )
    concurrency = endpoint.find_variant("AllTraffic").auto_scale_provisioned_concurrency(min_capacity=2, max_capacity=5)
    concurrency.scale_on_schedule("Nights", schedule=appscaling.Schedule.cron(hour="20", minute="0"), min_capacity=1)
    expect_problems(
        lambda: concurrency.scale_on_schedule("Never", schedule=appscaling.Schedule.cron(hour="1"), min_capacity=0),
        "min_capacity = 0",
    )


def test_a_utilization_target_at_its_ceiling_is_accepted(stack):
    """Mutant `>=` for `>`: a provisioned-concurrency utilization of exactly 1 is allowed."""
    from cdk_sagemaker_inference import ServerlessProductionVariant

    serverless = ServerlessProductionVariant(model=ecr_model(stack), max_concurrency=10, provisioned_concurrency=2)
    endpoint = Endpoint(
        stack, "Endpoint", endpoint_config=EndpointConfig(stack, "Config", production_variants=[serverless])
    )
    concurrency = endpoint.find_variant("AllTraffic").auto_scale_provisioned_concurrency(min_capacity=1, max_capacity=5)
    concurrency.scale_on_utilization("Utilization", target_utilization=1)
    [policy] = template(stack).find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 1


def test_three_steps_are_a_valid_step_policy(stack):
    """Mutant `2 is len(steps)`."""
    from aws_cdk import aws_applicationautoscaling as appscaling

    count = instance_count(stack)
    count.scale_on_metric(
        "Steps",
        metric=count_endpoint_latency(stack),
        scaling_steps=[
            appscaling.ScalingInterval(upper=100_000, change=-1),
            appscaling.ScalingInterval(lower=500_000, change=1),
            appscaling.ScalingInterval(lower=1_000_000, change=2),
        ],
    )
    found = template(stack).find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    steps = [p["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"] for p in found]
    assert sorted(len(adjustments) for adjustments in steps) == [1, 2]  # aws-cdk-lib splits lower and upper steps


def count_endpoint_latency(stack):
    endpoint = stack.node.find_child("Endpoint")
    return endpoint.metric_model_latency("AllTraffic", statistic="Average")


def test_a_fractional_capacity_is_refused(stack):
    """Mutant `and` for `or` skips the start-within-limits check for non-integers."""
    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    expect_problems(
        lambda: endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1.5, max_capacity=4),
        "min_capacity",
    )


def test_scaling_from_zero_waits_the_documented_minute(stack):
    """SCALE_FROM_ZERO_COOLDOWN_SECONDS (mutant 61)."""
    config = EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack))], async_inference=AsyncInference()
    )
    count = (
        Endpoint(stack, "Endpoint", endpoint_config=config)
        .find_variant("AllTraffic")
        .auto_scale_instance_count(min_capacity=0, max_capacity=3)
    )
    count.scale_out_from_zero("FromZero")
    [policy] = template(stack).find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert policy["Properties"]["StepScalingPolicyConfiguration"]["Cooldown"] == 60


def test_scaling_methods_take_options_by_keyword_only(stack):
    """Mutants `/` for `*`."""
    from aws_cdk import aws_applicationautoscaling as appscaling

    count = instance_count(stack)
    metric = count_endpoint_latency(stack)
    steps = [appscaling.ScalingInterval(upper=0, change=-1), appscaling.ScalingInterval(lower=1, change=1)]
    with pytest.raises(TypeError):
        count.scale_on_metric("Steps", metric, steps)  # type: ignore[misc]
    with pytest.raises(TypeError):
        count.scale_on_utilization("Cpu", "CPUUtilization", 70)  # type: ignore[misc]
    with pytest.raises(TypeError):
        count.scale_out_from_zero("Z", Duration.minutes(1))  # type: ignore[misc]
    other = new_stack("Components")
    component = inference_component(other)
    with pytest.raises(TypeError):
        CopyCount(other, "Copies", component, 0, 2)  # type: ignore[misc]


def test_capacity_constructors_and_copy_scaling_take_keywords_only(stack):
    """Mutants `/` for `*` in ProvisionedConcurrency and CopyCount.scale_out_from_zero; CopyCount's floor 0."""
    from aws_cdk import aws_applicationautoscaling as appscaling

    from cdk_sagemaker_inference import ProvisionedConcurrency

    with pytest.raises(TypeError):
        ProvisionedConcurrency(stack, "P", realtime_endpoint(stack), "AllTraffic", 1, 2, None)  # type: ignore[misc]
    other = new_stack("Components")
    copies = inference_component(other).auto_scale_copy_count(min_capacity=1, max_capacity=2)
    with pytest.raises(TypeError):
        copies.scale_out_from_zero("Z", Duration.minutes(1))  # type: ignore[misc]
    copies.scale_on_schedule("Nights", schedule=appscaling.Schedule.cron(hour="20", minute="0"), min_capacity=0)
    expect_problems(
        lambda: copies.scale_on_schedule("Never", schedule=appscaling.Schedule.cron(hour="1"), min_capacity=-1),
        "min_capacity = -1: allowed: at least 0",
    )
