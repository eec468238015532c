"""SageMaker endpoints: the one this library defines and imported ones, with their convenience methods.

What an endpoint is (name, config, variants, metrics) is `endpoint_core`; the methods here that scale a
variant or add a smoke test import those add-ons, which import only `endpoint_core`.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aws_cdk import Duration, Stack
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IConstruct

from . import api_model, per_stack, rules, validation
from .endpoint_config import EndpointConfig, EndpointConfigBase, IEndpointConfig
from .endpoint_core import EndpointCore
from .errors import Problems, ValidationError
from .imported import Identity, ImportedResource, identity
from .names import physical_name
from .variants import ProductionVariant, ServerlessProductionVariant, Variant

if TYPE_CHECKING:  # types only, or loaded on first use: each aws_cdk module costs import time
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk.aws_cloudwatch import Metric

    from .deployment import EndpointDeployment
    from .inference_component import InferenceComponent
    from .scaling import InstanceCount, ProvisionedConcurrency
    from .smoke_test import EndpointSmokeTest, ExpectedResponse, SmokeTestPayload

NAME_FIX = "use letters, digits and hyphens (not at the start or end), from 1 to 63 characters"


class EndpointBase(EndpointCore):
    """What every endpoint offers, defined here or imported: `EndpointCore` (grants, CloudWatch metrics) and
    the add-ons a variant or the endpoint takes (``find_variant(...).auto_scale_*``, ``add_smoke_test``).
    """

    def add_smoke_test(
        self,
        construct_id: str | None = None,
        *,
        payload: SmokeTestPayload,
        expect: ExpectedResponse | None = None,
        **options: Any,
    ) -> EndpointSmokeTest:
        """Invoke this endpoint during every deploy that changes it; a wrong answer fails the deploy.

        The test is defined beside the endpoint (in its scope), not inside it: whatever depends on the
        endpoint does not wait for the test, and a test may wait for things that depend on the endpoint.
        ``options`` are `EndpointSmokeTest`'s other arguments (targets, ``async_locations``, ``timeout``).
        Default ``construct_id``: ``<endpoint id>SmokeTest``, then ``<endpoint id>SmokeTest2``, ...
        """
        from .smoke_test import EndpointSmokeTest

        scope = cast(Construct, self.node.scope)  # an endpoint always has one
        if construct_id is None:
            base = f"{self.node.id}SmokeTest"
            taken = {child.node.id for child in scope.node.children}
            construct_id = next(
                name
                for name in (f"{base}{index if index > 1 else ''}" for index in range(1, len(taken) + 2))
                if name not in taken
            )
        return EndpointSmokeTest(scope, construct_id, endpoint=self, payload=payload, expect=expect, **options)

    def find_variant(self, variant_name: str) -> EndpointVariant:
        """One variant of this endpoint, with its metrics; its name must be one of the config's."""
        self.check_variant("variant_name", variant_name)
        return EndpointVariant(self, variant_name)


