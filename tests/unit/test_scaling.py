"""Application Auto Scaling for every kind: targets, the right metric per kind, limits and scale to zero."""

import json

import pytest
from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import (
    AsyncInference,
    Endpoint,
    EndpointConfig,
    InstanceType,
    ServerlessProductionVariant,
    SmokeTestPayload,
)
from tests.support import (
    cfn_lint,
    ecr_model,
    expect_problems,
    inference_component,
    realtime_endpoint,
    scale_on_latency_steps,
    synth_errors,
    template,
    variant,
)

TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"


def only(stack, resource_type):
    resources = template(stack).find_resources(resource_type)
    assert len(resources) == 1, list(resources)
    return next(iter(resources.items()))


def policies(stack):
    return [resource["Properties"] for resource in template(stack).find_resources(POLICY).values()]


def async_endpoint(stack):
    config = EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack))], async_inference=AsyncInference()
    )
    return Endpoint(stack, "Endpoint", endpoint_config=config)


def serverless_endpoint(stack, **kwargs):
    kwargs.setdefault("provisioned_concurrency", 2)
    variant_ = ServerlessProductionVariant(model=ecr_model(stack), max_concurrency=10, **kwargs)
    return Endpoint(stack, "Endpoint", endpoint_config=EndpointConfig(stack, "Config", production_variants=[variant_]))


def component(stack, copy_count=1):
    return inference_component(stack, copy_count=copy_count)


def test_an_instance_variant_scales_on_invocations_per_instance_after_the_endpoint_exists(stack):
    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    endpoint.add_smoke_test(payload=SmokeTestPayload.from_text("great"))
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=2, max_capacity=6)
    count.scale_on_invocations("Invocations", invocations_per_instance=70, scale_in_cooldown=Duration.minutes(10))
    logical_id, target = only(stack, TARGET)
    properties = target["Properties"]
    assert properties["ResourceId"] == f"endpoint/{endpoint.endpoint_name}/variant/AllTraffic"
    assert properties["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (properties["MinCapacity"], properties["MaxCapacity"]) == (2, 6)
    assert "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint" in json.dumps(properties["RoleARN"])
    assert target["DependsOn"] == [stack.get_logical_id(endpoint.resource)]  # the endpoint, never the smoke test
    [policy] = policies(stack)
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert (tracking["TargetValue"], tracking["ScaleInCooldown"]) == (70, 600)
    assert policy["ScalingTargetId"] == {"Ref": logical_id}


def test_concurrency_utilization_step_and_scheduled_scaling(stack):
    endpoint = realtime_endpoint(stack, instance_type=InstanceType.of("ml.g5.12xlarge"))  # GPU metrics: a GPU type
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=4)
    count.scale_on_concurrency("Concurrency", concurrent_requests_per_model=4)
    count.scale_on_utilization("Gpu", metric_name="GPUUtilization", target_percent=300)  # 4 GPUs at 75 %
    scale_on_latency_steps(count)
    count.scale_on_schedule("Nights", schedule=appscaling.Schedule.cron(hour="20", minute="0"), max_capacity=2)
    kinds = sorted(policy["PolicyType"] for policy in policies(stack))
    assert kinds == ["StepScaling", "StepScaling", "TargetTrackingScaling", "TargetTrackingScaling"]
    custom = [
        policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
        for policy in policies(stack)
        if "CustomizedMetricSpecification" in policy.get("TargetTrackingScalingPolicyConfiguration", {})
    ]
    assert custom[0]["Namespace"] == "/aws/sagemaker/Endpoints" and custom[0]["Unit"] == "Percent"
    [action] = only(stack, TARGET)[1]["Properties"]["ScheduledActions"]
    assert action["ScalableTargetAction"] == {"MaxCapacity": 2}


