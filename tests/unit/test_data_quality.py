"""DataQualityMonitor: Model Monitor's job definition and schedule, the job role's grants, and its rules."""

import json

import pytest
from aws_cdk import Duration, Environment, Stack
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    EndpointConfig,
    InstanceType,
    MonitorSchedule,
    S3Location,
    ValidationError,
)
from tests.support import cfn_lint, ecr_model, expect_problems, nag_findings, new_app, only_resource, template, variant

ANALYZER_US_EAST_1 = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


def pinned(region="us-east-1"):
    return Stack(new_app(), "Monitored", env=Environment(account="111111111111", region=region))


def captured_endpoint(stack, **capture_kwargs):
    capture = DataCapture(destination=S3Location(s3.Bucket(stack, "Captures"), "capture/"), **capture_kwargs)
    config = EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack), initial_instance_count=2)], data_capture=capture
    )
    return Endpoint(stack, "Endpoint", endpoint_config=config)


def baselines(stack):
    bucket = s3.Bucket(stack, "Baselines")
    return {
        "baseline_statistics": S3Location(bucket, "v1/statistics.json"),
        "baseline_constraints": S3Location(bucket, "v1/constraints.json"),
    }


def test_a_monitor_renders_its_job_and_hourly_schedule_and_lints_clean():
    stack = pinned()
    DataQualityMonitor(stack, "Drift", endpoint=captured_endpoint(stack), **baselines(stack))
    definition = only_resource(stack, "AWS::SageMaker::DataQualityJobDefinition")["Properties"]
    assert definition["DataQualityAppSpecification"] == {
        "ImageUri": ANALYZER_US_EAST_1,
        "Environment": {"publish_cloudwatch_metrics": "Enabled"},
    }
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert definition["JobResources"]["ClusterConfig"] == {
        "InstanceCount": 1,
        "InstanceType": "ml.m5.xlarge",
        "VolumeSizeInGB": 30,
    }
    assert "v1/constraints.json" in json.dumps(definition["DataQualityBaselineConfig"])
    schedule = only_resource(stack, "AWS::SageMaker::MonitoringSchedule")["Properties"]
    config = schedule["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"] == {"ScheduleExpression": "cron(0 * ? * * *)"}
    assert config["MonitoringType"] == "DataQuality"
    assert config["MonitoringJobDefinitionName"] == definition["JobDefinitionName"]
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []
    assert [finding for finding in nag_findings(stack) if "/Drift/" in finding[1]] == []


def test_the_job_role_reads_captures_and_baselines_writes_reports_and_pulls_the_analyzer():
    stack = pinned()
    monitor = DataQualityMonitor(stack, "Drift", endpoint=captured_endpoint(stack), **baselines(stack))
    statements = stack.resolve(monitor.role.statements)
    text = json.dumps(statements)
    assert ":ecr:us-east-1:156813124566:repository/sagemaker-model-monitor-analyzer" in text
    assert "/capture/*" in text and "/v1/statistics.json" in text and "/data-quality/*" in text
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["capture/*"]}}
    assert "log-group:/aws/sagemaker/ProcessingJobs" in text and "log-group:/aws/sagemaker/Endpoints" not in text


def test_an_environment_agnostic_stack_maps_the_analyzer_per_region():
    stack = Stack(new_app(), "Anywhere")
    DataQualityMonitor(stack, "Drift", endpoint=captured_endpoint(stack), schedule=MonitorSchedule.daily(hour=3))
    image = only_resource(stack, "AWS::SageMaker::DataQualityJobDefinition")["Properties"]
    assert "Fn::FindInMap" in json.dumps(image["DataQualityAppSpecification"]["ImageUri"])
    schedule = only_resource(stack, "AWS::SageMaker::MonitoringSchedule")["Properties"]
    assert schedule["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 3 ? * * *)"
    assert cfn_lint(template(stack).to_json(), ["us-east-1", "eu-west-1"]) == []


def test_a_changed_job_gets_a_new_definition_name():
    names = []
    for count in (1, 2):
        stack = pinned()
        DataQualityMonitor(stack, "Drift", endpoint=captured_endpoint(stack), instance_count=count)
        names.append(
            only_resource(stack, "AWS::SageMaker::DataQualityJobDefinition")["Properties"]["JobDefinitionName"]
        )
    assert names[0] != names[1] and names[0].rsplit("-", 1)[0] == names[1].rsplit("-", 1)[0]


def test_schedules_render_the_cron_forms_model_monitor_accepts_and_refuse_other_hours():
    assert MonitorSchedule.every(12, start_hour=17).expression == "cron(0 17/12 ? * * *)"
    assert MonitorSchedule.every(6).interval_seconds == 6 * 3600
    for call, fragment in (
        (lambda: MonitorSchedule.daily(24), "[MonitorSchedule] hour = 24: allowed: 0 to 23"),
        (lambda: MonitorSchedule.every(0), "[MonitorSchedule] hours = 0: allowed: 1 to 24"),
        (lambda: MonitorSchedule.every(2, start_hour="1"), "[WrongType] start_hour"),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("capture_kwargs", "kwargs", "fragments"),
    [
        ({"capture_input": False}, {}, ["[DataQuality] endpoint = 'Monitored/Endpoint'", "capture_input"]),
        ({}, {"baseline_statistics": None, "baseline_constraints": "b"}, ["[DataQuality] baseline_statistics"]),
        ({}, {"max_runtime": Duration.hours(2)}, ["[MonitorSchedule] max_runtime = '7200 s'"]),
        ({}, {"instance_type": InstanceType.of("ml.inf2.xlarge")}, ["[Api.ProcessingInstanceType] instance_type"]),
        ({}, {"instance_count": 0}, ["[Api.ProcessingInstanceCount] instance_count"]),
    ],
)
def test_data_quality_rules(capture_kwargs, kwargs, fragments):
    stack = pinned()
    endpoint = captured_endpoint(stack, **capture_kwargs)
    if "baseline_constraints" in kwargs:
        kwargs["baseline_constraints"] = baselines(stack)["baseline_constraints"]
    expect_problems(
        lambda: DataQualityMonitor(stack, "Drift", endpoint=endpoint, **kwargs), "Monitored/Drift", *fragments
    )


def test_a_longer_interval_allows_a_longer_job():
    stack = pinned()
    schedule = MonitorSchedule.every(3)
    DataQualityMonitor(
        stack, "Drift", endpoint=captured_endpoint(stack), max_runtime=Duration.hours(2), schedule=schedule
    )
    definition = only_resource(stack, "AWS::SageMaker::DataQualityJobDefinition")["Properties"]
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200}


def test_an_endpoint_without_capture_and_a_region_without_the_analyzer_are_refused():
    stack = pinned(region="ap-southeast-7")
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    expect_problems(
        lambda: DataQualityMonitor(stack, "Drift", endpoint=endpoint),
        "[DataQuality] endpoint",
        '[OwnedImageRegion] endpoint = "Model Monitor\'s analyzer image"',
    )
