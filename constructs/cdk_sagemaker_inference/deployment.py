"""How a live endpoint (or inference component) moves to a new config: deployment guardrails.

- `BlueGreenDeployment`: a new (green) fleet, traffic shifted all at once, in a canary step or in linear
  steps (`TrafficRouting`), baking between shifts, the old fleet kept ``termination_wait`` before it goes.
- `RollingDeployment`: the fleet replaced in batches (`CapacitySize`), each baking ``wait_interval``.
- `ComponentRollingUpdate`: an inference component's copies replaced in batches.

Each may roll back automatically when one of 1 to 10 CloudWatch alarms fires during the deployment
(``rollback_alarms``; SageMaker reads them with ``cloudwatch:DescribeAlarms`` as the deploying principal).
Guardrails apply to real-time and asynchronous endpoints only; rolling updates not to several variants; Inf1
and AWS Marketplace endpoints silently fall back to all at once without baking. Limits come from botocore's API model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration
from aws_cdk import aws_sagemaker as sagemaker

from . import api_model, rules, validation
from .errors import Problems
from .rules import Rule

if TYPE_CHECKING:
    from aws_cdk import aws_cloudwatch as cloudwatch

    from .endpoint_config import EndpointConfig

PERCENT = "CAPACITY_PERCENT"
INSTANCES = "INSTANCE_COUNT"
COPIES = "COPY_COUNT"
CANARY_MAX_PERCENT = 50
WHOLE = "a whole number, e.g. 10"
LINEAR_PERCENT = (10, 50)
ROLLING_PERCENT = (5, 50)
SIZED_ROUTING = {"CANARY": "CanarySize", "LINEAR": "LinearStepSize"}  # the CloudFormation property of each size
PROVISIONING_SECONDS = 600  # what a deployment's timeout should leave for the new fleet beyond its waits
# SageMaker sends its endpoint metrics to CloudWatch each minute, so an alarm sees a period's data up to a
# minute after it ends (guide: "Amazon SageMaker AI metrics in Amazon CloudWatch").
PUBLISHING_DELAY_SECONDS = 60


@dataclass(frozen=True)
class CapacitySize:
    """A share of a fleet: a percentage of its capacity, or a number of instances (or component copies)."""

    type: str
    value: int

    @staticmethod
    def percent(value: int) -> CapacitySize:
        """``value`` % of the fleet's capacity (``CAPACITY_PERCENT``)."""
        return CapacitySize(PERCENT, validation.checked("CapacitySize.percent", "value", value, int, WHOLE))

    @staticmethod
    def instance_count(value: int) -> CapacitySize:
        """``value`` instances (``INSTANCE_COUNT``)."""
        return CapacitySize(INSTANCES, validation.checked("CapacitySize.instance_count", "value", value, int, WHOLE))

    @staticmethod
    def copy_count(value: int) -> CapacitySize:
        """``value`` copies of an inference component (``COPY_COUNT``)."""
        return CapacitySize(COPIES, validation.checked("CapacitySize.copy_count", "value", value, int, WHOLE))

    def share_of(self, fleet: int | None) -> float | None:
        """The share of a variant of ``fleet`` instances, in percent; None when unknown."""
        if self.type == PERCENT:
            return float(self.value)
        if fleet is None or not fleet or validation.is_unresolved(self.value) or abs(self.value) > 2**31:
            return None
        return 100 * self.value / fleet

    def check(
        self,
        problems: Problems,
        prop: str,
        shape: str,
        share: tuple[float, float],
        fleet: int | None,
        unit: str = "instances",
        api: str | None = None,
    ) -> None:
        """The type and value fit ``shape``, and the share of ``fleet`` (``unit``: a variant's instances or a
        component's copies) lies within ``share`` (percent); ``api`` names the size's API property."""
        validation.check_value(problems, f"{prop}.type", self.type, api_model.member(shape, "Type"), "use a factory")
        validation.check_value(problems, f"{prop}.value", self.value, api_model.member(shape, "Value"), "give 1+")
        if problems.items:
            return
        part = self.share_of(fleet)
        low, high = share
        if part is not None and not low <= part <= high:
            problems.add(
                rules.DEPLOYMENT_SIZE,
                prop,
                f"{self.value} ({self.type}, {part:g} % of {fleet or 'the'} {unit})",
                f"{low:g} to {high:g} % of {'each variant' if unit == 'instances' else 'the component'}'s {unit}",
                "choose a step within that share",
                api=api,
            )