def test_an_async_variant_scales_on_its_backlog_and_out_from_zero(stack):
    count = async_endpoint(stack).find_variant("AllTraffic").auto_scale_instance_count(min_capacity=0, max_capacity=3)
    count.scale_on_backlog("Backlog", backlog_per_instance=5)
    count.scale_out_from_zero("FromZero")
    assert only(stack, TARGET)[1]["Properties"]["MinCapacity"] == 0
    backlog = next(p for p in policies(stack) if p["PolicyType"] == "TargetTrackingScaling")
    spec = backlog["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert spec["MetricName"] == "ApproximateBacklogSizePerInstance"
    assert [d["Name"] for d in spec["Dimensions"]] == ["EndpointName"]  # the endpoint's dimension only
    step = next(p for p in policies(stack) if p["PolicyType"] == "StepScaling")["StepScalingPolicyConfiguration"]
    assert step["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    [alarm] = template(stack).find_resources("AWS::CloudWatch::Alarm").values()
    alarm = alarm["Properties"]
    assert (alarm["MetricName"], alarm["Statistic"], alarm["Threshold"]) == ("HasBacklogWithoutCapacity", "Average", 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("ZeroWithoutScaleOut"))


def test_zero_instances_with_target_tracking_only_fail_the_synth(stack):
    count = async_endpoint(stack).find_variant("AllTraffic").auto_scale_instance_count(min_capacity=0, max_capacity=3)
    count.scale_on_backlog("Backlog", backlog_per_instance=5)
    message = synth_errors(stack)
    assert "[ZeroTrackingOnly] min_capacity = 0" in message and "scale_out_from_zero" in message


def test_zero_instances_without_any_policy_draw_a_warning(stack):
    async_endpoint(stack).find_variant("AllTraffic").auto_scale_instance_count(min_capacity=0, max_capacity=3)
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("ZeroWithoutScaleOut"))
    assert len(warnings) == 1


def test_any_step_policy_counts_as_a_way_out_of_zero(stack):
    endpoint = async_endpoint(stack)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=0, max_capacity=3)
    count.scale_on_backlog("Backlog", backlog_per_instance=5)
    count.scale_on_metric(
        "Steps",
        metric=endpoint.metric_approximate_backlog_size(),
        scaling_steps=[appscaling.ScalingInterval(upper=0, change=0), appscaling.ScalingInterval(lower=1, change=1)],
    )
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("ZeroWithoutScaleOut"))
    assert len(policies(stack)) == 2


def step_scaling(count, metric):
    count.scale_on_metric(
        "Steps",
        metric=metric,
        scaling_steps=[appscaling.ScalingInterval(upper=0, change=0), appscaling.ScalingInterval(lower=1, change=1)],
    )


def test_a_step_policy_metric_must_be_published_as_given(stack):
    from aws_cdk import aws_cloudwatch as cloudwatch

    endpoint = async_endpoint(stack)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=3)
    by_variant = cloudwatch.Metric(
        namespace="AWS/SageMaker",
        metric_name="HasBacklogWithoutCapacity",
        dimensions_map={"EndpointName": endpoint.endpoint_name, "VariantName": "AllTraffic"},
        statistic="Sum",
    )
    expect_problems(
        lambda: step_scaling(count, by_variant),
        "[PublishedMetric] metric dimensions = ['EndpointName', 'VariantName']",
        "[PublishedMetric] metric statistic = 'Sum': allowed: Average",
    )
    expect_problems(
        lambda: step_scaling(count, endpoint.metric("Invocations", "AllTraffic", statistic="Sum")),
        "[PublishedMetric] metric = 'Invocations'",
    )


def test_an_async_metric_on_a_real_time_endpoint_is_refused(stack):
    from aws_cdk import aws_cloudwatch as cloudwatch

    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=3)
    backlog = cloudwatch.Metric(
        namespace="AWS/SageMaker",
        metric_name="ApproximateBacklogSize",
        dimensions_map={"EndpointName": endpoint.endpoint_name},
        statistic="Average",
    )
    expect_problems(lambda: step_scaling(count, backlog), "[PublishedMetric] metric = 'ApproximateBacklogSize'")