@dataclass(frozen=True)
class EndpointVariant:
    """One variant of an endpoint (`EndpointBase.find_variant`): its metrics, with the variant's dimensions."""

    endpoint: EndpointBase
    variant_name: str

    def metric(self, metric_name: str, **options: Any) -> Metric:
        """Any metric of this variant; ``options`` as `EndpointBase.metric` takes them (statistic, unit, ...)."""
        return self.endpoint.metric(metric_name, self.variant_name, **options)

    def metric_invocations(self, *, period: Duration | None = None) -> Metric:
        """See `EndpointBase.metric_invocations`."""
        return self.endpoint.metric_invocations(self.variant_name, period=period)

    def metric_model_latency(self, *, statistic: str = "Average", period: Duration | None = None) -> Metric:
        """See `EndpointBase.metric_model_latency` (microseconds)."""
        return self.endpoint.metric_model_latency(self.variant_name, statistic=statistic, period=period)

    def metric_invocation_5xx_errors(self, *, statistic: str = "Sum", period: Duration | None = None) -> Metric:
        """See `EndpointBase.metric_invocation_5xx_errors`."""
        return self.endpoint.metric_invocation_5xx_errors(self.variant_name, statistic=statistic, period=period)

    def metric_invocation_4xx_errors(self, *, statistic: str = "Sum", period: Duration | None = None) -> Metric:
        """See `EndpointBase.metric_invocation_4xx_errors`."""
        return self.endpoint.metric_invocation_4xx_errors(self.variant_name, statistic=statistic, period=period)

    def auto_scale_instance_count(
        self, *, min_capacity: int, max_capacity: int, guard_instance_type_changes: bool = True
    ) -> InstanceCount:
        """Scale this instance variant's instances between ``min_capacity`` and ``max_capacity`` (0 allowed for
        an asynchronous endpoint); add policies to what it returns. Not for serverless variants or the hosts of
        inference components (their ``managed_instance_scaling`` does that).

        :param guard_instance_type_changes: on an `Endpoint`, let a change of this variant's instance type deploy
            in one ``cdk deploy`` and leave its scaling as declared when that deploy fails (`scaling_guard`: two
            custom resources, and one Lambda provider per stack, about 1 s of synth). False drops them: a type
            change then fails its deploy, which rolls back with nothing changed, until the scaling is removed in
            a deploy of its own. Default: True.
        """
        from .scaling import INSTANCES, InstanceCount, check_capacity, floor_of

        config = self.endpoint.endpoint_config
        variant = self._variant()
        asynchronous = config is not None and config.async_inference is not None
        problems = Problems()
        if variant is not None and not isinstance(variant, ProductionVariant):
            fix = (
                "use auto_scale_provisioned_concurrency"
                if isinstance(variant, ServerlessProductionVariant)
                else "set the host variant's managed_instance_scaling, and scale the components' copies"
            )
            problems.add(rules.SCALING_KIND, "variant", type(variant).__name__, "a ProductionVariant", fix)
        elif isinstance(variant, ProductionVariant) and variant.instance_type.is_burstable:
            problems.add(
                rules.SCALING_KIND,
                "instance_type",
                variant.instance_type.name,
                "a type other than burstable (ml.t*): Application Auto Scaling refuses to register those",
                "choose e.g. ml.m5.large or ml.c5.large",
            )
        current = (
            ("initial_instance_count", variant.initial_instance_count)
            if isinstance(variant, ProductionVariant)
            else None
        )
        check_capacity(
            problems, min_capacity, max_capacity, floor=floor_of(INSTANCES, asynchronous=asynchronous), current=current
        )
        construct_id = f"{self.variant_name}InstanceCount"
        if isinstance(variant, ProductionVariant) and not validation.is_unresolved(variant.instance_type.name):
            # A new instance type gives the target a new logical ID: registered anew after the endpoint update.
            construct_id += hashlib.sha256(variant.instance_type.name.encode()).hexdigest()[:8].upper()
        validation.check_type(
            problems, "guard_instance_type_changes", guard_instance_type_changes, bool, "True or False"
        )
        self._raise_if_any(problems, f"{self.variant_name}InstanceCount")
        count = InstanceCount(
            self.endpoint,
            construct_id,
            endpoint=self.endpoint,
            variant_name=self.variant_name,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            asynchronous=asynchronous,
            scales=self._scaled_resource(),
        )
        if isinstance(self.endpoint, Endpoint):
            self.endpoint.retain_scaled_capacity()
            if isinstance(variant, ProductionVariant) and guard_instance_type_changes:
                count.guard_instance_type_changes(self.endpoint, variant.instance_type.name)
        return count

    def auto_scale_provisioned_concurrency(self, *, min_capacity: int, max_capacity: int) -> ProvisionedConcurrency:
        """Scale this serverless variant's provisioned concurrency between ``min_capacity`` (at least 1) and
        ``max_capacity`` (at most its ``max_concurrency``); the variant needs a ``provisioned_concurrency``."""
        from .scaling import PROVISIONED_CONCURRENCY, ProvisionedConcurrency, check_capacity, floor_of

        variant = self._variant()
        problems = Problems()
        current = None
        if variant is not None and not isinstance(variant, ServerlessProductionVariant):
            problems.add(
                rules.SCALING_KIND,
                "variant",
                type(variant).__name__,
                "a ServerlessProductionVariant",
                "scale instances",
            )
        elif isinstance(variant, ServerlessProductionVariant):
            if variant.provisioned_concurrency is None:
                problems.add(
                    rules.SCALING_KIND,
                    "provisioned_concurrency",
                    None,
                    "a provisioned concurrency on the variant to scale from",
                    "give ServerlessProductionVariant(provisioned_concurrency=1, ...)",
                )
            current = ("provisioned_concurrency", variant.provisioned_concurrency)
            known = not any(validation.is_unresolved(v) for v in (max_capacity, variant.max_concurrency))
            if known and isinstance(max_capacity, int) and max_capacity > variant.max_concurrency:
                problems.add(
                    rules.SCALING_CAPACITY,
                    "max_capacity",
                    max_capacity,
                    f"at most the variant's max_concurrency ({variant.max_concurrency})",
                    "lower max_capacity or raise max_concurrency",
                )
        check_capacity(problems, min_capacity, max_capacity, floor=floor_of(PROVISIONED_CONCURRENCY), current=current)
        self._raise_if_any(problems, f"{self.variant_name}ProvisionedConcurrency")
        concurrency = ProvisionedConcurrency(
            self.endpoint,
            f"{self.variant_name}ProvisionedConcurrency",
            endpoint=self.endpoint,
            variant_name=self.variant_name,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            scales=self._scaled_resource(),
        )
        if isinstance(self.endpoint, Endpoint):
            self.endpoint.retain_scaled_capacity()
        return concurrency

    def _variant(self) -> Variant | None:
        config = self.endpoint.endpoint_config
        if config is None or validation.is_unresolved(self.variant_name):
            return None  # an imported endpoint's variants are unknown
        return next(variant for variant in config.all_variants if variant.variant_name == self.variant_name)

    def _scaled_resource(self) -> Construct | None:
        return self.endpoint.resource if isinstance(self.endpoint, Endpoint) else None

    def _raise_if_any(self, problems: Problems, construct_id: str) -> None:
        taken = [child.node.id for child in self.endpoint.node.children if child.node.id.startswith(construct_id)]
        if taken:
            problems.add(
                rules.SCALING_KIND,
                "variant_name",
                self.variant_name,
                "one scalable target per variant and dimension",
                "add policies to the one auto_scale_*() returned first",
            )
        if problems.items:
            raise ValidationError(f"{self.endpoint.node.path}/{construct_id}", problems.items)