@dataclass(frozen=True)
class TrafficRouting:
    """How a blue/green deployment shifts traffic to the new fleet; ``wait_interval`` bakes after each shift."""

    type: str
    wait_interval: Duration
    size: CapacitySize | None = None

    @staticmethod
    def all_at_once(*, wait_interval: Duration | None = None) -> TrafficRouting:
        """All traffic at once, then bake ``wait_interval`` (0 to 1 h). Default: 0 (SageMaker's default update)."""
        return TrafficRouting("ALL_AT_ONCE", wait_interval or Duration.seconds(0))

    @staticmethod
    def canary(size: CapacitySize, *, wait_interval: Duration) -> TrafficRouting:
        """``size`` (at most 50 % of each variant's new fleet) first, bake ``wait_interval``, then the rest."""
        return TrafficRouting("CANARY", wait_interval, size)

    @staticmethod
    def linear(step: CapacitySize, *, wait_interval: Duration) -> TrafficRouting:
        """Steps of ``step`` (10 to 50 % of each variant's new fleet), baking ``wait_interval`` after each."""
        return TrafficRouting("LINEAR", wait_interval, step)

    def bake_seconds(self) -> float | None:
        """Seconds spent baking across the shifts: one wait (all at once), two (canary: after the canary and after
        the full shift), one per step (linear); None when unknown at synth time."""
        wait = validation.rendered_seconds(self.wait_interval)
        if wait is None or validation.is_unresolved(wait):
            return None
        if self.type == "CANARY":  # the canary's bake, then the final bake after the full shift
            return 2.0 * float(wait)
        if self.type != "LINEAR" or not isinstance(self.size, CapacitySize):
            return float(wait)
        share = self.size.share_of(None)
        if share is None or not math.isfinite(share) or share <= 0:  # unknown, or refused by the size checks
            return None
        return math.ceil(100 / share) * float(wait)


@dataclass(frozen=True, kw_only=True)
class _Guardrail:
    rollback_alarms: Sequence[cloudwatch.IAlarm] = field(default_factory=tuple)
    maximum_execution_timeout: Duration | None = None


@dataclass(frozen=True, kw_only=True)
class BlueGreenDeployment(_Guardrail):
    """Blue/green: a new fleet, traffic shifted by ``traffic_routing``, the old fleet kept until it is done.

    :param traffic_routing: Default: ``TrafficRouting.all_at_once()``.
    :param termination_wait: keep the old fleet this long after the shift (0 to 1 h). Default: 0.
    :param maximum_execution_timeout: the whole deployment's limit, 10 min to 8 h, longer than its baking.
        Default: - SageMaker's.
    :param rollback_alarms: 1 to 10 alarms that roll the deployment back (e.g.
        ``alarms.of_severity(Severity.CRITICAL)``). Default: - none.
    """

    traffic_routing: TrafficRouting = field(default_factory=TrafficRouting.all_at_once)
    termination_wait: Duration | None = None


@dataclass(frozen=True, kw_only=True)
class RollingDeployment(_Guardrail):
    """Rolling: the fleet replaced ``maximum_batch_size`` (5 to 50 %) at a time, each batch baking.

    :param maximum_batch_size: instances per batch.
    :param wait_interval: bake after each batch (0 to 1 h).
    :param maximum_execution_timeout: 10 min to 8 h. Default: - SageMaker's.
    :param rollback_maximum_batch_size: batches when rolling back. Default: - all at once (blue/green).
    :param rollback_alarms: Default: - none.
    """

    maximum_batch_size: CapacitySize
    wait_interval: Duration
    rollback_maximum_batch_size: CapacitySize | None = None


