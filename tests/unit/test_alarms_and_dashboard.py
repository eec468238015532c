"""Recommended alarms per kind, alarms that cannot fire refused, and the dashboard per endpoint."""

import json

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns

from cdk_sagemaker_inference import (
    AlarmThresholds,
    AsyncInference,
    Endpoint,
    EndpointAlarms,
    EndpointConfig,
    EndpointDashboard,
    InstanceType,
    ServerlessProductionVariant,
    Severity,
)
from tests.support import (
    cfn_lint,
    component_endpoint,
    ecr_model,
    expect_problems,
    inference_component,
    realtime_endpoint,
    template,
    variant,
)

MISSING = cloudwatch.TreatMissingData.NOT_BREACHING


def alarms_of(stack):
    return {
        resource["Properties"]["AlarmDescription"]: resource["Properties"]
        for resource in template(stack).find_resources("AWS::CloudWatch::Alarm").values()
    }


def metric_names(stack):
    return sorted(alarm["MetricName"] for alarm in alarms_of(stack).values())


def test_a_real_time_endpoint_gets_error_rates_latency_in_microseconds_and_utilization(stack):
    endpoint = realtime_endpoint(stack)
    topic = sns.Topic(stack, "Pager")
    made = EndpointAlarms(stack, "Alarms", endpoint=endpoint, topics={Severity.CRITICAL: topic})
    assert metric_names(stack) == sorted(
        ["Invocation5XXErrors", "Invocation5XXErrors", "Invocation4XXErrors", "ModelLatency", "CPUUtilization",
         "MemoryUtilization", "DiskUtilization"]
    )  # fmt: skip
    assert "AllTrafficErrorRate5xxCritical" in made.alarms
    rendered = alarms_of(stack)
    five = next(a for a in rendered.values() if a["MetricName"] == "Invocation5XXErrors" and a["Threshold"] == 0.05)
    assert five["Statistic"] == "Average" and five["TreatMissingData"] == "notBreaching"
    assert five["AlarmActions"] == [{"Ref": stack.get_logical_id(topic.node.default_child)}]
    latency = next(a for a in rendered.values() if a["MetricName"] == "ModelLatency")
    assert (latency["ExtendedStatistic"], latency["Threshold"], latency["Unit"]) == ("p99", 1_000_000, "Microseconds")
    cpu = next(a for a in rendered.values() if a["MetricName"] == "CPUUtilization")
    assert cpu["Namespace"] == "/aws/sagemaker/Endpoints" and cpu["TreatMissingData"] == "missing"
    assert "AlarmActions" not in cpu  # warnings notify nobody unless a warning topic is given


def test_gpu_types_also_watch_gpu_utilization(stack):
    EndpointAlarms(stack, "Alarms", endpoint=realtime_endpoint(stack, instance_type=InstanceType.of("ml.g5.xlarge")))
    assert {"GPUUtilization", "GPUMemoryUtilization"} <= set(metric_names(stack))


def test_serverless_gets_no_instance_alarms(stack):
    config = EndpointConfig(stack, "Config", production_variants=[ServerlessProductionVariant(model=ecr_model(stack))])
    EndpointAlarms(stack, "Alarms", endpoint=Endpoint(stack, "Endpoint", endpoint_config=config))
    assert "CPUUtilization" not in metric_names(stack) and "ModelLatency" in metric_names(stack)


def test_an_async_endpoint_watches_its_backlog(stack):
    config = EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack))], async_inference=AsyncInference()
    )
    EndpointAlarms(stack, "Alarms", endpoint=Endpoint(stack, "Endpoint", endpoint_config=config))
    names = metric_names(stack)
    assert "ApproximateBacklogSize" in names and "ApproximateAgeOfOldestRequest" in names


def test_inference_components_alarm_on_calls_without_a_copy(stack):
    endpoint = component_endpoint(stack)
    inference_component(stack, endpoint)
    EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    [failures] = [a for a in alarms_of(stack).values() if a["MetricName"] == "NoCapacityInvocationFailures"]
    assert failures["Statistic"] == "Sum" and failures["EvaluationPeriods"] == 1
    assert failures["Threshold"] == 1 and failures["ComparisonOperator"] == "GreaterThanThreshold"  # more than 1


def test_thresholds_are_keyed_by_severity_and_an_empty_set_makes_no_alarm(stack):
    thresholds = AlarmThresholds(
        error_rate_5xx={Severity.CRITICAL: 0.1}, error_rate_4xx={}, latency_p99_ms={}, utilization_percent={}
    )
    made = EndpointAlarms(stack, "Alarms", endpoint=realtime_endpoint(stack), thresholds=thresholds)
    assert list(made.alarms) == ["AllTrafficErrorRate5xxCritical"]


