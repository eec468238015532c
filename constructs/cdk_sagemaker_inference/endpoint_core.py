"""What every SageMaker endpoint is, defined by this library or imported: its name and ARN, its config's kind and
variants, the metrics SageMaker publishes for it, and the checks of those metrics.

The add-ons (scaling, alarms, dashboards, smoke tests, inference components) import only this module; `endpoint`
defines the endpoints themselves and their convenience methods, which may import the add-ons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jsii
from aws_cdk import Duration, Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from . import api_model, async_inference, rules, validation
from .endpoint_config import EndpointConfig
from .errors import Problems
from .instance_type import InstanceType
from .variants import ProductionVariant, ServerlessProductionVariant, Variant

if TYPE_CHECKING:  # types only, or loaded on first use: each aws_cdk module costs import time
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk.aws_cloudwatch import Metric
    from aws_cdk.interfaces import aws_sagemaker as sagemaker_refs

    from .deployment import EndpointDeployment

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
DEFAULT_PERIOD_MINUTES = 1  # a Duration made at import would start the jsii runtime during the import
# The unit SageMaker publishes each metric in, by cloudwatch.Unit member name (when an alarm or metric names one,
# it must be this); names, so that importing this module does not load CloudWatch.
METRIC_UNITS = {
    **dict.fromkeys(
        ["ModelLatency", "OverheadLatency", "ModelSetupTime", "RequestDownloadLatency", "ResponseUploadLatency"],
        "MICROSECONDS",
    ),
    "TimeInBacklog": "MILLISECONDS",
    "TotalProcessingTime": "MILLISECONDS",
    "ApproximateAgeOfOldestRequest": "SECONDS",
    **dict.fromkeys(
        ["CPUUtilization", "MemoryUtilization", "DiskUtilization", "GPUUtilization", "GPUMemoryUtilization"],
        "PERCENT",
    ),
}


@jsii.implements(sagemaker.IEndpoint)
class EndpointCore(Resource):
    """What every endpoint is, defined here or imported: name, ARN, grants and CloudWatch metrics.

    It implements aws-cdk-lib's ``aws_sagemaker.IEndpoint``, so e.g. ``apigateway.SagemakerIntegration``
    accepts it. Metrics are per variant, in namespace ``AWS/SageMaker`` (invocations) or
    ``/aws/sagemaker/Endpoints`` (instances), each over 1 minute unless ``period`` is given. `EndpointBase`
    adds ``find_variant`` (scaling) and ``add_smoke_test``.
    """

    endpoint_config: EndpointConfig | None = None
    """The config served, when this library defines the endpoint; None for an imported one."""
    resource: sagemaker.CfnEndpoint | None = None
    """The ``AWS::SageMaker::Endpoint``, when this library defines the endpoint; None for an imported one."""
    deployment: EndpointDeployment | None = None
    """How a config change reaches the live endpoint, when this library defines it and was given one."""
    rollback_alarms: list[cloudwatch.IAlarm] = []  # noqa: RUF012 - set per endpoint that has a deployment
    """The alarms that roll a deployment back, in the order given."""
    _metric_environment: dict[str, str] = {}  # noqa: RUF012 - account and Region of an imported endpoint's metrics

    @property
    def endpoint_name(self) -> str:
        raise NotImplementedError

    @property
    def endpoint_arn(self) -> str:
        raise NotImplementedError

    @property
    def endpoint_ref(self) -> sagemaker_refs.EndpointReference:
        from aws_cdk.interfaces.aws_sagemaker import EndpointReference

        return EndpointReference(endpoint_arn=self.endpoint_arn)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call InvokeEndpoint on this endpoint only."""
        problems = Problems()
        validation.check_interface(
            problems, "grantee", grantee, "iam.IGrantable", "grant_principal", "a role or function"
        )
        problems.raise_if_any(self)
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=[self.endpoint_arn]
        )

    def add_rollback_alarms(self, *alarms: cloudwatch.IAlarm) -> None:
        """More alarms that roll a deployment back (1 to 10 in all), e.g. ``alarms.of_severity(Severity.CRITICAL)``
        of `EndpointAlarms` made for this endpoint (which needs the endpoint first)."""
        from .deployment import check_alarm_types

        problems = Problems()
        check_alarm_types(problems, "alarms", list(alarms))
        if self.deployment is None:
            problems.add(
                rules.DEPLOYMENT_KIND,
                "deployment",
                None,
                "a deployment to roll back: rollback alarms belong to BlueGreenDeployment or RollingDeployment",
                "give Endpoint(deployment=BlueGreenDeployment(...))",
            )
        if not alarms:
            problems.add(
                rules.ROLLBACK_ALARMS,
                "alarms",
                "no alarm",
                "at least one alarm (an empty list would leave the deployment without rollback)",
                "pass the alarms, e.g. *alarms.of_severity(Severity.CRITICAL), or EndpointAlarms.add_rollback_alarms()",
            )
        problems.raise_if_any(self)
        self.rollback_alarms.extend(alarms)

    def metric(
        self,
        metric_name: str,
        variant_name: str,
        *,
        statistic: str,
        namespace: str = INVOCATION_NAMESPACE,
        unit: cloudwatch.Unit | None = None,
        period: Duration | None = None,
        endpoint_config_name: str | None = None,
    ) -> cloudwatch.Metric:
        """Any metric of one variant (dimensions EndpointName and VariantName); the variant must exist, and a
        ``unit`` must be the one SageMaker publishes the metric in.

        :param endpoint_config_name: only the fleet of this config (dimension EndpointConfigName, which SageMaker
            adds once a deployment's new fleet takes traffic). Default: - every fleet of the variant.
        """
        from aws_cdk.aws_cloudwatch import Metric

        problems = Problems()
        for prop, text in [("metric_name", metric_name), ("statistic", statistic), ("namespace", namespace)]:
            validation.check_type(problems, prop, text, str, "a string, e.g. 'Invocations', 'Sum', 'AWS/SageMaker'")
        validation.check_value(
            problems,
            "endpoint_config_name",
            endpoint_config_name,
            api_model.shape("EndpointConfigName"),
            "give the config's name, e.g. endpoint.served_config.endpoint_config_name",
        )
        problems.raise_if_any(self)
        check_unit(problems, metric_name, unit)
        check_period(problems, period)
        problems.raise_if_any(self)
        self.check_variant("variant_name", variant_name, metric_name)
        dimensions = {"EndpointName": self.endpoint_name, "VariantName": variant_name}
        if endpoint_config_name is not None:
            dimensions["EndpointConfigName"] = endpoint_config_name
        return Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map=dimensions,
            statistic=statistic,
            unit=unit,
            period=period or Duration.minutes(DEFAULT_PERIOD_MINUTES),
            account=self._metric_environment.get("account"),
            region=self._metric_environment.get("region"),
        )

    def metric_approximate_backlog_size(self, *, per_instance: bool = False, period: Duration | None = None) -> Metric:
        """Requests queued at an asynchronous endpoint (``per_instance``: divided by its instances): Average, a count.

        Dimension EndpointName only. Target tracking on the per-instance form scales an asynchronous endpoint.
        """
        name = "ApproximateBacklogSizePerInstance" if per_instance else "ApproximateBacklogSize"
        return self._async_endpoint_metric(name, "Average", period)

    def metric_approximate_age_of_oldest_request(self, *, period: Duration | None = None) -> Metric:
        """Age of the oldest queued request of an asynchronous endpoint: Maximum, seconds."""
        return self._async_endpoint_metric("ApproximateAgeOfOldestRequest", "Maximum", period, unit="SECONDS")

    def metric_has_backlog_without_capacity(self, *, period: Duration | None = None) -> Metric:
        """1 while requests queue at an asynchronous endpoint scaled to zero instances, else 0: Average (its only
        statistic). An alarm on it above 0 (e.g. >= 1 for 2 of 2 minutes) scales out from zero."""
        return self._async_endpoint_metric("HasBacklogWithoutCapacity", "Average", period)

    def _async_endpoint_metric(
        self, name: str, statistic: str, period: Duration | None, unit: str | None = None
    ) -> Metric:
        from aws_cdk.aws_cloudwatch import Metric, Unit

        problems = Problems()
        check_period(problems, period)
        config = self.endpoint_config
        if config is not None and config.async_inference is None:
            problems.add(
                rules.PUBLISHED_METRIC,
                "metric",
                name,
                "an asynchronous endpoint's metric, on an endpoint whose config has async_inference",
                "give the config AsyncInference(...), or use the variant metrics",
            )
        problems.raise_if_any(self)
        return Metric(
            namespace=INVOCATION_NAMESPACE,
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name},
            statistic=statistic,
            unit=getattr(Unit, unit) if unit else None,
            period=period or Duration.minutes(DEFAULT_PERIOD_MINUTES),
            account=self._metric_environment.get("account"),
            region=self._metric_environment.get("region"),
        )

    def check_variant(self, prop: str, variant_name: str, metric_name: str | None = None) -> None:
        """Raise unless a literal ``variant_name`` is one of the config's, and SageMaker publishes ``metric_name``
        (when given) for it; ``prop`` names the argument in the error.

        An imported endpoint's variants and kind are unknown: nothing is checked.
        """
        problems = Problems()
        config = self.endpoint_config
        typed = validation.check_type(problems, prop, variant_name, str, "the variant's name, e.g. 'AllTraffic'")
        if typed and config is not None and not validation.is_unresolved(variant_name):
            variants = {variant.variant_name: variant for variant in config.all_variants}
            if variant_name not in variants:
                problems.add(
                    rules.KNOWN_VARIANT,
                    prop,
                    variant_name,
                    f"one of this endpoint's variants: {list(variants)}",
                    "name one of them, or add the variant to the config first",
                )
            elif metric_name is not None and metric_name in KNOWN_METRICS:
                published = published_metrics(config, variants[variant_name])
                if metric_name not in published:
                    kind = "asynchronous" if config.async_inference else variants[variant_name].kind
                    problems.add(
                        rules.PUBLISHED_METRIC,
                        "metric",
                        metric_name,
                        f"a metric SageMaker publishes for a {kind} variant: {', '.join(sorted(published))}",
                        "pick one it publishes; an alarm or scaling policy on the other would never see data",
                    )
        problems.raise_if_any(self)

    def check_metric(self, metric: object) -> None:
        """Raise unless ``metric``, when it is one of this endpoint's, is one SageMaker publishes for its kind, with
        the dimensions (and, where it has only one, the statistic) it is published with. Metric math, other
        endpoints' metrics and an imported endpoint's are not checked."""
        from aws_cdk.aws_cloudwatch import Metric

        config = self.endpoint_config
        if not isinstance(metric, Metric) or config is None:
            return
        dimensions = metric.dimensions or {}
        if dimensions.get("EndpointName") != self.endpoint_name:
            return
        name = metric.metric_name
        if name not in async_inference.ENDPOINT_METRICS:
            if "VariantName" in dimensions:
                self.check_variant("variant_name", str(dimensions["VariantName"]), name)
            return
        problems = Problems()
        statistic = async_inference.ENDPOINT_METRICS[name]
        if config.async_inference is None:
            problems.add(
                rules.PUBLISHED_METRIC,
                "metric",
                name,
                "an asynchronous endpoint's metric, on an endpoint whose config has async_inference",
                "use the variant metrics",
            )
        if set(dimensions) != {"EndpointName"}:
            problems.add(
                rules.PUBLISHED_METRIC,
                "metric dimensions",
                sorted(dimensions),
                f"['EndpointName'] only: SageMaker publishes {name} per endpoint",
                f"use endpoint.metric_* for {name}",
            )
        if statistic is not None and metric.statistic != statistic:
            problems.add(
                rules.PUBLISHED_METRIC,
                "metric statistic",
                metric.statistic,
                f"{statistic}: {name} has no other",
                f"use statistic='{statistic}'",
            )
        problems.raise_if_any(self)

    def metric_invocations(self, variant_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Requests sent to the variant: Sum, a count."""
        return self.metric("Invocations", variant_name, statistic="Sum", period=period)

    def metric_invocations_per_instance(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Requests per instance (each request adds 1/instances): Sum, a count."""
        return self.metric("InvocationsPerInstance", variant_name, statistic="Sum", period=period)

    def metric_model_latency(
        self, variant_name: str, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Time the model's container took to respond, in microseconds. Default statistic: Average."""
        return self._latency_metric("ModelLatency", variant_name, statistic, period)

    def metric_overhead_latency(
        self, variant_name: str, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Time SageMaker added on top of the model, in microseconds. Default statistic: Average."""
        return self._latency_metric("OverheadLatency", variant_name, statistic, period)

    def metric_invocation_4xx_errors(
        self, variant_name: str, *, statistic: str = "Sum", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Requests answered 4xx. Each request counts 1 or 0, so Sum is a count and Average a rate in [0, 1]."""
        return self.metric("Invocation4XXErrors", variant_name, statistic=statistic, period=period)

    def metric_invocation_5xx_errors(
        self, variant_name: str, *, statistic: str = "Sum", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Requests answered 5xx. Each request counts 1 or 0, so Sum is a count and Average a rate in [0, 1]."""
        return self.metric("Invocation5XXErrors", variant_name, statistic=statistic, period=period)

    def metric_explanations_per_instance(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Records Clarify explained per instance (an endpoint config with an explainer): Sum, a count. The guide
        recommends it for target tracking on such endpoints."""
        return self.metric("ExplanationsPerInstance", variant_name, statistic="Sum", period=period)

    def metric_cpu_utilization(self, variant_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """CPU use of the variant's instances: Average, percent summed over the vCPUs (0 to 100 x vCPUs)."""
        return self._instance_metric("CPUUtilization", variant_name, period)

    def metric_memory_utilization(self, variant_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Memory use of the variant's instances: Average, percent."""
        return self._instance_metric("MemoryUtilization", variant_name, period)

    def metric_disk_utilization(self, variant_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Disk use of the variant's instances: Average, percent."""
        return self._instance_metric("DiskUtilization", variant_name, period)

    def _latency_metric(
        self, name: str, variant_name: str, statistic: str, period: Duration | None
    ) -> cloudwatch.Metric:
        from aws_cdk.aws_cloudwatch import Unit

        return self.metric(name, variant_name, statistic=statistic, unit=Unit.MICROSECONDS, period=period)

    def _instance_metric(self, name: str, variant_name: str, period: Duration | None) -> cloudwatch.Metric:
        from aws_cdk.aws_cloudwatch import Unit

        return self.metric(
            name,
            variant_name,
            statistic="Average",
            namespace=INSTANCE_NAMESPACE,
            unit=Unit.PERCENT,
            period=period,
        )


GPU_METRICS = frozenset({"GPUUtilization", "GPUMemoryUtilization"})
EXPLANATION_METRICS = frozenset({"ExplanationsPerInstance"})
"""Published per variant where the endpoint config has a Clarify explainer."""
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)  # CloudWatch's periods under a minute; others are multiples of 60


def check_period(problems: Problems, period: object) -> None:
    """A metric's period: a `Duration` of 1, 5, 10, 30 or a multiple of 60 seconds (CloudWatch's), or None."""
    seconds = validation.seconds_of(problems, "period", period)
    if seconds is not None and validation.is_unresolved(seconds):
        problems.add(
            rules.PUBLISHED_METRIC,
            "period",
            period,
            "a Duration known at synth (the CDK renders a metric's period into the template)",
            "give e.g. period=Duration.minutes(1)",
        )
        return
    if seconds is None:
        return
    if seconds not in HIGH_RESOLUTION_PERIODS and (seconds < 60 or seconds % 60):
        problems.add(
            rules.PUBLISHED_METRIC,
            "period",
            f"{seconds:g} s",
            "1, 5, 10, 30 or a multiple of 60 seconds (CloudWatch's periods)",
            "give e.g. period=Duration.minutes(1)",
        )


def published_metrics(config: EndpointConfig, variant: Variant) -> frozenset[str]:
    """What SageMaker publishes for ``variant`` of ``config``: its kind's, less what async endpoints lack, less
    the GPU metrics on an instance type known to have no GPU, plus explanations where Clarify explains."""
    published = variant.published_metrics | (EXPLANATION_METRICS if config.explainer is not None else frozenset())
    instance_type = getattr(variant, "instance_type", None)
    if isinstance(instance_type, InstanceType) and not validation.is_unresolved(instance_type.name):
        published = published if instance_type.is_gpu else published - GPU_METRICS
    if config.async_inference is None:
        return published
    return (published - async_inference.UNPUBLISHED_METRICS) | async_inference.VARIANT_METRICS


KNOWN_METRICS = (
    EXPLANATION_METRICS
    | ProductionVariant.published_metrics
    | ServerlessProductionVariant.published_metrics
    | async_inference.VARIANT_METRICS
)


def published_unit(metric_name: str) -> cloudwatch.Unit | None:
    """The unit SageMaker publishes ``metric_name`` in; None for a metric without a fixed unit."""
    from aws_cdk.aws_cloudwatch import Unit

    name = METRIC_UNITS.get(metric_name)
    return Unit[name] if name else None


def check_unit(problems: Problems, metric_name: str, unit: cloudwatch.Unit | None) -> None:
    """A unit given for a SageMaker metric is the one SageMaker publishes it in (else CloudWatch finds no data)."""
    expected = METRIC_UNITS.get(metric_name)
    if unit is not None and expected is not None and unit.name != expected:
        problems.add(
            rules.METRIC_UNIT,
            "unit",
            unit.name,
            f"{expected}: SageMaker publishes {metric_name} in it",
            f"give unit=Unit.{expected} (or none), and the threshold in that unit",
        )


def check_endpoint(problems: Problems, prop: str, value: object) -> bool:
    """``value`` is an endpoint (defined by this library or imported); else a `WrongType` problem naming the
    public base class, `EndpointBase`. Returns whether it passed."""
    return validation.check_type(
        problems,
        prop,
        value,
        EndpointCore,
        "an Endpoint(...), or Endpoint.from_endpoint_name(...) for one defined elsewhere",
        expected_name="EndpointBase",
    )
