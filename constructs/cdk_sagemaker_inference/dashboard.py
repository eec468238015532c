"""A CloudWatch dashboard of one endpoint or several (a section each): one row per variant (calls, errors, latency,
capacity), the backlog of an asynchronous endpoint, the capacity failures of its inference components, and its
alarms."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from . import rules, validation
from .alarms import EndpointAlarms
from .endpoint_core import INSTANCE_NAMESPACE, EndpointCore, check_endpoint, check_period
from .errors import Problems
from .variants import InstanceVariant, ServerlessProductionVariant, Variant

WIDTH = 6  # four graphs per 24-unit row
HEIGHT = 6


class EndpointDashboard(Construct):
    """A dashboard of ``endpoint`` (defined with this library), and of the endpoints `add_endpoint` adds: per
    endpoint a heading with its name, then one row per variant:

    - calls: ``Invocations`` Sum (``InvocationsProcesssed`` for asynchronous endpoints, which publish no
      Invocations);
    - errors: ``Invocation4XXErrors`` and ``Invocation5XXErrors``, Sum;
    - latency: ``ModelLatency`` p50 and p99, microseconds;
    - capacity: instances (the SampleCount of ``CPUUtilization``) for instance variants, concurrency
      utilization for serverless ones;

    then the backlog (size and age) of an asynchronous endpoint, the calls that found no copy of each inference
    component, and the alarms' states when ``alarms`` is given. One dashboard per stack, its endpoints added,
    keeps a stack of many endpoints far from CloudFormation's 500 resources.

    :param dashboard_name: Default: - CloudFormation's.
    :param alarms: `EndpointAlarms` of the endpoint, shown as a status row. Default: - none.
    :param period: of every graph. Default: 1 minute.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointCore,
        dashboard_name: str | None = None,
        alarms: EndpointAlarms | None = None,
        period: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems()
        name = "-" if dashboard_name is None else dashboard_name
        typed = validation.check_type(problems, "dashboard_name", name, str, "a name such as 'inference'")
        if typed and not validation.is_unresolved(name) and not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
            problems.add(
                rules.DASHBOARD_NAME,
                "dashboard_name",
                dashboard_name,
                "1 to 255 letters, digits, - and _",
                "drop other characters (or leave it out: CloudFormation names it)",
            )
        check_period(problems, period)
        _check_section(problems, endpoint, alarms)
        problems.raise_if_any(self)
        self.period = period or Duration.minutes(1)
        self.dashboard = cloudwatch.Dashboard(self, "Resource", dashboard_name=dashboard_name)
        self.endpoints: list[EndpointCore] = []
        """The endpoints shown, in order."""
        self.add_endpoint(endpoint, alarms=alarms)

    def add_endpoint(self, endpoint: EndpointCore, *, alarms: EndpointAlarms | None = None) -> None:
        """Add ``endpoint``'s section (and ``alarms``' states) below the others."""
        problems = Problems()
        _check_section(problems, endpoint, alarms)
        problems.raise_if_any(self)
        self.endpoints.append(endpoint)
        self.dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"## {endpoint.endpoint_name}", width=24, height=1))
        if alarms is not None and alarms.alarms:
            self.dashboard.add_widgets(
                cloudwatch.AlarmStatusWidget(alarms=list(alarms.alarms.values()), title="Alarms", width=24)
            )
        config = endpoint.endpoint_config
        if config is None:
            return
        for variant in config.all_variants:
            self.dashboard.add_widgets(
                *self._variant_row(endpoint, variant, asynchronous=config.async_inference is not None)
            )
        if config.async_inference is not None:
            self.dashboard.add_widgets(
                self._graph("Backlog (requests)", [endpoint.metric_approximate_backlog_size(period=self.period)]),
                self._graph(
                    "Oldest request (seconds)", [endpoint.metric_approximate_age_of_oldest_request(period=self.period)]
                ),
                self._graph("Backlog without capacity", [endpoint.metric_has_backlog_without_capacity()]),
            )
        components = getattr(endpoint, "inference_components", [])
        if components:
            self.dashboard.add_widgets(
                self._graph(
                    "Calls without a copy",
                    [component.metric_no_capacity_invocation_failures(period=self.period) for component in components],
                )
            )

    def _variant_row(self, endpoint: EndpointCore, variant: Variant, *, asynchronous: bool) -> list[cloudwatch.IWidget]:
        name, period = variant.variant_name, self.period
        calls = "InvocationsProcesssed" if asynchronous else "Invocations"
        latency = [endpoint.metric_model_latency(name, statistic=stat, period=period) for stat in ("p50", "p99")]
        row: list[cloudwatch.IWidget] = [
            self._graph(f"{name}: calls", [endpoint.metric(calls, name, statistic="Sum", period=period)]),
            self._graph(
                f"{name}: errors",
                [
                    endpoint.metric_invocation_4xx_errors(name, period=period),
                    endpoint.metric_invocation_5xx_errors(name, period=period),
                ],
            ),
            self._graph(f"{name}: model latency (microseconds)", latency),
        ]
        if isinstance(variant, ServerlessProductionVariant):
            utilization = endpoint.metric(
                "ServerlessConcurrentExecutionsUtilization", name, statistic="Average", period=period
            )
            row.append(self._graph(f"{name}: concurrency used (ratio)", [utilization]))
        elif isinstance(variant, InstanceVariant):
            instances = endpoint.metric(
                "CPUUtilization", name, statistic="SampleCount", namespace=INSTANCE_NAMESPACE, period=period
            )
            row.append(self._graph(f"{name}: instances", [instances]))
        return row

    @staticmethod
    def _graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH, height=HEIGHT)


def _check_section(problems: Problems, endpoint: object, alarms: object) -> None:
    check_endpoint(problems, "endpoint", endpoint)
    if alarms is not None:
        validation.check_type(problems, "alarms", alarms, EndpointAlarms, "EndpointAlarms(scope, 'Alarms', ...)")
