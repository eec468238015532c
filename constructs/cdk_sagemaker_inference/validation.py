"""Every synth-time rule of the library, in one place.

Each check adds to a `Problems` collector instead of raising, so a construct reports all of its
problems at once. Values that are tokens (known only at deploy time) are never checked.
Numeric limits, name patterns and enumerations come from botocore's API model (`api_model`);
the rules botocore cannot express cite ``shared/spec/sagemaker-rules.md`` by rule ID.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import botocore
import jsii
from aws_cdk import Annotations, Stack, Token
from constructs import IConstruct, IValidation

from . import api_model
from .api_model import Constraint
from .errors import Problems

WARNING_PREFIX = "cdk-sagemaker-inference"
S3_MODEL_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)")
MODEL_ARCHIVE_SUFFIX = ".tar.gz"
TOKEN_MARKER = "Token["  # in every string or list token: ${Token[...]} and #{Token[...]}
MIN_TOKEN_NUMBER_MAGNITUDE = 1e200  # CDK encodes number tokens as doubles near -1.9e289


def is_unresolved(value: object) -> bool:
    """True for a deploy-time value: a token, a string holding one, or an encoded list token.

    A cheap local pre-filter answers for values that cannot hold a token (a string without CDK's
    ``Token[`` marker, a number far from the range CDK encodes number tokens in), so validating
    literals costs no call into the CDK's Node.js runtime; anything else is asked of ``Token``.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return TOKEN_MARKER in value and bool(Token.is_unresolved(value))
    if isinstance(value, (int, float)):
        return abs(value) >= MIN_TOKEN_NUMBER_MAGNITUDE and bool(Token.is_unresolved(value))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return any(TOKEN_MARKER in item for item in value) and bool(Token.is_unresolved(value))
    return False


def check_value(problems: Problems, prop: str, value: object, constraint: Constraint, fix: str) -> None:
    """Check a number, string or enum value against its API constraint. Skips None and tokens."""
    if value is None or is_unresolved(value):
        return
    if constraint.enum is not None:
        if value not in constraint.enum:
            close = difflib.get_close_matches(str(value), constraint.enum, n=3, cutoff=0.6)
            hint = f" (closest: {', '.join(close)})" if close else ""
            problems.add(prop, value, constraint.describe() + hint, fix)
        return
    if constraint.is_number:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.add(prop, value, f"a number: {constraint.describe()}", fix)
            return
        measured: float = value
    else:
        text = str(value)
        measured = len(text)
        if constraint.pattern and not re.fullmatch(constraint.pattern, text):
            problems.add(prop, value, constraint.describe(), fix)
            return
    too_low = constraint.min is not None and measured < constraint.min
    too_high = constraint.max is not None and measured > constraint.max
    if too_low or too_high:
        problems.add(prop, value, constraint.describe(), fix)


def check_count(problems: Problems, prop: str, items: Sequence[object], constraint: Constraint, fix: str) -> None:
    """Check a list's size against its API constraint. Skips a list that is a token."""
    if is_unresolved(items):
        return
    too_low = constraint.min is not None and len(items) < constraint.min
    too_high = constraint.max is not None and len(items) > constraint.max
    if too_low or too_high:
        problems.add(prop, f"{len(items)} items", constraint.describe(), fix)


def check_unique(problems: Problems, prop: str, names: Iterable[str], fix: str) -> None:
    """Every literal name appears once."""
    counts = Counter(name for name in names if not is_unresolved(name))
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        problems.add(prop, repeated, "unique names", fix)


def check_instance_type(problems: Problems, prop: str, instance_type: str) -> None:
    """The type is one a production variant accepts (botocore's ProductionVariantInstanceType enum)."""
    check_value(
        problems,
        prop,
        instance_type,
        api_model.shape("ProductionVariantInstanceType"),
        "use InstanceType.of('ml.<family>.<size>') with a SageMaker hosting instance type; if the type is "
        f"newer than botocore {botocore.__version__}, upgrade botocore",
    )


def check_environment(problems: Problems, prop: str, environment: Mapping[str, str]) -> None:
    """Container environment: entry count, key pattern and lengths (ContainerDefinition.Environment)."""
    env_map = api_model.member("ContainerDefinition", "Environment")
    if len(environment) > (env_map.max or len(environment)):
        problems.add(prop, f"{len(environment)} entries", env_map.describe(), "move settings into the model data")
    key_rule, value_rule = api_model.shape("EnvironmentKey"), api_model.shape("EnvironmentValue")
    for key, value in environment.items():
        check_value(problems, f"{prop} key", key, key_rule, "use letters, digits and _, not starting with a digit")
        check_value(problems, f"{prop}[{key!r}]", value, value_rule, "shorten the value or move it into the model")


def check_s3_model_archive(problems: Problems, prop: str, url: str) -> None:
    """A compressed model is an ``s3://bucket/key.tar.gz`` object (F-1.6: SageMaker untars it)."""
    if is_unresolved(url):
        return
    check_value(problems, prop, url, api_model.member("ContainerDefinition", "ModelDataUrl"), "use s3://bucket/key")
    match = S3_MODEL_URL.fullmatch(url)
    if not match:
        problems.add(prop, url, "s3://<bucket>/<key>", "give the S3 URL of the model archive")
    elif not match["key"].endswith(MODEL_ARCHIVE_SUFFIX):
        problems.add(
            prop,
            url,
            f"an object whose key ends with {MODEL_ARCHIVE_SUFFIX}",
            "SageMaker extracts model data as a gzip-compressed tar: upload the model as model.tar.gz, "
            "or use ModelData.from_local_directory()",
        )


def check_same_region(problems: Problems, prop: str, bucket_region: str | None, model_region: str) -> None:
    """Model artifacts must sit in a bucket in the model's Region (F-1.1). Unknown Regions are skipped."""
    if bucket_region is None or is_unresolved(bucket_region) or is_unresolved(model_region):
        return
    if bucket_region != model_region:
        problems.add(
            prop,
            f"a bucket in {bucket_region}",
            f"a bucket in the model's Region, {model_region}",
            f"copy the model artifacts to a bucket in {model_region} (e.g. with S3 replication)",
        )


def warn(scope: IConstruct, rule: str, message: str) -> None:
    """A soft problem (the guide only recommends): a synth warning with a stable, acknowledgeable ID."""
    Annotations.of(scope).add_warning_v2(f"{WARNING_PREFIX}:{rule}", message)


Warning = tuple[str, str]


def warn_at_synth(scope: IConstruct, produce: Callable[[], Iterable[Warning]]) -> None:
    """Emit ``(rule, message)`` warnings on ``scope``, computed when the app synthesizes (after every ``add_*()``).

    One validation per stack runs them all: each callback from the CDK's Node.js runtime costs ~1 ms.
    """
    stack = Stack.of(scope)
    if stack not in _SYNTH_TIME_WARNINGS:
        _SYNTH_TIME_WARNINGS[stack] = _SynthTimeWarnings()
        stack.node.add_validation(_SYNTH_TIME_WARNINGS[stack])
    _SYNTH_TIME_WARNINGS[stack].pending.append((scope, produce))


@jsii.implements(IValidation)
class _SynthTimeWarnings:
    def __init__(self) -> None:
        self.pending: list[tuple[IConstruct, Callable[[], Iterable[Warning]]]] = []

    def validate(self) -> list[str]:
        for scope, produce in self.pending:
            for rule, message in produce():
                warn(scope, rule, message)
        return []


_SYNTH_TIME_WARNINGS: weakref.WeakKeyDictionary[Stack, _SynthTimeWarnings] = weakref.WeakKeyDictionary()