def test_serverless_provisioned_concurrency_scales_on_its_utilization_as_the_schema_allows(stack):
    endpoint = serverless_endpoint(stack)
    concurrency = endpoint.find_variant("AllTraffic").auto_scale_provisioned_concurrency(min_capacity=1, max_capacity=5)
    concurrency.scale_on_utilization("Utilization", target_utilization=0.7)
    properties = only(stack, TARGET)[1]["Properties"]
    assert properties["ScalableDimension"] == "sagemaker:variant:DesiredProvisionedConcurrency"
    [policy] = policies(stack)
    spec = policy["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
    assert spec == {"PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"}
    # The guide says CloudFormation cannot scale provisioned concurrency; the schema cfn-lint ships says it can.
    assert cfn_lint(template(stack).to_json(), regions=["us-east-1"]) == []


def test_inference_component_copies_scale_on_invocations_per_copy_and_out_from_zero(stack):
    made = component(stack, copy_count=1)
    copies = made.auto_scale_copy_count(min_capacity=0, max_capacity=4)
    copies.scale_on_invocations("PerCopy", invocations_per_copy=10)
    copies.scale_out_from_zero("FromZero")
    _, target = only(stack, TARGET)
    assert target["Properties"]["ResourceId"] == f"inference-component/{made.inference_component_name}"
    assert target["Properties"]["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert target["DependsOn"] == [stack.get_logical_id(made.resource)]
    [alarm] = template(stack).find_resources("AWS::CloudWatch::Alarm").values()
    assert alarm["Properties"]["MetricName"] == "NoCapacityInvocationFailures"
    assert alarm["Properties"]["Dimensions"] == [
        {"Name": "InferenceComponentName", "Value": made.inference_component_name}
    ]
    assert alarm["Properties"]["Statistic"] == "Sum"
    assert cfn_lint(template(stack).to_json(), regions=["us-east-1"]) == []


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda stack: (
                realtime_endpoint(stack)
                .find_variant("AllTraffic")
                .auto_scale_instance_count(min_capacity=0, max_capacity=2)
            ),
            ["[ScalingCapacity] min_capacity = 0: allowed: at least 1"],
        ),
        (
            lambda stack: (
                realtime_endpoint(stack)
                .find_variant("AllTraffic")
                .auto_scale_instance_count(min_capacity=3, max_capacity=2)
            ),
            ["[ScalingCapacity] min_capacity = 3: allowed: at most max_capacity (2)"],
        ),
        (
            lambda stack: (
                realtime_endpoint(stack, initial_instance_count=5)
                .find_variant("AllTraffic")
                .auto_scale_instance_count(min_capacity=1, max_capacity=2)
            ),
            ["[ScalingCapacity] initial_instance_count = 5"],
        ),
        (
            lambda stack: (
                realtime_endpoint(stack, instance_type=InstanceType.of("ml.t2.medium"))
                .find_variant("AllTraffic")
                .auto_scale_instance_count(min_capacity=1, max_capacity=2)
            ),
            ["[ScalingKind] instance_type = 'ml.t2.medium'", "burstable"],
        ),
        (
            lambda stack: (
                serverless_endpoint(stack)
                .find_variant("AllTraffic")
                .auto_scale_instance_count(min_capacity=1, max_capacity=2)
            ),
            ["[ScalingKind] variant = 'ServerlessProductionVariant'", "auto_scale_provisioned_concurrency"],
        ),
        (
            lambda stack: (
                serverless_endpoint(stack, provisioned_concurrency=None)
                .find_variant("AllTraffic")
                .auto_scale_provisioned_concurrency(min_capacity=1, max_capacity=2)
            ),
            ["[ScalingKind] provisioned_concurrency = None"],
        ),
        (
            lambda stack: (
                serverless_endpoint(stack)
                .find_variant("AllTraffic")
                .auto_scale_provisioned_concurrency(min_capacity=1, max_capacity=20)
            ),
            ["[ScalingCapacity] max_capacity = 20: allowed: at most the variant's max_concurrency (10)"],
        ),
        (
            lambda stack: (
                realtime_endpoint(stack)
                .find_variant("AllTraffic")
                .auto_scale_provisioned_concurrency(min_capacity=1, max_capacity=2)
            ),
            ["[ScalingKind] variant = 'ProductionVariant'"],
        ),
        (
            lambda stack: (
                component(stack)
                .endpoint.find_variant("AllTraffic")
                .auto_scale_instance_count(min_capacity=1, max_capacity=2)
            ),
            ["[ScalingKind] variant = 'InferenceComponentHostVariant'", "managed_instance_scaling"],
        ),
        (
            lambda stack: component(stack, copy_count=3).auto_scale_copy_count(min_capacity=0, max_capacity=2),
            ["[ScalingCapacity] copy_count = 3"],
        ),
    ],
)
def test_capacity_rules(stack, build, fragments):
    expect_problems(lambda: build(stack), *fragments)


