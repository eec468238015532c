"""CloudWatch alarms for an endpoint: the recommended set for its kind, and any other alarm, checked that it can fire.

`EndpointAlarms` makes, per variant (production and shadow), error-rate alarms (the Average of a 0/1 metric
is the share of failed calls), a latency-percentile alarm in the metric's own unit (microseconds; thresholds are
given in milliseconds), and instance utilization for instance variants (GPU ones on GPU types); per endpoint,
backlog size and age for asynchronous endpoints, and per inference component, calls without capacity. Each
threshold is keyed by `Severity`; a severity without a threshold makes no alarm. Every alarm states how it
treats missing data, and each severity may notify an SNS topic. `check_alarm` refuses alarms that cannot fire.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from . import api_model, rules, validation
from .endpoint_core import (
    INSTANCE_NAMESPACE,
    EndpointCore,
    check_endpoint,
    check_unit,
    published_metrics,
    published_unit,
)
from .errors import Problems
from .variants import InstanceVariant, ServerlessProductionVariant, Variant

if TYPE_CHECKING:
    from aws_cdk import aws_sns as sns

MICROSECONDS_PER_MS = 1000
# Metrics whose every data point is 0 or 1: their Average is a rate in [0, 1].
ZERO_ONE_METRICS = frozenset({"Invocation4XXErrors", "Invocation5XXErrors", "HasBacklogWithoutCapacity"})


class Severity:
    """How urgent an alarm is; thresholds and notification topics are keyed by it."""

    CRITICAL = "Critical"
    WARNING = "Warning"


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """The recommended alarms' thresholds by `Severity`; leave a severity out (or pass ``{}``) for no alarm.

    :param error_rate_5xx: share of calls answered 5xx, in [0, 1). Default: critical 0.05, warning 0.01.
    :param error_rate_4xx: share of calls answered 4xx, in [0, 1). Default: warning 0.05.
    :param latency_p99_ms: the model's p99 latency in milliseconds. Default: warning 1000 ms.
    :param utilization_percent: instance memory and disk use (shares of the instance), CPU, and GPU and GPU
        memory on GPU types. SageMaker sums CPU over the vCPUs (0 to 100 x their count: 90 is 90 % of one vCPU's
        worth, so raise it for types with several) and the GPU metrics over the GPUs, where the alarm multiplies
        this per-GPU value by the type's GPU count (from the SageMaker Python SDK's instance_gpu_info; a type it
        does not list keeps the value as given). Default: warning 90 %.
    :param backlog_size: queued requests of an asynchronous endpoint. Default: warning 100.
    :param backlog_age_seconds: age of its oldest queued request. Default: warning 900 seconds.
    :param no_capacity_failures: calls an inference component failed for want of a copy, per minute.
        Default: critical 1.
    :param evaluation_periods: 1-minute periods of each alarm, all of which must breach. Default: 5.
    """

    error_rate_5xx: Mapping[str, float] = field(
        default_factory=lambda: {Severity.CRITICAL: 0.05, Severity.WARNING: 0.01}
    )
    error_rate_4xx: Mapping[str, float] = field(default_factory=lambda: {Severity.WARNING: 0.05})
    latency_p99_ms: Mapping[str, float] = field(default_factory=lambda: {Severity.WARNING: 1000})
    utilization_percent: Mapping[str, float] = field(default_factory=lambda: {Severity.WARNING: 90})
    backlog_size: Mapping[str, float] = field(default_factory=lambda: {Severity.WARNING: 100})
    backlog_age_seconds: Mapping[str, float] = field(default_factory=lambda: {Severity.WARNING: 900})
    no_capacity_failures: Mapping[str, float] = field(default_factory=lambda: {Severity.CRITICAL: 1})
    evaluation_periods: int = 5


class EndpointAlarms(Construct):
    """The recommended alarms of ``endpoint`` (defined with this library) for its kind, and `add_alarm` for more.

    :param endpoint: the endpoint; an imported one gets no recommended set (its kind is unknown), only
        `add_alarm`.
    :param thresholds: Default: - `AlarmThresholds` defaults.
    :param topics: an SNS topic to notify per `Severity` (alarm and OK). Default: - no notification.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointCore,
        thresholds: AlarmThresholds | None = None,
        topics: Mapping[str, sns.ITopic] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        _check_inputs(self, endpoint, thresholds, topics)
        self.endpoint = endpoint
        self.thresholds = thresholds or AlarmThresholds()
        self.topics = dict(topics or {})
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        """Every alarm made here, by construct ID."""
        self._severities: dict[str, str] = {}
        config = endpoint.endpoint_config
        if config is None:
            return
        for variant in config.all_variants:
            self._variant_alarms(variant)
        if config.async_inference is not None:
            self._async_alarms()
        for component in getattr(endpoint, "inference_components", []):
            name = component.node.id
            self._recommended(
                f"{name}NoCapacity",
                component.metric_no_capacity_invocation_failures(),
                self.thresholds.no_capacity_failures,
                "calls failed: the inference component had no copy",
                missing=cloudwatch.TreatMissingData.NOT_BREACHING,
                periods=1,
            )

    def of_severity(self, severity: str) -> list[cloudwatch.Alarm]:
        """The alarms of one `Severity`. They watch every fleet of a variant: as rollback alarms, an old fleet
        that already fails aborts the deployment meant to fix it; prefer `add_rollback_alarms`."""
        problems = Problems()
        _check_severity(problems, "severity", severity)
        problems.raise_if_any(self)
        return [alarm for construct_id, alarm in self.alarms.items() if self._severities[construct_id] == severity]

    def add_rollback_alarms(self, severity: str = Severity.CRITICAL) -> list[cloudwatch.Alarm]:
        """Alarms on the new fleet only, added to the endpoint's rollback alarms, and returned.

        For each production variant, the error-rate and p99-latency thresholds of ``severity`` (those SageMaker
        publishes for its kind) on the metrics of the config being deployed (dimension EndpointConfigName, as in
        the guide's guardrail examples): a failing old fleet does not abort the deployment that replaces it,
        nor CloudFormation's rollback to it. Each evaluates ``thresholds.evaluation_periods`` 1-minute periods,
        fewer where needed to reach ALARM within the deployment's bake. Default ``severity``: critical.
        """
        from .deployment import PUBLISHING_DELAY_SECONDS, bake_of

        endpoint = self.endpoint
        problems = Problems()
        _check_severity(problems, "severity", severity)
        deployment = endpoint.deployment
        bake = validation.rendered_seconds(bake_of(deployment)) if deployment is not None else None
        periods = self.thresholds.evaluation_periods
        if deployment is None:
            problems.add(
                rules.ROLLBACK_ALARMS,
                "endpoint",
                endpoint.node.path,
                "an Endpoint of this library with a deployment (the config it deploys names the new fleet)",
                "give the endpoint deployment=BlueGreenDeployment(...) or RollingDeployment(...)",
            )
        elif bake is not None and not validation.is_unresolved(bake):
            periods = min(periods, int((bake - PUBLISHING_DELAY_SECONDS) // 60))
            if periods < 1:
                problems.add(
                    rules.ROLLBACK_ALARMS,
                    "deployment wait_interval",
                    f"{bake:g} s",
                    f"a bake of at least {PUBLISHING_DELAY_SECONDS + 60} s: one 1-minute period plus the minute "
                    "SageMaker's data points take",
                    "bake longer (wait_interval=Duration.minutes(5) is common)",
                )
        problems.raise_if_any(self)
        config = endpoint.endpoint_config
        assert config is not None  # an endpoint with a deployment is defined by this library
        fleet = config.endpoint_config_name
        thresholds = {
            "ErrorRate5xx": ("Invocation5XXErrors", "Average", self.thresholds.error_rate_5xx, 1),
            "ErrorRate4xx": ("Invocation4XXErrors", "Average", self.thresholds.error_rate_4xx, 1),
            "LatencyP99": ("ModelLatency", "p99", self.thresholds.latency_p99_ms, MICROSECONDS_PER_MS),
        }
        made = []
        for variant in config.production_variants:
            published = published_metrics(config, variant)
            for what, (metric_name, statistic, by_severity, scale) in thresholds.items():
                threshold = by_severity.get(severity)
                if threshold is None or metric_name not in published:
                    continue
                metric = endpoint.metric(
                    metric_name,
                    variant.variant_name,
                    statistic=statistic,
                    unit=published_unit(metric_name),
                    endpoint_config_name=fleet,
                )
                made.append(
                    self.add_alarm(
                        f"{variant.variant_name}{what}{severity}NewFleet",
                        metric=metric,
                        threshold=threshold * scale,
                        severity=severity,
                        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                        evaluation_periods=periods,
                        description=f"{endpoint.endpoint_name}: {what} of the fleet being deployed above {threshold:g}",
                    )
                )
        endpoint.add_rollback_alarms(*made)
        return made

    def add_alarm(
        self,
        construct_id: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        severity: str,
        treat_missing_data: cloudwatch.TreatMissingData,
        comparison_operator: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods: int | None = None,
        datapoints_to_alarm: int | None = None,
        description: str | None = None,
    ) -> cloudwatch.Alarm:
        """An alarm on ``metric`` that can fire (see `check_alarm`), notifying the severity's topic.

        :param treat_missing_data: required: a quiet endpoint publishes no data points.
        :param evaluation_periods: Default: ``thresholds.evaluation_periods``.
        :param datapoints_to_alarm: Default: - all evaluated periods.
        :param description: Default: - none.
        """
        problems = Problems()
        write = "a number, e.g. 0.05"
        if validation.is_unresolved(threshold) or validation.check_type(
            problems, "threshold", threshold, (int, float), write
        ):
            validation.check_value(problems, "threshold", threshold, _threshold(), "give a number")
        validation.check_metric_type(problems, metric)
        for prop, value, kind in (
            ("treat_missing_data", treat_missing_data, cloudwatch.TreatMissingData),
            ("comparison_operator", comparison_operator, cloudwatch.ComparisonOperator),
        ):
            validation.check_type(problems, prop, value, kind, f"a member of cloudwatch.{kind.__name__}")
        _check_severity(problems, "severity", severity)
        validation.check_alarm_periods(
            problems, evaluation_periods, datapoints_to_alarm, default_periods=self.thresholds.evaluation_periods
        )
        problems.raise_if_any(self)
        check_alarm(problems, self.endpoint, metric, threshold, comparison_operator)
        problems.raise_if_any(self)
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison_operator,
            evaluation_periods=evaluation_periods or self.thresholds.evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            treat_missing_data=treat_missing_data,
            alarm_description=f"[{severity}] {description}" if description else f"[{severity}]",
        )
        topic = self.topics.get(severity)
        if topic is not None:
            from aws_cdk.aws_cloudwatch_actions import SnsAction

            alarm.add_alarm_action(SnsAction(topic))
            alarm.add_ok_action(SnsAction(topic))
        self.alarms[construct_id] = alarm
        self._severities[construct_id] = severity
        return alarm

    def _variant_alarms(self, variant: Variant) -> None:
        name, endpoint = variant.variant_name, self.endpoint
        missing = cloudwatch.TreatMissingData.NOT_BREACHING  # no calls, no errors
        for code, thresholds in (("5xx", self.thresholds.error_rate_5xx), ("4xx", self.thresholds.error_rate_4xx)):
            metric = endpoint.metric(f"Invocation{code.upper()}Errors", name, statistic="Average")
            self._recommended(f"{name}ErrorRate{code}", metric, thresholds, f"share of calls answered {code}", missing)
        latency = {severity: ms * MICROSECONDS_PER_MS for severity, ms in self.thresholds.latency_p99_ms.items()}
        metric = endpoint.metric_model_latency(name, statistic="p99")
        self._recommended(f"{name}LatencyP99", metric, latency, "p99 model latency (microseconds)", missing)
        if isinstance(variant, ServerlessProductionVariant) or not isinstance(variant, InstanceVariant):
            return
        utilization = ["CPUUtilization", "MemoryUtilization", "DiskUtilization"]
        if variant.instance_type.is_gpu:
            utilization += ["GPUUtilization", "GPUMemoryUtilization"]
        gpus = variant.instance_type.gpu_count
        for metric_name in utilization:
            metric = endpoint.metric(
                metric_name, name, statistic="Average", namespace=INSTANCE_NAMESPACE, unit=cloudwatch.Unit.PERCENT
            )
            # SageMaker sums the GPU metrics over the instance's GPUs: a per-GPU threshold times their count.
            per_gpu = metric_name.startswith("GPU") and gpus is not None
            thresholds = self.thresholds.utilization_percent
            self._recommended(
                f"{name}{metric_name}",
                metric,
                {severity: value * gpus for severity, value in thresholds.items()} if per_gpu and gpus else thresholds,
                f"{metric_name} of the variant's instances (percent"
                + (f", summed over {gpus} GPUs)" if per_gpu else ")"),
                cloudwatch.TreatMissingData.MISSING,  # no instances (scaled to zero): no verdict
            )

    def _async_alarms(self) -> None:
        missing = cloudwatch.TreatMissingData.NOT_BREACHING
        self._recommended(
            "BacklogSize",
            self.endpoint.metric_approximate_backlog_size(),
            self.thresholds.backlog_size,
            "queued asynchronous requests",
            missing,
        )
        self._recommended(
            "BacklogAge",
            self.endpoint.metric_approximate_age_of_oldest_request(),
            self.thresholds.backlog_age_seconds,
            "age of the oldest queued request (seconds)",
            missing,
        )

    def _recommended(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        thresholds: Mapping[str, float],
        description: str,
        missing: cloudwatch.TreatMissingData,
        periods: int | None = None,
    ) -> None:
        for severity, threshold in thresholds.items():
            self.add_alarm(
                f"{construct_id}{severity}",
                metric=metric,
                threshold=threshold,
                severity=severity,
                treat_missing_data=missing,
                evaluation_periods=periods,
                description=f"{self.endpoint.endpoint_name}: {description} above {threshold:g}",
            )


def _check_inputs(scope: Construct, endpoint: object, thresholds: object, topics: object) -> None:
    """The endpoint is one (not its name), the thresholds an `AlarmThresholds` of numbers keyed by `Severity`,
    the topics SNS topics keyed by `Severity`."""
    problems = Problems()
    check_endpoint(problems, "endpoint", endpoint)
    if thresholds is not None and validation.check_type(
        problems, "thresholds", thresholds, AlarmThresholds, "AlarmThresholds(error_rate_5xx={Severity.CRITICAL: 0.05})"
    ):
        for name, value in vars(thresholds).items():
            if name == "evaluation_periods":
                if value is None:
                    validation.check_type(problems, "thresholds.evaluation_periods", value, int, "evaluation_periods=5")
                validation.check_alarm_periods(problems, value, None)
                continue
            prop = f"thresholds.{name}"
            if validation.check_type(problems, prop, value, Mapping, f"{name}={{Severity.WARNING: ...}}"):
                for severity, threshold in value.items():
                    _check_severity(problems, f"{prop}[{severity!r}]", severity)
                    validation.check_value(problems, f"{prop}[{severity!r}]", threshold, _threshold(), "give a number")
    if topics is not None and validation.check_type(problems, "topics", topics, Mapping, "{Severity.CRITICAL: topic}"):
        for severity, topic in cast(Mapping[object, object], topics).items():
            _check_severity(problems, f"topics[{severity!r}]", severity)
            validation.check_interface(
                problems, f"topics[{severity!r}]", topic, "sns.ITopic", "topic_arn", "sns.Topic(scope, 'Topic')"
            )
    problems.raise_if_any(scope)


def _check_severity(problems: Problems, prop: str, severity: object) -> None:
    if severity not in (Severity.CRITICAL, Severity.WARNING):
        allowed = "Severity.CRITICAL or Severity.WARNING"
        problems.add(rules.ALARM_CAN_FIRE, prop, severity, allowed, "use a Severity")


def _threshold() -> api_model.Constraint:
    return api_model.member("PutMetricAlarmInput", "Threshold", "cloudwatch")


def check_alarm(
    problems: Problems,
    endpoint: EndpointCore,
    metric: cloudwatch.IMetric,
    threshold: float,
    comparison: cloudwatch.ComparisonOperator,
) -> None:
    """Add a problem when the alarm could never fire: the Average of a 0/1 metric compared above 1, a unit
    other than the metric's; raise for a variant, metric or dimensions the endpoint does not publish."""
    if not isinstance(metric, cloudwatch.Metric):
        return  # a math expression: its parts were built through the endpoint's checked metrics
    name = metric.metric_name
    if name in ZERO_ONE_METRICS and metric.statistic == "Average":
        never = (comparison == cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD and threshold >= 1) or (
            comparison == cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD and threshold > 1
        )
        if never:
            problems.add(
                rules.ALARM_CAN_FIRE,
                "threshold",
                threshold,
                f"below 1: every {name} data point is 0 or 1, so its Average never exceeds 1",
                "alarm on a rate such as 0.01 to 0.05, or on the Sum with a count",
            )
    check_unit(problems, name, metric.unit)
    endpoint.check_metric(metric)  # raises naming the variants or what SageMaker publishes


def check_rollback_alarm(problems: Problems, endpoint: EndpointCore, alarm: cloudwatch.IAlarm) -> None:
    """`check_alarm` for an alarm made in this app (an imported one is not known, so not checked)."""
    resource = alarm.node.default_child if isinstance(alarm, cloudwatch.Alarm) else None
    if isinstance(alarm, cloudwatch.Alarm) and isinstance(resource, cloudwatch.CfnAlarm):
        # The template holds CloudFormation's name (GreaterThanThreshold); the enum's value is its member name.
        operator = re.sub(r"(?<!^)(?=[A-Z])", "_", resource.comparison_operator or "").upper()
        comparison = cloudwatch.ComparisonOperator(operator)
        threshold = resource.threshold
        if isinstance(threshold, int | float):
            check_alarm(problems, endpoint, alarm.metric, threshold, comparison)
