"""What an endpoint publishes to CloudWatch beyond SageMaker's standard metrics (``EndpointConfig.MetricsConfig``)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_sagemaker as sagemaker

from . import rules, validation
from .errors import Problems

PUBLISH_FREQUENCIES = (10, 30, 60, 120, 180, 240, 300)
"""Seconds CloudFormation's schema allows for MetricPublishFrequencyInSeconds (botocore states them only in prose);
a test keeps this equal to the schema cfn-lint ships."""


@dataclass(frozen=True, kw_only=True)
class EndpointMetrics:
    """Extra CloudWatch metrics of an endpoint.

    :param enhanced: utilization and invocation metrics per instance (and per container for inference
        components). Default: False.
    :param detailed_observability: container-level inference metrics, per-GPU and per-instance host metrics and
        component placement metrics. Default: False.
    :param publish_frequency: how often the metrics are published: 10, 30, 60, 120, 180, 240 or 300 seconds.
        Default: - SageMaker's (60 seconds).
    """

    enhanced: bool = False
    detailed_observability: bool = False
    publish_frequency: Duration | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        """Add this choice's problems under the property name ``prop``."""
        for name in ("enhanced", "detailed_observability"):
            validation.check_type(problems, f"{prop}.{name}", getattr(self, name), bool, "True or False")
        if self.publish_frequency is None:
            return
        seconds = validation.seconds_of(problems, f"{prop}.publish_frequency", self.publish_frequency)
        if seconds is not None and not validation.is_unresolved(seconds) and seconds not in PUBLISH_FREQUENCIES:
            problems.add(
                rules.METRIC_PUBLISH_FREQUENCY,
                f"{prop}.publish_frequency",
                f"{seconds:g} seconds",
                f"one of {', '.join(map(str, PUBLISH_FREQUENCIES))} seconds",
                "choose a listed frequency, e.g. Duration.seconds(30)",
                api="MetricPublishFrequencyInSeconds",
            )

    def render(self) -> sagemaker.CfnEndpointConfig.MetricsConfigProperty:
        return sagemaker.CfnEndpointConfig.MetricsConfigProperty(
            enable_enhanced_metrics=self.enhanced or None,
            enable_detailed_observability=self.detailed_observability or None,
            metric_publish_frequency_in_seconds=validation.rendered_seconds(self.publish_frequency),
        )