class _ImportedEndpoint(ImportedResource, EndpointBase):
    def __init__(self, scope: Construct, construct_id: str, *, identity: Identity) -> None:
        super().__init__(scope, construct_id, identity=identity)
        if not validation.is_unresolved(identity.arn):  # metrics live in the endpoint's account and Region
            _, _, _, region, account, _ = identity.arn.split(":", 5)
            if (account, region) != (self.stack_facts.account, self.stack_facts.region):
                self._metric_environment = {"account": account, "region": region}

    @property
    def endpoint_name(self) -> str:
        return self.identity.name

    @property
    def endpoint_arn(self) -> str:
        return self.identity.arn


class Endpoint(EndpointBase):
    """A SageMaker endpoint (``AWS::SageMaker::Endpoint``) serving an `EndpointConfig`.

    The endpoint updates in place when its config changes. Its name is known at synth time: a
    deterministic, valid name derived from the construct path unless you give one, so alarms and
    policies can name it without waiting for the resource. A live endpoint cannot switch between
    instance and serverless variants: the default name carries the kind, so such a change replaces the
    endpoint (a new name); with an explicit ``endpoint_name``, give it a new name for such a change.

    :param endpoint_config: the config to serve: an `EndpointConfig`, or an imported one (then nothing is
        checked against its variants, and ``endpoint_config`` is None; ``served_config`` holds it).
    :param endpoint_name: the name; letters, digits and hyphens, at most 63 characters.
        Default: - ``<stack>-<path>-<hash>``, then a digest of the variant names when there is a ``deployment``
        (guardrails refuse a changed variant set, so such a change replaces the endpoint) and ``-serverless`` for
        serverless, at most 63 characters.
    :param deployment: how a config change reaches the live endpoint: `BlueGreenDeployment` (all at once,
        canary or linear, with baking) or `RollingDeployment`, with rollback alarms (more with
        `add_rollback_alarms`). Default: - SageMaker's: blue/green, all at once, no baking, no rollback alarms.

    Once any of its variants autoscales, the endpoint keeps the live instance counts across config changes
    (``RetainAllVariantProperties``), except the weights and data capture, so a new weight still applies.
    """

    resource: sagemaker.CfnEndpoint

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_config: IEndpointConfig,
        endpoint_name: str | None = None,
        deployment: EndpointDeployment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack_facts = per_stack.facts(scope)
        problems = Problems()
        validation.check_value(problems, "endpoint_name", endpoint_name, api_model.shape("EndpointName"), NAME_FIX)
        if validation.check_type(
            problems,
            "endpoint_config",
            endpoint_config,
            EndpointConfigBase,
            "EndpointConfig(scope, 'Config', ...)",
            expected_name="EndpointConfig",
        ):
            self.stack_facts.check_same_environment(
                problems, "endpoint_config", endpoint_config.stack_facts, endpoint_config
            )
            _check_stack_order(problems, self.stack_facts.stack, endpoint_config)
        problems.raise_if_any(self)
        self.served_config = endpoint_config
        self.endpoint_config = endpoint_config if isinstance(endpoint_config, EndpointConfig) else None
        self.inference_components: list[InferenceComponent] = []
        """The `InferenceComponent` s placed on this endpoint, in creation order."""
        self.deployment = deployment
        self._named_variants = _guarded_variant_names(self)
        self._name = endpoint_name or _default_name(self)
        if endpoint_name is not None:
            _claim_name(self, endpoint_name)
        endpoint_config.serve_endpoint(self._name)
        given = getattr(deployment, "rollback_alarms", None)  # checked with the deployment
        self.rollback_alarms: list[cloudwatch.IAlarm] = list(given) if isinstance(given, (list, tuple)) else []
        """The alarms that roll a deployment back, in the order given."""
        self._validate_deployment()
        self.resource = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_name=self._name,
            endpoint_config_name=endpoint_config.endpoint_config_name,
        )
        if deployment is not None:
            per_stack.at_validation(self.stack_facts.stack, self._render_deployment)

    def retain_scaled_capacity(self) -> None:
        """Keep the live instance counts (and provisioned concurrency) across config changes, which autoscaling set;
        weights and data capture still follow the new config. Called by ``auto_scale_*``."""
        excluded = ("DesiredWeight", "DataCaptureConfig")
        self.resource.retain_all_variant_properties = True
        self.resource.exclude_retained_variant_properties = [
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type=name) for name in excluded
        ]

    def _validate_deployment(self) -> None:
        if self.deployment is None:
            return
        from .deployment import BlueGreenDeployment, RollingDeployment, validate_endpoint_deployment

        problems = Problems()
        if validation.check_type(
            problems,
            "deployment",
            self.deployment,
            (BlueGreenDeployment, RollingDeployment),
            "BlueGreenDeployment(traffic_routing=TrafficRouting.canary(...)) or RollingDeployment(...)",
        ):
            for rule, warning in validate_endpoint_deployment(
                problems, self.deployment, self.endpoint_config, self.rollback_alarms
            ):
                validation.warn(self, rule, warning)
        problems.raise_if_any(self)

    def _render_deployment(self) -> list[ValidationError]:
        """At synth, with every rollback alarm added: check their number and render the deployment."""
        from .alarms import check_rollback_alarm
        from .deployment import bake_of, check_alarms, render_endpoint_deployment

        assert self.deployment is not None
        problems = Problems()
        if _guarded_variant_names(self) != self._named_variants:
            problems.add(
                rules.DEPLOYMENT_VARIANTS,
                "endpoint_config.production_variants",
                _guarded_variant_names(self),
                f"the variants the endpoint's default name was made from ({self._named_variants}): a guarded "
                "endpoint's default name carries its variant names",
                "add every variant before defining the Endpoint",
            )
        check_alarms(problems, "deployment", self.rollback_alarms, bake_of(self.deployment))
        for alarm in self.rollback_alarms:
            try:
                check_rollback_alarm(problems, self, alarm)
            except ValidationError as error:  # a variant or metric the endpoint does not have
                problems.items.extend(error.problems)
        if problems.items:
            return [ValidationError(self.node.path, problems.items)]
        self.resource.deployment_config = render_endpoint_deployment(self.deployment, self.rollback_alarms)
        return []

    @property
    def endpoint_name(self) -> str:
        return self._name

    @property
    def endpoint_arn(self) -> str:
        return self.resource.ref

    @staticmethod
    def from_endpoint_name(scope: Construct, construct_id: str, endpoint_name: str) -> EndpointBase:
        """An existing endpoint in this stack's account and Region, by name."""
        return Endpoint.from_endpoint_attributes(scope, construct_id, endpoint_name=endpoint_name)

    @staticmethod
    def from_endpoint_arn(scope: Construct, construct_id: str, endpoint_arn: str) -> EndpointBase:
        """An existing endpoint, by ARN (any account and Region)."""
        return Endpoint.from_endpoint_attributes(scope, construct_id, endpoint_arn=endpoint_arn)

    @staticmethod
    def from_endpoint_attributes(
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str | None = None,
        endpoint_arn: str | None = None,
    ) -> EndpointBase:
        """An existing endpoint from its name, its ARN, or both (at least one).

        SageMaker ARNs hold the name in lower case; a literal name is lower-cased when the ARN is built.
        """
        found = identity(
            scope, construct_id, resource="endpoint", name=endpoint_name, arn=endpoint_arn, shape="Endpoint"
        )
        return _ImportedEndpoint(scope, construct_id, identity=found)


