"""Application Auto Scaling of SageMaker capacity: a variant's instances, serverless provisioned concurrency,
an inference component's copies.

Each is an aws-cdk-lib ``BaseScalableAttribute`` (one ``ScalableTarget`` on SageMaker's service-linked role)
that depends on the resource it scales, so it is registered after that resource exists and never waits for
a smoke test. Each offers the policies that fit its kind, with the metric SageMaker publishes for it:

- `InstanceCount`: invocations or concurrency per instance, instance utilization, step and scheduled
  scaling; asynchronous variants scale on their backlog and may scale to zero (min 0 plus
  `InstanceCount.scale_out_from_zero`, a step policy on ``HasBacklogWithoutCapacity``).
- `ProvisionedConcurrency`: its utilization (a ratio: targets above 1 are errors).
- `CopyCount`: invocations or concurrency per copy; scale to zero with `CopyCount.scale_out_from_zero`, a
  step policy on ``NoCapacityInvocationFailures``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_iam as iam
from aws_cdk.aws_cloudwatch import Unit
from constructs import Construct

from . import api_model, per_stack, rules, validation
from .endpoint_core import INSTANCE_NAMESPACE, EndpointCore
from .errors import Problems, ValidationError

if TYPE_CHECKING:
    from aws_cdk import TimeZone
    from aws_cdk import aws_cloudwatch as cloudwatch

SCALING_ROLE_ID = "SageMakerScalingRole"
SCALING_ROLE = (
    "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
INSTANCES = "sagemaker:variant:DesiredInstanceCount"
PROVISIONED_CONCURRENCY = "sagemaker:variant:DesiredProvisionedConcurrency"
COPIES = "sagemaker:inference-component:DesiredCopyCount"
UTILIZATION_METRICS = (
    "CPUUtilization",
    "GPUUtilization",
    "MemoryUtilization",
    "GPUMemoryUtilization",
    "DiskUtilization",
)
# Shares of the instance; CPU, GPU and GPU memory are summed over vCPUs or GPUs (the guide's metric tables).
PERCENT_CAPPED = frozenset({"MemoryUtilization", "DiskUtilization"})
SCALE_FROM_ZERO_COOLDOWN_SECONDS = 60
SCALING = "application-autoscaling"  # the botocore service of the shapes below
TARGET = ("TargetTrackingScalingPolicyConfiguration", "TargetValue")
STEP_BOUNDS = {"lower": "MetricIntervalLowerBound", "upper": "MetricIntervalUpperBound"}  # of StepAdjustment
STEP_CHANGE = ("StepAdjustment", "ScalingAdjustment")
MAX_STEPS = 40  # aws-cdk-lib's step scaling refuses more
CRON_VALUE = re.compile(r"(?P<value>\d+|[A-Za-z]{3})(#\d)?[LW]?")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# Application Auto Scaling's cron: minutes, hours, day of month, month, day of week, year.
CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("week_day", 1, 7, DAYS),
    ("year", 1970, 2199, ()),
)


def floor_of(dimension: str, *, asynchronous: bool = False) -> int:
    """The smallest minimum capacity of a dimension: 0 for copies and asynchronous instances, else 1."""
    return 0 if dimension == COPIES or (dimension == INSTANCES and asynchronous) else 1


def check_capacity(
    problems: Problems, min_capacity: object, max_capacity: object, *, floor: int, current: tuple[str, object] | None
) -> None:
    """``floor <= min_capacity <= max_capacity``, and the capacity the resource starts with (``(name, value)``)
    within them: Application Auto Scaling would otherwise move it at once, or refuse the target."""
    check_limits(problems, min_capacity, max_capacity, floor)
    if problems.items or current is None:
        return
    name, value = current
    values = (min_capacity, max_capacity, value)
    if any(validation.is_unresolved(v) or not isinstance(v, int) for v in values):
        return
    if not min_capacity <= value <= max_capacity:  # type: ignore[operator]
        problems.add(
            rules.SCALING_CAPACITY,
            name,
            value,
            f"from min_capacity ({min_capacity}) to max_capacity ({max_capacity})",
            f"start {name} within the scaling range, or widen it",
        )


def check_limits(problems: Problems, low: object, high: object, floor: int, *, required: bool = True) -> None:
    """``floor <= low <= high`` for the integers among them (deploy-time numbers are skipped; None only when not
    ``required``)."""
    for prop, value in (("min_capacity", low), ("max_capacity", high)):
        if value is None and not required:
            continue
        if validation.is_unresolved(value):
            validation.check_type(problems, prop, value, float, "Token.as_number(value)", expected_name="number")
            continue
        capacity = api_model.shape("ResourceCapacity", "application-autoscaling")
        whole = validation.check_type(problems, prop, value, int, f"{prop}=2")
        if whole and validation.check_number(problems, prop, value, capacity) and value < floor:  # type: ignore[operator]
            problems.add(rules.SCALING_CAPACITY, prop, value, f"at least {floor}", f"raise {prop} to {floor} or more")
    both = low is not None and high is not None and not any(validation.is_unresolved(v) for v in (low, high))
    if both and isinstance(low, int) and isinstance(high, int) and low > high:
        problems.add(rules.SCALING_CAPACITY, "min_capacity", low, f"at most max_capacity ({high})", "swap them")


def check_steps(problems: Problems, steps: object) -> None:
    """2 to 40 ``appscaling.ScalingInterval`` s (aws-cdk-lib's step scaling), each bound a finite number and each
    change a whole number (botocore's StepAdjustment)."""
    if not validation.check_type(problems, "scaling_steps", steps, (list, tuple), "[ScalingInterval(upper=0, ...)]"):
        return
    items = list(steps)  # type: ignore[call-overload]
    if not 2 <= len(items) <= MAX_STEPS:
        problems.add(
            rules.SCALING_TARGET,
            "scaling_steps",
            f"{len(items)} intervals",
            f"2 to {MAX_STEPS} intervals: one to scale in, one to scale out",
            "give e.g. [ScalingInterval(upper=0, change=-1), ScalingInterval(lower=100, change=1)]",
        )
    for index, step in enumerate(items):
        prop = f"scaling_steps[{index}]"
        if not validation.check_type(problems, prop, step, appscaling.ScalingInterval, "ScalingInterval(...)"):
            continue
        for name, member in STEP_BOUNDS.items():
            bound = getattr(step, name)
            constraint = api_model.member("StepAdjustment", member, SCALING)
            validation.check_value(problems, f"{prop}.{name}", bound, constraint, "")
        validation.check_value(problems, f"{prop}.change", step.change, api_model.member(*STEP_CHANGE, SCALING), "")


def check_schedule(problems: Problems, schedule: object) -> None:
    """A ``cron(...)`` schedule's six fields within Application Auto Scaling's ranges (a rate or at is left to the
    CDK, which checks them)."""
    if not validation.check_type(problems, "schedule", schedule, appscaling.Schedule, "Schedule.cron(hour='20')"):
        return
    expression = schedule.expression_string  # type: ignore[attr-defined]
    match = re.fullmatch(r"cron\((.*)\)", expression)
    if match is None or validation.is_unresolved(expression):
        return
    fields = match[1].split()
    for (name, low, high, names), field in zip(CRON_FIELDS, fields, strict=False):
        if not _cron_field_ok(field, low, high, names):
            problems.add(
                rules.SCALING_SCHEDULE,
                f"schedule.{name}",
                field,
                f"{low} to {high}{', ' + names[0] + '-' + names[-1] if names else ''}, with * , - / (and ? L W # "
                "where cron allows them)",
                f"fix the {name} field",
            )


def _cron_field_ok(field: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    """Each value of a cron field (lists, ranges, steps, ? L W #) is a number in range or one of ``names``."""
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base in ("*", "?", "L", "W", "LW"):
            continue
        for value in base.split("-"):
            match = CRON_VALUE.fullmatch(value)
            if match is None:
                return False
            found = match["value"].upper()
            if (found.isdigit() and not low <= int(found) <= high) or (not found.isdigit() and found not in names):
                return False
    return True


def scaling_role(scope: Construct) -> iam.IRole:
    """SageMaker's Application Auto Scaling service-linked role (the service creates it on first use), one per stack."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(SCALING_ROLE_ID)
    if existing is not None:
        return existing  # type: ignore[return-value]
    arn = stack.format_arn(service="iam", region="", account=stack.account, resource=SCALING_ROLE)
    return iam.Role.from_role_arn(stack, SCALING_ROLE_ID, arn, mutable=False)


class ScalableCapacity(appscaling.BaseScalableAttribute):
    """What every scalable SageMaker capacity offers: step scaling on any metric and scheduled scaling.

    Create one with ``endpoint.find_variant(name).auto_scale_instance_count(...)``,
    ``auto_scale_provisioned_concurrency(...)`` or ``component.auto_scale_copy_count(...)``.
    """

    _floor = 1
    """The smallest minimum this kind allows."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_id: str,
        dimension: str,
        min_capacity: int,
        max_capacity: int,
        scales: Construct | None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=resource_id,
            dimension=dimension,
            role=scaling_role(scope),
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        self.min_capacity = min_capacity
        self.max_capacity = max_capacity
        self.policy_types: list[str] = []
        """The kinds of policy added, in order: ``"TargetTracking"`` or ``"StepScaling"``."""
        if scales is not None:  # registered once what it scales exists (the endpoint or component)
            self.node.add_dependency(scales)
        if min_capacity == 0:
            per_stack.at_validation(per_stack.facts(scope).stack, self._check_way_out_of_zero)

    def scale_on_metric(
        self,
        construct_id: str,
        *,
        metric: cloudwatch.IMetric,
        scaling_steps: Sequence[appscaling.ScalingInterval],
        adjustment_type: appscaling.AdjustmentType | None = None,
        cooldown: Duration | None = None,
        evaluation_periods: int | None = None,
        datapoints_to_alarm: int | None = None,
        metric_aggregation_type: appscaling.MetricAggregationType | None = None,
    ) -> None:
        """Step scaling on any metric: aws-cdk-lib's ``scaling_steps`` (2 to 40 intervals) and the alarms it makes.

        :param adjustment_type: how the steps' changes count. Default: ``CHANGE_IN_CAPACITY``.
        :param cooldown: after a scaling activity. Default: - none.
        :param evaluation_periods: periods the alarm evaluates. Default: 1.
        :param datapoints_to_alarm: of those, how many must breach. Default: - all of them.
        :param metric_aggregation_type: how data points combine. Default: - the metric's statistic.
        """
        problems = Problems()
        validation.check_metric_type(problems, metric)
        problems.raise_if_any(self)
        self._check_metric(metric)
        check_steps(problems, scaling_steps)
        validation.check_alarm_periods(problems, evaluation_periods, datapoints_to_alarm)
        if datapoints_to_alarm is not None and evaluation_periods is None:
            problems.add(
                rules.ALARM_CAN_FIRE,
                "datapoints_to_alarm",
                datapoints_to_alarm,
                "only with evaluation_periods (aws-cdk-lib's step scaling alarms need both)",
                "give evaluation_periods too",
            )
        validation.seconds_of(problems, "cooldown", cooldown)
        problems.raise_if_any(self)
        self.policy_types.append("StepScaling")
        self._do_scale_on_metric(
            construct_id,
            metric=metric,
            scaling_steps=list(scaling_steps),
            adjustment_type=adjustment_type,
            cooldown=cooldown,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            metric_aggregation_type=metric_aggregation_type,
        )

    def scale_on_schedule(
        self,
        construct_id: str,
        *,
        schedule: appscaling.Schedule,
        min_capacity: int | None = None,
        max_capacity: int | None = None,
        time_zone: TimeZone | None = None,
    ) -> None:
        """Change the capacity limits on a schedule (e.g. business hours); at least one limit, within this target's.

        :param min_capacity: the new minimum. Default: - unchanged.
        :param max_capacity: the new maximum. Default: - unchanged.
        :param time_zone: a ``TimeZone`` for cron and at expressions. Default: - UTC.
        """
        problems = Problems()
        if min_capacity is None and max_capacity is None:
            problems.add(
                rules.SCALING_CAPACITY, "min_capacity", None, "min_capacity, max_capacity or both", "give a limit"
            )
        check_limits(problems, min_capacity, max_capacity, self._floor, required=False)
        check_schedule(problems, schedule)
        problems.raise_if_any(self)
        self._do_scale_on_schedule(
            construct_id,
            schedule=schedule,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            time_zone=time_zone,
        )

    def _track(
        self,
        construct_id: str,
        *,
        target_value: float,
        predefined_metric: appscaling.PredefinedMetric | None = None,
        custom_metric: cloudwatch.IMetric | None = None,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
        high: float | None = None,
        unit: str,
    ) -> None:
        """Target tracking (Application Auto Scaling makes and owns its alarms); ``target_value`` in ``unit``."""
        problems = Problems()
        if not validation.is_unresolved(target_value):
            validation.check_type(problems, "target_value", target_value, (int, float), f"a number of {unit}")
        validation.check_value(problems, "target_value", target_value, api_model.member(*TARGET, SCALING), unit)
        validation.check_type(problems, "disable_scale_in", disable_scale_in, bool, "True or False")
        known = not problems.items and not validation.is_unresolved(target_value)
        if known and (not target_value > 0 or (high is not None and target_value > high)):
            allowed = f"above 0 and at most {high:g} {unit}" if high is not None else f"above 0 {unit}"
            problems.add(rules.SCALING_TARGET, "target_value", target_value, allowed, "choose a target in range")
        for name, cooldown in (("scale_in_cooldown", scale_in_cooldown), ("scale_out_cooldown", scale_out_cooldown)):
            validation.seconds_of(problems, name, cooldown)
        problems.raise_if_any(self)
        self.policy_types.append("TargetTracking")
        self._do_scale_to_track_metric(
            construct_id,
            target_value=target_value,
            predefined_metric=predefined_metric,
            custom_metric=custom_metric,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
        )

    def _scale_out_from_zero_on(self, construct_id: str, metric: cloudwatch.IMetric, cooldown: Duration | None) -> None:
        """A step policy adding one unit while ``metric`` is at least 1 (target tracking cannot leave zero)."""
        problems = Problems()
        validation.seconds_of(problems, "cooldown", cooldown)
        if self.min_capacity != 0:
            problems.add(
                rules.SCALE_OUT_FROM_ZERO,
                "min_capacity",
                self.min_capacity,
                "0 for a policy that scales out from zero",
                "set min_capacity=0, or drop scale_out_from_zero",
            )
        problems.raise_if_any(self)
        self.policy_types.append("StepScaling")
        self._do_scale_on_metric(
            construct_id,
            metric=metric,
            scaling_steps=[
                appscaling.ScalingInterval(upper=0, change=0),
                appscaling.ScalingInterval(lower=1, change=1),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=cooldown or Duration.seconds(SCALE_FROM_ZERO_COOLDOWN_SECONDS),
            metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        )

    def _check_metric(self, metric: cloudwatch.IMetric) -> None:
        """Raise when ``metric`` is not published as given (kinds whose endpoint is known check it)."""

    def _check_way_out_of_zero(self) -> list[ValidationError]:
        """At synth, for a minimum of 0: target tracking without a step policy is an error; no policy, a warning."""
        if "StepScaling" in self.policy_types:
            return []
        if "TargetTracking" in self.policy_types:
            problems = Problems()
            problems.add(
                rules.ZERO_TRACKING_ONLY,
                "min_capacity",
                0,
                "a step policy beside target tracking to leave 0: target tracking cannot (its metric has no data "
                "while nothing runs)",
                "add scale_out_from_zero(...) (or a scale_on_metric step policy), or set min_capacity=1",
            )
            return [ValidationError(self.node.path, problems.items)]
        validation.warn(
            self,
            rules.ZERO_WITHOUT_SCALE_OUT,
            "min_capacity is 0 but no policy scales out from zero; add scale_out_from_zero(...)",
        )
        return []


class InstanceCount(ScalableCapacity):
    """The instance count of a variant (``sagemaker:variant:DesiredInstanceCount``); ``asynchronous`` variants
    scale on their backlog (and may scale to zero), the others on invocations, concurrency or utilization."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointCore,
        variant_name: str,
        min_capacity: int,
        max_capacity: int,
        asynchronous: bool,
        scales: Construct | None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            resource_id=f"endpoint/{endpoint.endpoint_name}/variant/{variant_name}",
            dimension=INSTANCES,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            scales=scales,
        )
        self.endpoint = endpoint
        self.variant_name = variant_name
        self.asynchronous = asynchronous
        self.resource_id = f"endpoint/{endpoint.endpoint_name}/variant/{variant_name}"
        self._floor = floor_of(INSTANCES, asynchronous=asynchronous)

    def _check_metric(self, metric: cloudwatch.IMetric) -> None:
        self.endpoint.check_metric(metric)

    def guard_instance_type_changes(self, endpoint: EndpointCore, instance_type: str) -> None:
        """Make an instance-type change deploy in one ``cdk deploy``, and leave this variant's scaling as the
        template in force declares when the deploy fails and rolls back (see `scaling_guard`). An imported
        endpoint's updates are not this app's: nothing to guard."""
        from .scaling_guard import guard_instance_type_changes

        if endpoint.resource is None:
            return
        self.guard = guard_instance_type_changes(
            self,
            scope=endpoint,
            endpoint_resource=endpoint.resource,
            endpoint_name=endpoint.endpoint_name,
            variant_name=self.variant_name,
            resource_id=self.resource_id,
            dimension=INSTANCES,
            instance_type=instance_type,
        )

    def scale_on_invocations(
        self,
        construct_id: str,
        *,
        invocations_per_instance: float,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> None:
        """Track ``SageMakerVariantInvocationsPerInstance``: requests per instance **per minute** (the guide's
        start: peak requests per second x 0.5 x 60). Not for asynchronous variants (not published).

        :param scale_in_cooldown: Default: 300 seconds. :param scale_out_cooldown: Default: 300 seconds.
        :param disable_scale_in: only ever add instances. Default: False.
        """
        self._require_synchronous("scale_on_invocations")
        self._track(
            construct_id,
            target_value=invocations_per_instance,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            disable_scale_in=disable_scale_in,
            unit="invocations per instance per minute",
        )

    def scale_on_concurrency(
        self,
        construct_id: str,
        *,
        concurrent_requests_per_model: float,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
    ) -> None:
        """Track the high-resolution ``SageMakerVariantConcurrentRequestsPerModelHighResolution`` (every 10 s,
        counting queued and streaming requests): faster scale-out for concurrency-bound models.

        :param scale_in_cooldown: Default: 300 seconds. :param scale_out_cooldown: Default: 300 seconds.
        """
        self._require_synchronous("scale_on_concurrency")
        self._track(
            construct_id,
            target_value=concurrent_requests_per_model,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            unit="concurrent requests per model",
        )

    def scale_on_utilization(
        self,
        construct_id: str,
        *,
        metric_name: str,
        target_percent: float,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
    ) -> None:
        """Track an instance metric of ``/aws/sagemaker/Endpoints`` (Average, percent). ``CPUUtilization``,
        ``GPUUtilization`` and ``GPUMemoryUtilization`` are sums over the instance's vCPUs or GPUs (0 to 100 x
        their count), so ``target_percent`` is such a sum: 140 on 2 vCPUs keeps each near 70 %.
        ``MemoryUtilization`` and ``DiskUtilization`` are shares of the instance (up to 100).

        :param scale_in_cooldown: Default: 300 seconds. :param scale_out_cooldown: Default: 300 seconds.
        """
        problems = Problems()
        if metric_name not in UTILIZATION_METRICS:
            problems.add(
                rules.SCALING_METRIC,
                "metric_name",
                metric_name,
                f"one of {', '.join(UTILIZATION_METRICS)}",
                "use scale_on_metric for other metrics",
            )
        problems.raise_if_any(self)
        self._track(
            construct_id,
            target_value=target_percent,
            custom_metric=self.endpoint.metric(
                metric_name, self.variant_name, statistic="Average", namespace=INSTANCE_NAMESPACE, unit=Unit.PERCENT
            ),
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            high=100 if metric_name in PERCENT_CAPPED else None,
            unit="percent",
        )

    def scale_on_backlog(
        self,
        construct_id: str,
        *,
        backlog_per_instance: float,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
    ) -> None:
        """Track ``ApproximateBacklogSizePerInstance`` (Average, dimension EndpointName only): queued requests per
        instance of an asynchronous endpoint.

        :param scale_in_cooldown: Default: 300 seconds. :param scale_out_cooldown: Default: 300 seconds.
        """
        self._require_asynchronous("scale_on_backlog")
        self._track(
            construct_id,
            target_value=backlog_per_instance,
            custom_metric=self.endpoint.metric_approximate_backlog_size(per_instance=True),
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            unit="queued requests per instance",
        )

    def scale_out_from_zero(self, construct_id: str, *, cooldown: Duration | None = None) -> None:
        """Add an instance while an asynchronous endpoint at zero instances has a backlog
        (``HasBacklogWithoutCapacity`` Average >= 1, dimension EndpointName). Needs ``min_capacity=0``.

        :param cooldown: Default: 60 seconds.
        """
        self._require_asynchronous("scale_out_from_zero")
        self._scale_out_from_zero_on(construct_id, self.endpoint.metric_has_backlog_without_capacity(), cooldown)

    def _require_synchronous(self, method: str) -> None:
        if self.asynchronous:
            problems = Problems()
            problems.add(
                rules.SCALING_METRIC,
                method,
                self.variant_name,
                "a synchronous variant: asynchronous endpoints publish no invocations or concurrency per instance",
                "use scale_on_backlog (and scale_out_from_zero)",
            )
            problems.raise_if_any(self)

    def _require_asynchronous(self, method: str) -> None:
        if not self.asynchronous:
            problems = Problems()
            problems.add(
                rules.SCALING_METRIC,
                method,
                self.variant_name,
                "an asynchronous endpoint (a backlog exists only there)",
                "use scale_on_invocations or scale_on_concurrency",
            )
            problems.raise_if_any(self)


class ProvisionedConcurrency(ScalableCapacity):
    """The provisioned concurrency of a serverless variant (``sagemaker:variant:DesiredProvisionedConcurrency``).

    The developer guide says CloudFormation cannot scale it; CloudFormation's schema (which cfn-lint ships)
    lists the dimension, and this library follows the schema.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointCore,
        variant_name: str,
        min_capacity: int,
        max_capacity: int,
        scales: Construct | None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            resource_id=f"endpoint/{endpoint.endpoint_name}/variant/{variant_name}",
            dimension=PROVISIONED_CONCURRENCY,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            scales=scales,
        )
        self.endpoint = endpoint

    def _check_metric(self, metric: cloudwatch.IMetric) -> None:
        self.endpoint.check_metric(metric)

    def scale_on_utilization(
        self,
        construct_id: str,
        *,
        target_utilization: float,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
    ) -> None:
        """Track ``SageMakerVariantProvisionedConcurrencyUtilization``: executions / provisioned concurrency, a ratio
        above 0 and at most 1 (e.g. 0.7).

        :param scale_in_cooldown: Default: 300 seconds. :param scale_out_cooldown: Default: 300 seconds.
        """
        self._track(
            construct_id,
            target_value=target_utilization,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY_UTILIZATION,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            high=1,
            unit="(a ratio of executions to provisioned concurrency)",
        )


class ScaledComponent(Protocol):
    """What a `CopyCount` reads of its inference component (`InferenceComponent` is one)."""

    @property
    def inference_component_name(self) -> str: ...

    @property
    def resource(self) -> Construct: ...

    def metric_no_capacity_invocation_failures(self, *, period: Duration | None = None) -> cloudwatch.Metric: ...


class CopyCount(ScalableCapacity):
    """The copies of an inference component (``sagemaker:inference-component:DesiredCopyCount``); may be 0."""

    _floor = 0

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        component: ScaledComponent,
        min_capacity: int,
        max_capacity: int,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            resource_id=f"inference-component/{component.inference_component_name}",
            dimension=COPIES,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            scales=component.resource,
        )
        self.component = component

    def scale_on_invocations(
        self,
        construct_id: str,
        *,
        invocations_per_copy: float,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
    ) -> None:
        """Track ``SageMakerInferenceComponentInvocationsPerCopy`` (per minute).

        :param scale_in_cooldown: Default: 300 seconds. :param scale_out_cooldown: Default: 300 seconds.
        """
        self._track(
            construct_id,
            target_value=invocations_per_copy,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            unit="invocations per copy per minute",
        )

    def scale_on_concurrency(
        self,
        construct_id: str,
        *,
        concurrent_requests_per_copy: float,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
    ) -> None:
        """Track the high-resolution ``SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution``.

        :param scale_in_cooldown: Default: 300 seconds. :param scale_out_cooldown: Default: 300 seconds.
        """
        self._track(
            construct_id,
            target_value=concurrent_requests_per_copy,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_CONCURRENT_REQUESTS_PER_COPY_HIGH_RESOLUTION,
            scale_in_cooldown=scale_in_cooldown,
            scale_out_cooldown=scale_out_cooldown,
            unit="concurrent requests per copy",
        )

    def scale_out_from_zero(self, construct_id: str, *, cooldown: Duration | None = None) -> None:
        """Add a copy when calls fail for want of one (``NoCapacityInvocationFailures`` Sum >= 1 in a minute,
        dimension InferenceComponentName; the guide's ``> 1`` would need two failures). Needs ``min_capacity=0``.

        :param cooldown: Default: 60 seconds.
        """
        self._scale_out_from_zero_on(construct_id, self.component.metric_no_capacity_invocation_failures(), cooldown)