@dataclass(frozen=True, kw_only=True)
class ComponentRollingUpdate(_Guardrail):
    """An inference component's copies replaced ``maximum_batch_size`` at a time (`CapacitySize.copy_count` or
    ``percent``), each batch baking ``wait_interval``.

    :param rollback_maximum_batch_size: Default: - all at once.
    :param maximum_execution_timeout: 10 min to 8 h. Default: - SageMaker's.
    :param rollback_alarms: Default: - none.
    """

    maximum_batch_size: CapacitySize
    wait_interval: Duration
    rollback_maximum_batch_size: CapacitySize | None = None

    def validate(self, problems: Problems, prop: str, alarms: Sequence[cloudwatch.IAlarm], copies: int | None) -> None:
        """Check against the component's smallest number of ``copies`` (None: unknown): batches of 5 to 50 % of
        it (botocore's MaximumBatchSize), and at least one copy."""
        if not _check_parts(problems, prop, self):
            return
        shape = "InferenceComponentRollingUpdatePolicy"
        for name, share in (("maximum_batch_size", ROLLING_PERCENT), ("rollback_maximum_batch_size", (0, 100))):
            size = getattr(self, name)
            if size is None:
                continue
            api = "".join(word.capitalize() for word in name.split("_"))
            size.check(problems, f"{prop}.{name}", "InferenceComponentCapacitySize", share, copies, "copies", api)
            part = size.share_of(copies)
            if name == "maximum_batch_size" and copies and part is not None and part * copies < 100:
                problems.add(
                    rules.DEPLOYMENT_SIZE,
                    f"{prop}.{name}",
                    f"{size.value} ({size.type}, {part * copies / 100:g} of {copies} copies)",
                    "at least 1 copy per batch",
                    "use CapacitySize.copy_count(1), or run more copies",
                )
        _check_seconds(problems, prop, shape, self.wait_interval, self.maximum_execution_timeout, None)
        check_alarms(problems, prop, alarms, self.wait_interval)

    def render(
        self, alarms: Sequence[cloudwatch.IAlarm]
    ) -> sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty:
        cfn = sagemaker.CfnInferenceComponent
        size = cfn.InferenceComponentCapacitySizeProperty
        return cfn.InferenceComponentDeploymentConfigProperty(
            rolling_update_policy=cfn.InferenceComponentRollingUpdatePolicyProperty(
                maximum_batch_size=_render_size(size, self.maximum_batch_size),
                wait_interval_in_seconds=validation.rendered_seconds(self.wait_interval) or 0,
                maximum_execution_timeout_in_seconds=validation.rendered_seconds(self.maximum_execution_timeout),
                rollback_maximum_batch_size=_render_size(size, self.rollback_maximum_batch_size),
            ),
            auto_rollback_configuration=cfn.AutoRollbackConfigurationProperty(
                alarms=[cfn.AlarmProperty(alarm_name=alarm.alarm_name) for alarm in alarms]
            )
            if alarms
            else None,
        )


EndpointDeployment = BlueGreenDeployment | RollingDeployment