_NAMES: weakref.WeakKeyDictionary[IConstruct, dict[tuple[str, str, str], str]] = weakref.WeakKeyDictionary()


def _claim_name(endpoint: Endpoint, name: str) -> None:
    """No two endpoints of one app may take one literal name where their accounts and Regions may be the same."""
    if validation.is_unresolved(name):
        return
    facts = endpoint.stack_facts
    place = tuple(facts.literal(attribute) or "*" for attribute in ("account", "region"))
    claimed = _NAMES.setdefault(endpoint.node.root, {})
    for (account, region, other_name), path in claimed.items():
        same_place = all(
            "*" in (mine, theirs) or mine == theirs for mine, theirs in zip(place, (account, region), strict=True)
        )
        if other_name == name.lower() and same_place:
            problems = Problems()
            problems.add(
                rules.UNIQUE_ENDPOINT_NAME,
                "endpoint_name",
                name,
                f"a name no other endpoint of this app uses in the same account and Region (taken by {path})",
                "give one of them another endpoint_name, or leave it out for a unique default",
            )
            problems.raise_if_any(endpoint)
    claimed[(place[0], place[1], name.lower())] = endpoint.node.path


# A live endpoint cannot switch between instance and serverless variants (UpdateEndpoint refuses it), so
# the default name carries the kind: changing it renames the endpoint, which CloudFormation replaces.
KIND_SUFFIX = {"instance": "", "serverless": "-serverless"}