@pytest.mark.parametrize(
    ("metric", "threshold", "fragment"),
    [
        (
            lambda e: e.metric_invocation_5xx_errors("AllTraffic", statistic="Average"),
            1,
            "[AlarmCanFire] threshold = 1",
        ),
        (lambda e: e.metric_invocation_4xx_errors("AllTraffic", statistic="Average"), 5, "its Average never exceeds 1"),
        (
            lambda e: cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name="ModelLatency",
                dimensions_map={"EndpointName": e.endpoint_name, "VariantName": "AllTraffic"},
                unit=cloudwatch.Unit.MILLISECONDS,
            ),
            100,
            "[MetricUnit] unit = 'MILLISECONDS': allowed: MICROSECONDS",
        ),
        (
            lambda e: cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name="Invocations",
                dimensions_map={"EndpointName": e.endpoint_name, "VariantName": "Missing"},
            ),
            100,
            "[KnownVariant] variant_name = 'Missing'",
        ),
    ],
)
def test_alarms_that_cannot_fire_are_refused(stack, metric, threshold, fragment):
    endpoint = realtime_endpoint(stack)
    alarms = EndpointAlarms(
        stack,
        "Alarms",
        endpoint=endpoint,
        thresholds=AlarmThresholds(error_rate_5xx={}, error_rate_4xx={}, latency_p99_ms={}, utilization_percent={}),
    )
    expect_problems(
        lambda: alarms.add_alarm(
            "Custom",
            metric=metric(endpoint),
            threshold=threshold,
            severity=Severity.WARNING,
            treat_missing_data=MISSING,
        ),
        fragment,
    )


def test_a_rate_alarm_on_the_average_below_one_is_accepted(stack):
    endpoint = realtime_endpoint(stack)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    alarm = alarms.add_alarm(
        "Custom",
        metric=endpoint.metric_invocation_5xx_errors("AllTraffic", statistic="Average"),
        threshold=0.02,
        severity=Severity.WARNING,
        treat_missing_data=MISSING,
    )
    assert alarms.alarms["Custom"] is alarm


def test_a_metric_in_the_wrong_unit_is_refused_at_the_source(stack):
    endpoint = realtime_endpoint(stack)
    expect_problems(
        lambda: endpoint.metric("ModelLatency", "AllTraffic", statistic="p99", unit=cloudwatch.Unit.SECONDS),
        "[MetricUnit] unit = 'SECONDS'",
    )


def test_an_unknown_severity_is_refused(stack):
    endpoint = realtime_endpoint(stack)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    expect_problems(
        lambda: alarms.add_alarm(
            "X",
            metric=endpoint.metric_invocations("AllTraffic"),
            threshold=1,
            severity="Loud",
            treat_missing_data=MISSING,
        ),
        "[AlarmCanFire] severity = 'Loud'",
    )


def test_the_dashboard_shows_each_variant_and_the_alarms(stack):
    endpoint = realtime_endpoint(stack)
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    EndpointDashboard(stack, "Dashboard", endpoint=endpoint, alarms=alarms)
    [dashboard] = template(stack).find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(stack.resolve(dashboard["Properties"]["DashboardBody"]))
    for title in (
        "Alarms",
        "AllTraffic: calls",
        "AllTraffic: errors",
        "model latency (microseconds)",
        "AllTraffic: instances",
    ):
        assert title in body
    assert "SampleCount" in body and "p99" in body


def test_one_dashboard_holds_a_section_per_endpoint_added(stack):
    first = realtime_endpoint(stack)
    dashboard = EndpointDashboard(stack, "Dashboard", endpoint=first)
    config = EndpointConfig(stack, "Other", production_variants=[variant(ecr_model(stack, "B"), variant_name="B")])
    second = Endpoint(stack, "Second", endpoint_config=config, endpoint_name="second-endpoint")
    dashboard.add_endpoint(second, alarms=EndpointAlarms(stack, "SecondAlarms", endpoint=second))
    [rendered] = template(stack).find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(stack.resolve(rendered["Properties"]["DashboardBody"]))
    assert body.index(f"## {first.endpoint_name}") < body.index("AllTraffic: calls") < body.index("## second-endpoint")
    assert body.index("## second-endpoint") < body.index("B: calls") and body.count('\\"title\\":\\"Alarms') == 1
    assert dashboard.endpoints == [first, second]


def test_an_async_dashboard_shows_processed_calls_and_the_backlog(stack):
    config = EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack))], async_inference=AsyncInference()
    )
    EndpointDashboard(stack, "Dashboard", endpoint=Endpoint(stack, "Endpoint", endpoint_config=config))
    [dashboard] = template(stack).find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(stack.resolve(dashboard["Properties"]["DashboardBody"]))
    assert "InvocationsProcesssed" in body and "ApproximateBacklogSize" in body and '\\"Invocations\\"' not in body