def validate_endpoint_deployment(
    problems: Problems,
    deployment: EndpointDeployment,
    config: EndpointConfig | None,
    alarms: Sequence[cloudwatch.IAlarm],
) -> list[tuple[Rule, str]]:
    """Add the deployment's problems against the config it deploys (None: imported, unknown); return warnings,
    each with its rule."""
    from .variants import InstanceVariant, ServerlessProductionVariant

    prop = "deployment"
    warnings: list[tuple[Rule, str]] = []
    variants = list(config.production_variants) if config is not None else []
    if any(isinstance(variant, ServerlessProductionVariant) for variant in variants):
        problems.add(
            rules.DEPLOYMENT_KIND,
            prop,
            type(deployment).__name__,
            "guardrails on real-time and asynchronous endpoints only: serverless endpoints refuse them",
            "drop deployment= (a serverless endpoint updates all at once)",
        )
    if not _check_parts(problems, prop, deployment):
        return warnings
    # Steps are shares of each variant's fleet: the smallest variant bounds them.
    counts = [v.initial_instance_count for v in variants if isinstance(v, InstanceVariant)]
    fleet = min(counts) if counts and not any(validation.is_unresolved(count) for count in counts) else None
    stepped = isinstance(deployment, RollingDeployment) or deployment.traffic_routing.size is not None
    if stepped and fleet == 1:
        problems.add(
            rules.DEPLOYMENT_SIZE,
            prop,
            f"{type(deployment).__name__} in steps of a variant of 1 instance",
            "steps of at most half a variant's instances: a variant of one instance has no smaller step than all of it",
            "use TrafficRouting.all_at_once(wait_interval=...), or 2 or more instances per variant",
        )
    if isinstance(deployment, RollingDeployment):
        if len(variants) > 1:
            problems.add(
                rules.DEPLOYMENT_KIND,
                prop,
                f"RollingDeployment of {len(variants)} variants",
                "a rolling deployment of an endpoint with one variant: SageMaker refuses several",
                "use BlueGreenDeployment, or one variant",
            )
        deployment.maximum_batch_size.check(
            problems, f"{prop}.maximum_batch_size", "CapacitySize", ROLLING_PERCENT, fleet, api="MaximumBatchSize"
        )
        if deployment.rollback_maximum_batch_size is not None:
            deployment.rollback_maximum_batch_size.check(
                problems,
                f"{prop}.rollback_maximum_batch_size",
                "CapacitySize",
                (0, 100),
                fleet,
                api="RollbackMaximumBatchSize",
            )
        _check_seconds(
            problems, prop, "RollingUpdatePolicy", deployment.wait_interval, deployment.maximum_execution_timeout, None
        )
    else:
        routing = deployment.traffic_routing
        validation.check_value(
            problems,
            f"{prop}.traffic_routing.type",
            routing.type,
            api_model.member("TrafficRoutingConfig", "Type"),
            "use a TrafficRouting factory",
        )
        sized = routing.type in SIZED_ROUTING
        if sized and not isinstance(routing.size, CapacitySize):
            problems.add(
                rules.DEPLOYMENT_SIZE,
                f"{prop}.traffic_routing.size",
                routing.size,
                f"a CapacitySize: {routing.type} shifts traffic in steps of it",
                "give e.g. CapacitySize.percent(25) (or CapacitySize.instance_count(1))",
                api=SIZED_ROUTING[routing.type],
            )
        elif not sized and routing.size is not None:
            problems.add(
                rules.DEPLOYMENT_SIZE,
                f"{prop}.traffic_routing.size",
                routing.size,
                f"no size for {routing.type}: it shifts all traffic at once",
                "use TrafficRouting.canary(size, ...) or .linear(step, ...), or drop the size",
            )
        elif routing.size is not None:
            share = (0, CANARY_MAX_PERCENT) if routing.type == "CANARY" else LINEAR_PERCENT
            api = SIZED_ROUTING[routing.type]
            routing.size.check(problems, f"{prop}.traffic_routing.size", "CapacitySize", share, fleet, api=api)
        _check_seconds(
            problems,
            f"{prop}.traffic_routing",
            "TrafficRoutingConfig",
            routing.wait_interval,
            None,
            None,
        )
        termination = validation.seconds_of(problems, f"{prop}.termination_wait", deployment.termination_wait)
        validation.check_value(
            problems,
            f"{prop}.termination_wait",
            termination,
            api_model.member("BlueGreenUpdatePolicy", "TerminationWaitInSeconds"),
            "choose 0 to 1 hour",
        )
        baking = routing.bake_seconds()
        known_termination = 0 if termination is None else termination
        waits = None if baking is None or validation.is_unresolved(known_termination) else baking + known_termination
        _check_seconds(problems, prop, "BlueGreenUpdatePolicy", None, deployment.maximum_execution_timeout, waits)
        limit = validation.rendered_seconds(deployment.maximum_execution_timeout)
        known = waits is not None and isinstance(limit, int | float) and not validation.is_unresolved(limit)
        if known and waits < limit < waits + PROVISIONING_SECONDS:  # type: ignore[operator]
            warnings.append(
                (
                    rules.DEPLOYMENT_PROVISIONING,
                    f"maximum_execution_timeout ({limit:g} s) leaves {limit - waits:g} s beyond the baking and "  # type: ignore[operator]
                    f"termination waits ({waits:g} s) to provision the new fleet; under {PROVISIONING_SECONDS} s "
                    "the deployment may time out and roll back",
                )
            )
    check_alarms(problems, prop, alarms, bake_of(deployment))
    inf1 = [v.variant_name for v in variants if isinstance(v, InstanceVariant) and v.instance_type.is_inf1]
    marketplace = [v.variant_name for v in variants if any(getattr(m, "is_marketplace", False) for m in v.models)]
    for names, where in ((inf1, "run on Inf1"), (marketplace, "serve AWS Marketplace model packages")):
        if names:
            warnings.append(
                (
                    rules.DEPLOYMENT_FALLBACK,
                    f"variants {names} {where}, where SageMaker silently replaces the deployment guardrails with "
                    "all at once and no baking: the deployment settings and rollback alarms have no effect there",
                )
            )
    return warnings