def test_one_target_per_variant(stack):
    endpoint = realtime_endpoint(stack)
    endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=2)
    expect_problems(
        lambda: endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=3),
        "[ScalingKind] variant_name = 'AllTraffic': allowed: one scalable target per variant",
    )


@pytest.mark.parametrize(
    ("policy", "fragments"),
    [
        (lambda count: count.scale_on_backlog("B", backlog_per_instance=5), ["[ScalingMetric] scale_on_backlog"]),
        (lambda count: count.scale_out_from_zero("Z"), ["[ScalingMetric] scale_out_from_zero"]),
        (
            lambda count: count.scale_on_invocations("I", invocations_per_instance=0),
            ["[ScalingTarget] target_value = 0"],
        ),
        (
            lambda count: count.scale_on_utilization("U", metric_name="Latency", target_percent=50),
            ["[ScalingMetric] metric_name = 'Latency'"],
        ),
        (
            lambda count: count.scale_on_utilization("U", metric_name="MemoryUtilization", target_percent=120),
            ["[ScalingTarget] target_value = 120", "at most 100 percent"],
        ),
        (
            lambda count: count.scale_on_schedule("S", schedule=appscaling.Schedule.rate(Duration.hours(1))),
            ["[ScalingCapacity] min_capacity = None"],
        ),
        (
            lambda count: count.scale_on_schedule(
                "S", schedule=appscaling.Schedule.rate(Duration.hours(1)), min_capacity=0
            ),
            ["[ScalingCapacity] min_capacity = 0: allowed: at least 1"],
        ),
    ],
)
def test_policies_that_do_not_fit_a_real_time_variant(stack, policy, fragments):
    count = (
        realtime_endpoint(stack).find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=3)
    )
    expect_problems(lambda: policy(count), *fragments)


def test_an_async_variant_takes_no_invocation_policy(stack):
    count = async_endpoint(stack).find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=3)
    expect_problems(
        lambda: count.scale_on_invocations("I", invocations_per_instance=70),
        "[ScalingMetric] scale_on_invocations",
        "scale_on_backlog",
    )


def test_scale_out_from_zero_needs_a_minimum_of_zero(stack):
    count = async_endpoint(stack).find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=3)
    expect_problems(lambda: count.scale_out_from_zero("Z"), "[ScaleOutFromZero] min_capacity = 1")


def test_provisioned_concurrency_utilization_is_a_ratio(stack):
    concurrency = (
        serverless_endpoint(stack)
        .find_variant("AllTraffic")
        .auto_scale_provisioned_concurrency(min_capacity=1, max_capacity=4)
    )
    expect_problems(
        lambda: concurrency.scale_on_utilization("U", target_utilization=70),
        "[ScalingTarget] target_value = 70",
        "at most 1",
    )


def test_an_adapter_has_no_copies_to_scale(stack):
    from aws_cdk import aws_s3 as s3

    from cdk_sagemaker_inference import ModelData

    adapter = component(stack).add_adapter(
        "Adapter", artifacts=ModelData.from_bucket(s3.Bucket(stack, "B"), "a.tar.gz")
    )
    expect_problems(lambda: adapter.auto_scale_copy_count(min_capacity=1, max_capacity=2), "[ScalingKind] component")


def test_an_imported_endpoint_scales_without_checks_or_dependencies(stack):
    imported = Endpoint.from_endpoint_name(stack, "Imported", "existing")
    imported.find_variant("Primary").auto_scale_instance_count(min_capacity=1, max_capacity=3).scale_on_invocations(
        "I", invocations_per_instance=70
    )
    _, target = only(stack, TARGET)
    assert target["Properties"]["ResourceId"] == "endpoint/existing/variant/Primary" and "DependsOn" not in target