def test_alarms_and_dashboard_are_cfn_lint_clean(stack):
    endpoint = realtime_endpoint(stack, instance_type=InstanceType.of("ml.g5.xlarge"))
    EndpointDashboard(stack, "Dashboard", endpoint=endpoint, alarms=EndpointAlarms(stack, "Alarms", endpoint=endpoint))
    assert cfn_lint(template(stack).to_json(), regions=["us-east-1"]) == []


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"endpoint": "my-endpoint"}, "[WrongType] endpoint = 'my-endpoint': allowed: an EndpointBase, not a str"),
        ({"thresholds": {"error_rate_5xx": 0.05}}, "[WrongType] thresholds = "),
        ({"thresholds": AlarmThresholds(error_rate_5xx=0.05)}, "[WrongType] thresholds.error_rate_5xx = 0.05"),
        ({"thresholds": AlarmThresholds(latency_p99_ms={Severity.WARNING: float("nan")})}, "a finite number"),
        (
            {"thresholds": AlarmThresholds(latency_p99_ms={"Page": 500})},
            "[AlarmCanFire] thresholds.latency_p99_ms['Page']",
        ),
        ({"thresholds": AlarmThresholds(evaluation_periods=0)}, "evaluation_periods (EvaluationPeriods) = 0"),
        ({"topics": {Severity.CRITICAL: "arn:aws:sns:us-east-1:123456789012:pager"}}, "topics['Critical']"),
    ],
)
def test_alarm_options_of_the_wrong_kind_are_validation_errors(stack, options, fragment):
    endpoint = realtime_endpoint(stack)
    options = {"endpoint": endpoint, **options}
    expect_problems(lambda: EndpointAlarms(stack, "Alarms", **options), fragment)


def test_the_documented_defaults_are_what_the_alarms_get(stack):
    # AlarmThresholds' docstring: 5 one-minute periods; 5xx rate 0.05 critical and 0.01 warning, 4xx 0.05, p99
    # latency 1 s (CloudWatch holds microseconds), utilization 90 % warning.
    EndpointAlarms(stack, "Alarms", endpoint=realtime_endpoint(stack))
    rendered = {
        (alarm["MetricName"], alarm["Threshold"], alarm["EvaluationPeriods"], alarm["Period"])
        for alarm in alarms_of(stack).values()
    }
    assert {
        ("Invocation5XXErrors", 0.05, 5, 60),
        ("Invocation5XXErrors", 0.01, 5, 60),
        ("Invocation4XXErrors", 0.05, 5, 60),
        ("ModelLatency", 1_000_000, 5, 60),
        ("CPUUtilization", 90, 5, 60),
    } <= rendered


GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


@pytest.mark.parametrize(
    ("comparison", "statistic", "threshold", "refused"),
    [
        (GT, "Average", 1, True),
        (GT, "Average", 0.99, False),
        (GTE, "Average", 1, False),  # all calls failing gives 1: it can fire
        (GTE, "Average", 1.5, True),
        (GTE, "Average", 0.5, False),
        (GT, "Maximum", 1, False),  # only the Average is bounded this way
    ],
)
def test_an_average_of_a_zero_or_one_metric_must_stay_below_1(stack, comparison, statistic, threshold, refused):
    alarms = EndpointAlarms(stack, "Alarms", endpoint=realtime_endpoint(stack))
    errors = alarms.endpoint.metric_invocation_5xx_errors("AllTraffic", statistic=statistic)

    def add():
        return alarms.add_alarm(
            "Custom",
            metric=errors,
            threshold=threshold,
            severity=Severity.WARNING,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            comparison_operator=comparison,
        )

    if refused:
        expect_problems(add, f"[AlarmCanFire] threshold = {threshold}")
    else:
        assert add().node.id == "Custom"


@pytest.mark.parametrize(("instance_type", "threshold"), [("ml.g5.12xlarge", 360), ("ml.g6.xlarge", 90)])
def test_gpu_alarms_scale_the_per_gpu_threshold_by_the_gpus_the_sdk_lists(stack, instance_type, threshold):
    """ml.g5.12xlarge has 4 GPUs (the SDK's instance_gpu_info); ml.g6.xlarge is not listed, so 90 stays."""
    endpoint = realtime_endpoint(stack, instance_type=InstanceType.of(instance_type))
    EndpointAlarms(stack, "Alarms", endpoint=endpoint)
    rendered = alarms_of(stack).values()
    gpu = {a["MetricName"]: a["Threshold"] for a in rendered if a["MetricName"].startswith("GPU")}
    assert gpu == {"GPUUtilization": threshold, "GPUMemoryUtilization": threshold}
    cpu = next(a for a in rendered if a["MetricName"] == "CPUUtilization")
    assert cpu["Threshold"] == 90  # no cited vCPU counts: the CPU threshold stays as given
