"""Data-quality monitoring: Model Monitor's analyzer compares an endpoint's captured requests with a baseline on a
schedule (``AWS::SageMaker::DataQualityJobDefinition`` and ``AWS::SageMaker::MonitoringSchedule``).

The analyzer image is SageMaker's own, per Region, from the table `owned_images` generates from the SageMaker
Python SDK. Limits come from botocore's API model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration, Resource, Stack
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, owned_images, per_stack, rules, validation
from .endpoint import Endpoint
from .errors import Problems, ValidationError
from .execution_role import ExecutionRole
from .instance_type import InstanceType
from .names import physical_name
from .s3_location import S3Location, bucket_acknowledgments, check_location, private_bucket

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

CFN = sagemaker.CfnDataQualityJobDefinition
ANALYZER = "model-monitor"
ANALYZER_SHOWN = "Model Monitor's analyzer image"
INPUT_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/output"
CLUSTER = "MonitoringClusterConfig"
HOUR = 3600


@dataclass(frozen=True)
class MonitorSchedule:
    """When monitoring jobs run, among the cron forms Model Monitor accepts (botocore's ScheduleConfig), in UTC.
    Make one with `hourly`, `daily` or `every`, which check their hours."""

    expression: str
    interval_seconds: int

    @staticmethod
    def hourly() -> MonitorSchedule:
        """At the start of every hour: ``cron(0 * ? * * *)``."""
        return MonitorSchedule("cron(0 * ? * * *)", HOUR)

    @staticmethod
    def daily(hour: int = 0) -> MonitorSchedule:
        """Once a day at ``hour`` (0-23) UTC."""
        _check_hour("MonitorSchedule.daily", "hour", hour, range(24))
        return MonitorSchedule(f"cron(0 {hour} ? * * *)", 24 * HOUR)

    @staticmethod
    def every(hours: int, start_hour: int = 0) -> MonitorSchedule:
        """Every ``hours`` hours (1-24) from ``start_hour`` (0-23) UTC, e.g. ``every(12, start_hour=17)``."""
        _check_hour("MonitorSchedule.every", "hours", hours, range(1, 25))
        _check_hour("MonitorSchedule.every", "start_hour", start_hour, range(24))
        return MonitorSchedule(f"cron(0 {start_hour}/{hours} ? * * *)", hours * HOUR)


def _check_hour(call: str, name: str, value: object, allowed: range) -> None:
    validation.check_arguments(call, [(name, value, int, f"{name}={allowed.start}")])
    if value not in allowed:
        problems = Problems()
        problems.add(
            rules.MONITOR_SCHEDULE,
            name,
            value,
            f"{allowed.start} to {allowed.stop - 1}",
            "choose an hour of the day in UTC",
        )
        raise ValidationError(call, problems.items)


class DataQualityMonitor(Resource):
    """Model Monitor's data-quality check of ``endpoint``'s captured requests, on ``schedule``: each run writes
    statistics and, against a baseline, constraint violations under ``output``, and publishes per-feature metrics
    to CloudWatch. Model Monitor is closed to new AWS customers (existing ones keep it).

    The endpoint must be one this library defines whose config captures requests (``DataCapture`` with
    ``capture_input``), which also rules out serverless, multi-model and multi-container endpoints. The job's role
    may read the captures and the baseline, write ``output``, pull the analyzer image and write the processing
    jobs' logs.

    :param endpoint: the endpoint whose captures are checked.
    :param baseline_statistics: ``statistics.json`` of a baselining job (an `S3Location` of the object).
        Default: - none: the job reports statistics without a comparison.
    :param baseline_constraints: ``constraints.json`` of that job; violations are reported against it.
        Default: - none.
    :param output: where reports land. Default: - a retained, encrypted, TLS-only bucket, prefix ``data-quality/``.
    :param kms_key: encrypts the reports (and the bucket defined for them). Default: - S3's key.
    :param schedule: when jobs run (`MonitorSchedule`). Default: hourly.
    :param max_runtime: each job's limit, at most the schedule's interval. Default: 1 hour.
    :param instance_type: the processing instance type. Default: ``ml.m5.xlarge``.
    :param instance_count: processing instances, 1 to 100. Default: 1.
    :param volume_size_in_gb: processing volume per instance, in GB. Default: 30.
    :param publish_metrics: publish per-feature CloudWatch metrics. Default: True.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Endpoint,
        baseline_statistics: S3Location | None = None,
        baseline_constraints: S3Location | None = None,
        output: S3Location | None = None,
        kms_key: kms.IKey | None = None,
        schedule: MonitorSchedule | None = None,
        max_runtime: Duration | None = None,
        instance_type: InstanceType | None = None,
        instance_count: int = 1,
        volume_size_in_gb: int = 30,
        publish_metrics: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        facts = per_stack.facts(self)
        problems = Problems()
        validation.check_type(problems, "endpoint", endpoint, Endpoint, "Endpoint(scope, 'Endpoint', ...)")
        problems.raise_if_any(self)
        capture = endpoint.endpoint_config.data_capture if endpoint.endpoint_config else None
        if capture is None or not capture.capture_input:
            problems.add(
                rules.DATA_QUALITY,
                "endpoint",
                endpoint.node.path,
                "an endpoint whose config this library defines and captures requests (DataCapture with "
                "capture_input): the monitor reads the captures",
                "give the endpoint config data_capture=DataCapture(destination=S3Location(bucket, 'capture/'))",
            )
        schedule = schedule or MonitorSchedule.hourly()
        validation.check_type(problems, "schedule", schedule, MonitorSchedule, "MonitorSchedule.hourly()")
        instance_type = instance_type or InstanceType.of("ml.m5.xlarge")
        if validation.check_type(problems, "instance_type", instance_type, InstanceType, "InstanceType.ML_M5_XLARGE"):
            validation.check_value(
                problems,
                "instance_type",
                instance_type.name,
                api_model.member(CLUSTER, "InstanceType"),
                "choose a processing instance type",
            )
        for name, value, member in (
            ("instance_count", instance_count, "InstanceCount"),
            ("volume_size_in_gb", volume_size_in_gb, "VolumeSizeInGB"),
        ):
            validation.check_value(problems, name, value, api_model.member(CLUSTER, member), "choose a value in range")
        runtime = validation.seconds_of(problems, "max_runtime", max_runtime or Duration.hours(1))
        validation.check_value(
            problems,
            "max_runtime",
            runtime,
            api_model.member("MonitoringStoppingCondition", "MaxRuntimeInSeconds"),
            "choose a shorter limit",
        )
        interval = schedule.interval_seconds if isinstance(schedule, MonitorSchedule) else None
        known = isinstance(runtime, int | float) and not validation.is_unresolved(runtime)
        if interval and known and runtime > interval:  # type: ignore[operator]
            problems.add(
                rules.MONITOR_SCHEDULE,
                "max_runtime",
                f"{runtime:g} s",
                f"at most the schedule's interval ({interval} s): a job may not outlast the next one's start",
                "shorten max_runtime or run less often",
            )
        if (baseline_statistics is None) != (baseline_constraints is None):
            problems.add(
                rules.DATA_QUALITY,
                "baseline_constraints" if baseline_constraints is None else "baseline_statistics",
                None,
                "both baseline files of one baselining job, or neither",
                "give statistics.json and constraints.json together",
            )
        for name, location in (
            ("baseline_statistics", baseline_statistics),
            ("baseline_constraints", baseline_constraints),
            ("output", output),
        ):
            if location is not None:
                check_location(problems, name, location)
        validation.check_type(problems, "publish_metrics", publish_metrics, bool, "True or False")
        analyzer = owned_images.monitoring(ANALYZER)
        region = facts.literal("region")
        owned_images.check_published(problems, "endpoint", ANALYZER_SHOWN, frozenset(analyzer.registries), region)
        problems.raise_if_any(self)
        assert capture is not None and isinstance(schedule, MonitorSchedule) and runtime is not None
        self.output = output or S3Location(
            private_bucket(
                self,
                "Reports",
                kms_key,
                bucket_acknowledgments(
                    access_logs="holds only the monitoring jobs' reports, written by the job role",
                    replication="reports are recomputed by the next scheduled run; no replica is needed",
                ),
            ),
            "data-quality/",
        )
        self.role = ExecutionRole(self, "Role")
        self.role.serve_processing_jobs()
        self.role.grant_s3_prefix_read(capture.destination, list_objects=True, kms_key=capture.kms_key)
        self.role.grant_s3_prefix_write(self.output, kms_key)
        for baseline in (baseline_statistics, baseline_constraints):
            if baseline is not None:
                self.role.grant_s3_object_read(baseline.bucket.arn_for_objects(baseline.prefix))
        self.definition = CFN(
            self,
            "Definition",
            endpoint_name=endpoint.endpoint_name,
            role_arn=self.role.role_arn,
            data_quality_app_specification=CFN.DataQualityAppSpecificationProperty(
                image_uri=owned_images.pull(analyzer, self, self.role),
                environment={"publish_cloudwatch_metrics": "Enabled" if publish_metrics else "Disabled"},
            ),
            data_quality_job_input=CFN.DataQualityJobInputProperty(
                endpoint_input=CFN.EndpointInputProperty(endpoint_name=endpoint.endpoint_name, local_path=INPUT_PATH)
            ),
            data_quality_job_output_config=CFN.MonitoringOutputConfigProperty(
                monitoring_outputs=[
                    CFN.MonitoringOutputProperty(
                        s3_output=CFN.S3OutputProperty(
                            s3_uri=self.output.url, local_path=OUTPUT_PATH, s3_upload_mode="EndOfJob"
                        )
                    )
                ],
                kms_key_id=kms_key.key_arn if kms_key else None,
            ),
            job_resources=CFN.MonitoringResourcesProperty(
                cluster_config=CFN.ClusterConfigProperty(
                    instance_count=instance_count,
                    instance_type=instance_type.name,
                    volume_size_in_gb=volume_size_in_gb,
                )
            ),
            data_quality_baseline_config=CFN.DataQualityBaselineConfigProperty(
                statistics_resource=CFN.StatisticsResourceProperty(s3_uri=baseline_statistics.url),
                constraints_resource=CFN.ConstraintsResourceProperty(s3_uri=baseline_constraints.url),
            )
            if baseline_statistics and baseline_constraints
            else None,
            stopping_condition=CFN.StoppingConditionProperty(max_runtime_in_seconds=runtime),
        )
        self.definition.job_definition_name = _name(self, "Definition", self.definition)
        self.definition.node.add_dependency(endpoint.resource, self.role.policy)
        self.schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Resource",
            monitoring_schedule_name=_name(self, "Schedule", None),
            endpoint_name=endpoint.endpoint_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=self.definition.job_definition_name,
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                    schedule_expression=schedule.expression
                ),
            ),
        )
        self.schedule.node.add_dependency(self.definition)
        self.monitoring_schedule_name: str = self.schedule.monitoring_schedule_name
        self.monitoring_schedule_arn: str = self.schedule.attr_monitoring_schedule_arn


def _name(monitor: DataQualityMonitor, suffix: str, definition: CFN | None) -> str:
    """``<stack>-<path>-<hash>-<suffix>[-<digest>]``. A definition's name carries a digest of its properties:
    CloudFormation replaces a changed one, and the new one cannot take the old one's name. (Schedule and job
    definition names share one pattern.)"""
    digest = ""
    if definition is not None:
        properties = Stack.of(monitor).resolve(definition._cfn_properties)
        digest = "-" + hashlib.sha256(json.dumps(properties, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return physical_name(monitor, "MonitoringJobDefinitionName", f"-{suffix}{digest}")