def _check_stack_order(problems: Problems, stack: Stack, config: IEndpointConfig) -> None:
    """A config in another stack than the endpoint must not serve a model of the endpoint's stack: the config's
    stack would wait for the endpoint's (the model) and the endpoint's for the config's, a cycle."""
    if not isinstance(config, EndpointConfig) or config.stack_facts.stack is stack:
        return
    models = [model for variant in config.all_variants for model in variant.models]
    here = [model.node.path for model in models if Stack.of(model) is stack]
    if here:
        problems.add(
            rules.SAME_ENVIRONMENT,
            "endpoint_config",
            f"{config.node.path}, serving {', '.join(here)} of this endpoint's stack",
            "a config in the endpoint's stack, or one whose models are all in other stacks: the two stacks would "
            "each wait for the other",
            "define the config in the endpoint's stack (or the model in the config's)",
        )


def _guarded_variant_names(endpoint: Endpoint) -> list[str] | None:
    """The sorted names of the production variants of an endpoint with a deployment (blue/green or rolling keeps
    them: SageMaker refuses a guarded update that adds, removes or renames one); None without a deployment or
    with names known only at deploy time."""
    config = endpoint.endpoint_config
    if endpoint.deployment is None or config is None:
        return None
    names = [variant.variant_name for variant in config.production_variants]
    return None if any(validation.is_unresolved(name) for name in names) else sorted(names)


def _default_name(endpoint: Endpoint) -> str:
    """``<stack>-<path>-<hash>[-<variants>][-serverless]``: unique per construct path and variant kind, stable
    across synths. A guarded endpoint's name also carries a digest of its variant names: a changed variant set,
    which guardrails refuse, replaces the endpoint (a new one under a new name) instead of failing the update."""
    suffix = KIND_SUFFIX[endpoint.served_config.kind]
    variants = endpoint._named_variants
    if variants is not None:
        suffix = f"-{hashlib.sha256(','.join(variants).encode()).hexdigest()[:6]}{suffix}"
    return physical_name(endpoint, "EndpointName", suffix)