def test_a_gpu_metric_on_an_instance_without_gpus_is_refused(stack):
    count = (
        realtime_endpoint(stack, initial_instance_count=2)
        .find_variant("AllTraffic")
        .auto_scale_instance_count(min_capacity=1, max_capacity=3)
    )
    expect_problems(
        lambda: count.scale_on_utilization("Gpu", metric_name="GPUUtilization", target_percent=70),
        "[PublishedMetric] metric = 'GPUUtilization'",
        "CPUUtilization",
    )


def test_a_gpu_metric_on_a_gpu_instance_is_accepted(stack):
    endpoint = realtime_endpoint(stack, initial_instance_count=2, instance_type=InstanceType.ML_G5_XLARGE)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=3)
    count.scale_on_utilization("Gpu", metric_name="GPUUtilization", target_percent=70)
    assert len(policies(stack)) == 1


def instance_count(stack):
    return (
        realtime_endpoint(stack, initial_instance_count=2)
        .find_variant("AllTraffic")
        .auto_scale_instance_count(min_capacity=1, max_capacity=4)
    )


STEPS = [appscaling.ScalingInterval(upper=0, change=-1), appscaling.ScalingInterval(lower=100, change=1)]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"scaling_steps": STEPS[:1]}, "[ScalingTarget] scaling_steps = '1 intervals': allowed: 2 to 40"),
        ({"scaling_steps": "steps"}, "[WrongType] scaling_steps = 'steps'"),
        (
            {"scaling_steps": [appscaling.ScalingInterval(upper=float("nan"), change=-1), STEPS[1]]},
            "scaling_steps[0].upper (MetricIntervalUpperBound) = nan: allowed: a finite number",
        ),
        ({"scaling_steps": STEPS, "datapoints_to_alarm": 2}, "datapoints_to_alarm = 2: allowed: at most evaluation"),
        ({"scaling_steps": STEPS, "evaluation_periods": 0}, "evaluation_periods (EvaluationPeriods) = 0"),
        ({"scaling_steps": STEPS, "cooldown": Duration.millis(1500)}, "cooldown"),
    ],
)
def test_step_scaling_input_is_checked_before_aws_cdk_lib_sees_it(stack, options, fragment):
    count = instance_count(stack)
    metric = count.endpoint.metric_model_latency("AllTraffic")
    expect_problems(lambda: count.scale_on_metric("Steps", metric=metric, **options), fragment)


@pytest.mark.parametrize("target", [float("nan"), float("inf"), -1, 0])
def test_a_target_that_is_not_a_positive_finite_number_is_refused(stack, target):
    count = instance_count(stack)
    expect_problems(lambda: count.scale_on_invocations("Invocations", invocations_per_instance=target), "target_value")


@pytest.mark.parametrize(
    ("cron", "field"),
    [
        ({"hour": "x"}, "schedule.hour = 'x'"),
        ({"minute": "75"}, "schedule.minute = '75'"),
        ({"month": "FOO"}, "schedule.month = 'FOO'"),
    ],
)
def test_a_schedule_outside_crons_ranges_is_refused(stack, cron, field):
    count = instance_count(stack)
    expect_problems(
        lambda: count.scale_on_schedule("Bad", schedule=appscaling.Schedule.cron(**cron), max_capacity=2),
        f"[ScalingSchedule] {field}",
    )


def test_valid_cron_schedules_pass(stack):
    count = instance_count(stack)
    count.scale_on_schedule(
        "Weekdays", schedule=appscaling.Schedule.cron(hour="8-18/2", week_day="MON-FRI"), min_capacity=2
    )
    count.scale_on_schedule(
        "Month", schedule=appscaling.Schedule.cron(day="L", month="JAN,JUL", minute="0"), max_capacity=2
    )
    assert len(only(stack, TARGET)[1]["Properties"]["ScheduledActions"]) == 2