def render_endpoint_deployment(
    deployment: EndpointDeployment, alarms: Sequence[cloudwatch.IAlarm]
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    cfn = sagemaker.CfnEndpoint

    def as_size(value: CapacitySize | None) -> Any:
        return _render_size(cfn.CapacitySizeProperty, value)

    rollback = (
        cfn.AutoRollbackConfigProperty(alarms=[cfn.AlarmProperty(alarm_name=alarm.alarm_name) for alarm in alarms])
        if alarms
        else None
    )
    if isinstance(deployment, RollingDeployment):
        return cfn.DeploymentConfigProperty(
            rolling_update_policy=cfn.RollingUpdatePolicyProperty(
                maximum_batch_size=as_size(deployment.maximum_batch_size),
                wait_interval_in_seconds=validation.rendered_seconds(deployment.wait_interval) or 0,
                maximum_execution_timeout_in_seconds=validation.rendered_seconds(deployment.maximum_execution_timeout),
                rollback_maximum_batch_size=as_size(deployment.rollback_maximum_batch_size),
            ),
            auto_rollback_configuration=rollback,
        )
    routing = deployment.traffic_routing
    sized = {"CANARY": "canary_size", "LINEAR": "linear_step_size"}.get(routing.type)
    return cfn.DeploymentConfigProperty(
        blue_green_update_policy=cfn.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=cfn.TrafficRoutingConfigProperty(
                type=routing.type,
                # Always given: the API requires it (the guide's all-at-once example leaves it out).
                wait_interval_in_seconds=validation.rendered_seconds(routing.wait_interval) or 0,
                **({sized: as_size(routing.size)} if sized else {}),
            ),
            termination_wait_in_seconds=validation.rendered_seconds(deployment.termination_wait),
            maximum_execution_timeout_in_seconds=validation.rendered_seconds(deployment.maximum_execution_timeout),
        ),
        auto_rollback_configuration=rollback,
    )


def check_alarm_types(problems: Problems, prop: str, alarms: object) -> bool:
    """A list of CloudWatch alarms (``IAlarm``: an ``Alarm`` or ``Alarm.from_alarm_arn``); True when it is."""
    if not validation.check_type(problems, prop, alarms, (list, tuple), "[alarm, ...] of cloudwatch alarms"):
        return False
    assert isinstance(alarms, (list, tuple))
    write = "a cloudwatch.Alarm or cloudwatch.Alarm.from_alarm_arn(...)"
    return all(
        [
            validation.check_interface(problems, f"{prop}[{index}]", alarm, "cloudwatch.IAlarm", "alarm_name", write)
            for index, alarm in enumerate(alarms)
        ]
    )


def _check_parts(problems: Problems, prop: str, deployment: object) -> bool:
    """The deployment's routing, batch sizes and rollback alarms are of their types (a dict or a string is not)."""
    parts = {
        "traffic_routing": (TrafficRouting, "TrafficRouting.canary(CapacitySize.percent(25), wait_interval=...)"),
        "maximum_batch_size": (CapacitySize, "CapacitySize.percent(10) or CapacitySize.instance_count(1)"),
        "rollback_maximum_batch_size": (CapacitySize, "CapacitySize.percent(50)"),
    }
    before = len(problems.items)
    for name, (kind, write) in parts.items():
        value = getattr(deployment, name, None)
        optional = name == "rollback_maximum_batch_size"
        if hasattr(deployment, name) and (value is not None or not optional):
            validation.check_type(problems, f"{prop}.{name}", value, kind, write)
    check_alarm_types(problems, f"{prop}.rollback_alarms", getattr(deployment, "rollback_alarms", []))
    return len(problems.items) == before


