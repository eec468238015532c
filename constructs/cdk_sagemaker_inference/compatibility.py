"""What a variant kind refuses of the rest of its config: one table, keyed by rule ID, checked by the config.

Each entry names both features in its message and the guide's page through its rule (``docs/rules.md``).
A later kind (multi-model, inference components) adds its rows here, not checks in its constructs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import rules
from .errors import Problems
from .rules import Rule
from .variants import ServerlessProductionVariant, Variant

if TYPE_CHECKING:
    from .endpoint_config import EndpointConfig


@dataclass(frozen=True)
class Exclusion:
    """``offends(config, variant)`` is true where the variant's kind refuses something of the config."""

    rule: Rule
    kind: type[Variant]
    offends: Callable[[EndpointConfig, Variant], bool]
    prop: str  # under the variant's property path, or "" for the variant itself
    shown: Callable[[EndpointConfig, Variant], object]
    allowed: str
    fix: str


EXCLUSIONS = (
    Exclusion(
        rules.SERVERLESS_SINGLE_VARIANT,
        ServerlessProductionVariant,
        lambda config, variant: len(config.production_variants) > 1,
        "",
        lambda config, variant: f"{len(config.production_variants)} variants",
        "serverless with exactly one variant: serverless refuses multiple production variants",
        "give the serverless variant an endpoint of its own",
    ),
    Exclusion(
        rules.SERVERLESS_NO_VPC,
        ServerlessProductionVariant,
        lambda config, variant: variant.model.vpc is not None,
        ".model.vpc",
        lambda config, variant: "a VPC",
        "serverless without VPC configuration: serverless refuses a model in a VPC",
        "use a model without vpc=, or an instance variant (ProductionVariant)",
    ),
    Exclusion(
        rules.SERVERLESS_NO_NETWORK_ISOLATION,
        ServerlessProductionVariant,
        lambda config, variant: bool(variant.model.network_isolation),
        ".model.network_isolation",
        lambda config, variant: True,
        "serverless without network isolation: serverless refuses network isolation",
        "use a model with network_isolation=False, or an instance variant (ProductionVariant)",
    ),
    Exclusion(
        rules.SERVERLESS_NO_ASYNC,
        ServerlessProductionVariant,
        lambda config, variant: config.async_inference is not None,
        "",
        lambda config, variant: "serverless with async_inference",
        "asynchronous inference on instance variants only: serverless refuses AsyncInferenceConfig",
        "drop async_inference, or serve the model from a ProductionVariant",
    ),
)


def check(problems: Problems, config: EndpointConfig) -> None:
    """Add a problem for every exclusion a variant of ``config`` offends."""
    for index, variant, exclusion in _applicable(config):
        if exclusion.offends(config, variant):
            problems.add(
                exclusion.rule,
                f"production_variants[{index}]{exclusion.prop}",
                exclusion.shown(config, variant),
                exclusion.allowed,
                exclusion.fix,
            )


def _applicable(config: EndpointConfig) -> Iterator[tuple[int, Variant, Exclusion]]:
    for index, variant in enumerate(config.production_variants):
        for exclusion in EXCLUSIONS:
            if isinstance(variant, exclusion.kind):
                yield index, variant, exclusion