def _check_seconds(
    problems: Problems,
    prop: str,
    shape: str,
    wait: Duration | None,
    timeout: Duration | None,
    waits: float | None,
) -> None:
    """The wait and the timeout within ``shape``'s limits, and the timeout longer than the known ``waits``."""
    if wait is not None:
        seconds = validation.seconds_of(problems, f"{prop}.wait_interval", wait)
        validation.check_value(
            problems,
            f"{prop}.wait_interval",
            seconds,
            api_model.member(shape, "WaitIntervalInSeconds"),
            "choose 0 to 1 hour",
        )
    if timeout is None:
        return
    limit = validation.seconds_of(problems, f"{prop}.maximum_execution_timeout", timeout)
    validation.check_value(
        problems,
        f"{prop}.maximum_execution_timeout",
        limit,
        api_model.member(shape, "MaximumExecutionTimeoutInSeconds"),
        "choose 10 minutes to 8 hours",
    )
    if waits is not None and limit is not None and not validation.is_unresolved(limit) and limit <= waits:
        problems.add(
            rules.DEPLOYMENT_SIZE,
            f"{prop}.maximum_execution_timeout",
            f"{limit:g} seconds",
            f"longer than the deployment's baking and termination waits ({waits:g} seconds)",
            "raise the timeout or shorten the waits",
        )


def check_alarms(
    problems: Problems, prop: str, alarms: Sequence[cloudwatch.IAlarm], wait_interval: Duration | None
) -> None:
    """1 to 10 alarms, each able to reach ALARM within one bake of ``wait_interval`` (see `alarm_window`)."""
    if not alarms:
        return
    validation.check_count(
        problems,
        f"{prop}.rollback_alarms",
        list(alarms),
        api_model.member("AutoRollbackConfig", "Alarms"),
        "roll back on the few alarms that matter most (e.g. the critical ones)",
    )
    bake = validation.rendered_seconds(wait_interval)
    if bake is None or validation.is_unresolved(bake):
        return
    for index, alarm in enumerate(alarms):
        window = alarm_window(alarm)
        if window is not None and window[0] > bake:
            seconds, datapoints, period = window
            problems.add(
                rules.ROLLBACK_ALARMS,
                f"{prop}.rollback_alarms[{index}]",
                alarm.node.path,
                f"an alarm that can reach ALARM within the {bake:g} s bake it guards (wait_interval); it needs "
                f"{seconds} s: {datapoints} breaching period(s) of {period} s + {PUBLISHING_DELAY_SECONDS} s until "
                "SageMaker's data points arrive",
                "lower its evaluation_periods (or datapoints_to_alarm) or period, or bake longer; "
                "EndpointAlarms.add_rollback_alarms() sizes alarms to the bake",
            )


def alarm_window(alarm: cloudwatch.IAlarm) -> tuple[int, int, int] | None:
    """(seconds, datapoints, period) until ``alarm`` can first reach ALARM: ``datapoints`` breaching periods plus
    `PUBLISHING_DELAY_SECONDS`; None for an imported alarm, metric math or deploy-time values."""
    from aws_cdk import aws_cloudwatch as cloudwatch  # loaded once an app has rollback alarms

    resource = alarm.node.default_child if isinstance(alarm, cloudwatch.Alarm) else None
    if not isinstance(resource, cloudwatch.CfnAlarm):
        return None
    period = resource.period
    datapoints = resource.datapoints_to_alarm or resource.evaluation_periods
    if not isinstance(period, int | float) or not isinstance(datapoints, int | float):
        return None
    if validation.is_unresolved(period) or validation.is_unresolved(datapoints):
        return None
    return int(datapoints * period + PUBLISHING_DELAY_SECONDS), int(datapoints), int(period)


def bake_of(deployment: EndpointDeployment | ComponentRollingUpdate) -> Duration:
    """The baking period each rollback alarm guards: one wait between shifts or batches."""
    if isinstance(deployment, BlueGreenDeployment):
        return deployment.traffic_routing.wait_interval
    return deployment.wait_interval


def _render_size(property_type: Any, size: CapacitySize | None) -> Any:
    """``size`` as the CloudFormation property of one resource (the endpoint's or a component's)."""
    return property_type(type=size.type, value=size.value) if size else None
