"""Every synth-time rule of the library, in one place.

Each check adds to a `Problems` collector instead of raising, so a construct reports all of its
problems at once. Values that are tokens (known only at deploy time) are never checked.
Numeric limits, name patterns and enumerations come from botocore's API model (`api_model`);
every rule has a stable ID in `rules` (``docs/rules.md``), which messages cite.
"""

from __future__ import annotations

import difflib
import importlib
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import botocore
from aws_cdk import Annotations, Duration, Token
from constructs import IConstruct

from . import api_model, rules
from .api_model import Constraint
from .errors import Problems
from .rules import Rule

WARNING_PREFIX = "cdk-sagemaker-inference"
S3_MODEL_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)")
MODEL_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
CDK_ASSET_KEY = re.compile(r"[0-9a-f]{64}\.gz")  # a file asset's key: its hash and last suffix
TOKEN_MARKER = "Token["  # in every string or list token: ${Token[...]} and #{Token[...]}
MIN_TOKEN_NUMBER_MAGNITUDE = 1e200  # CDK encodes number tokens as doubles near -1.9e289
FLOAT32_MAX = 3.4028234663852886e38
NUMBER_RANGES = {  # botocore shape type -> what the API's wire type holds
    "integer": ("an integer (int32)", -(2**31), 2**31 - 1),
    "long": ("an integer (int64)", -(2**63), 2**63 - 1),
    "float": ("a number (float32)", -FLOAT32_MAX, FLOAT32_MAX),
    "double": ("a number (float64)", -sys.float_info.max, sys.float_info.max),
}


def _regex_module(name: str) -> Any:
    """The re module's parser or constants: ``re._parser`` (Python 3.11+), ``sre_parse`` before."""
    try:
        return importlib.import_module(f"re._{name}")
    except ImportError:  # pragma: no cover - Python 3.10
        return importlib.import_module(f"sre_{'parse' if name == 'parser' else name}")


_regex_parser = _regex_module("parser")
_regex_constants = _regex_module("constants")


def is_unresolved(value: object) -> bool:
    """True for a deploy-time value: a token, a string holding one, or an encoded list token.

    A cheap local pre-filter answers for values that cannot hold a token (a string without CDK's
    ``Token[`` marker, an int, a float far from the range CDK encodes number tokens in, NaN or an
    infinity, which would kill the CDK's Node.js runtime), so validating literals costs no call into
    that runtime; anything else is asked of ``Token``.
    """
    if isinstance(value, str):
        return TOKEN_MARKER in value and bool(Token.is_unresolved(value))
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) >= MIN_TOKEN_NUMBER_MAGNITUDE and bool(Token.is_unresolved(value))
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return any(TOKEN_MARKER in item for item in value) and bool(Token.is_unresolved(value))
    return False


def arn_name(name: str) -> str:
    """A SageMaker resource name as its ARN holds it: lower case when literal, as it is when deploy-time."""
    return name if is_unresolved(name) else name.lower()


def check_type(
    problems: Problems,
    prop: str,
    value: object,
    expected: type | tuple[type, ...],
    write: str,
    *,
    expected_name: str | None = None,
) -> bool:
    """``value`` is an instance of ``expected`` (bool never passes for a number); else a `WRONG_TYPE` problem.

    ``write`` says what to write instead, e.g. ``InstanceType.of('ml.m5.large')``; ``expected_name`` names
    the type in the message (Default: its class name). Returns whether it passed.
    """
    numbers_wanted = expected in (int, float) or (isinstance(expected, tuple) and int in expected)
    if isinstance(value, expected) and not (numbers_wanted and isinstance(value, bool)):
        return True
    names = expected_name or (
        expected.__name__ if isinstance(expected, type) else " or ".join(kind.__name__ for kind in expected)
    )
    given = type(value).__name__
    problems.add(
        rules.WRONG_TYPE, prop, value, f"{_article(names)} {names}, not {_article(given)} {given}", f"write {write}"
    )
    return False


def check_arguments(factory: str, checks: Iterable[tuple[str, object, type | tuple[type, ...], str]]) -> None:
    """Type-check the arguments of ``factory`` (e.g. ``ModelData.from_asset``), which has no construct to name:
    each ``(argument, value, expected type, what to write)``; raise one `ValidationError` naming ``factory``."""
    from .errors import ValidationError

    problems = Problems()
    for prop, value, expected, write in checks:
        check_type(problems, prop, value, expected, write)
    if problems.items:
        raise ValidationError(factory, problems.items)


def checked(factory: str, argument: str, value: Any, expected: type, write: str) -> Any:
    """``value`` if it is an ``expected`` (a deploy-time number passes for an int); else `check_arguments`'
    `ValidationError` naming ``factory``."""
    if not (expected is int and isinstance(value, float) and is_unresolved(value)):
        check_arguments(factory, [(argument, value, expected, write)])
    return value


def check_metric_type(problems: Problems, metric: object) -> bool:
    """``metric`` is a CloudWatch ``IMetric`` (a ``Metric`` or metric math)."""
    write = "a cloudwatch.Metric, e.g. endpoint.metric_model_latency('AllTraffic')"
    return check_interface(problems, "metric", metric, "cloudwatch.IMetric", "to_metric_config", write)


def check_arn(problems: Problems, prop: str, arn: object, example: str) -> None:
    """An ARN: a string starting ``arn:`` (a deploy-time value passes)."""
    if check_type(problems, prop, arn, str, f"an ARN such as {example!r}"):
        assert isinstance(arn, str)
        if not is_unresolved(arn) and not arn.startswith("arn:"):
            problems.add(
                rules.WRONG_TYPE,
                prop,
                arn,
                "an ARN (arn:<partition>:<service>:...)",
                f"write an ARN such as {example!r}",
            )


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def check_interface(problems: Problems, prop: str, value: object, interface: str, member: str, write: str) -> bool:
    """``value`` implements the CDK interface ``interface`` (recognised by its method ``member``).

    jsii interfaces cannot be checked with ``isinstance``; every implementation has the interface's methods.
    """
    if hasattr(value, member) and not isinstance(value, (str, bytes, int, float, dict, list)):
        return True
    problems.add(rules.WRONG_TYPE, prop, value, f"an {interface}, not a {type(value).__name__}", f"write {write}")
    return False


def check_value(problems: Problems, prop: str, value: object, constraint: Constraint, fix: str) -> None:
    """Check a number, string or enum value against its API constraint. Skips None and tokens of the right kind
    (a deploy-time string where a number is wanted is a problem: CloudFormation would get a string)."""
    if value is None:
        return
    if is_unresolved(value):
        if constraint.is_number and isinstance(value, str):
            problems.add(
                rules.WRONG_TYPE,
                prop,
                value,
                f"a number or a deploy-time number, not a deploy-time string ({constraint.describe()})",
                "write Token.as_number(value), or use CfnParameter(type='Number').value_as_number",
                api=constraint.member,
            )
        elif not constraint.is_number and isinstance(value, float):
            problems.add(
                rules.WRONG_TYPE,
                prop,
                value,
                f"a string or a deploy-time string, not a deploy-time number ({constraint.describe()})",
                "write Token.as_string(value), or use CfnParameter(...).value_as_string",
                api=constraint.member,
            )
        return
    if constraint.enum is not None:
        if not isinstance(value, str) or value not in constraint.enum:
            close = difflib.get_close_matches(str(value), constraint.enum, n=3, cutoff=0.6)
            hint = f" (closest: {', '.join(close)})" if close else ""
            problems.add(constraint.rule, prop, value, constraint.describe() + hint, fix, api=constraint.member)
        return
    if constraint.is_number:
        if not check_number(problems, prop, value, constraint):
            return
        measured = float(value)  # type: ignore[arg-type]  # check_number proved it a finite int or float
    else:
        if not isinstance(value, str):
            allowed = f"a string: {constraint.describe()}"
            problems.add(
                rules.WRONG_TYPE,
                prop,
                value,
                allowed,
                f"write it as a string, e.g. {str(value)!r}",
                api=constraint.member,
            )
            return
        measured = len(value)
        if constraint.pattern and not re.fullmatch(constraint.pattern, value):
            problems.add(constraint.rule, prop, value, constraint.describe(), fix, api=constraint.member)
            return
    too_low = constraint.min is not None and measured < constraint.min
    too_high = constraint.max is not None and measured > constraint.max
    if too_low or too_high:
        problems.add(constraint.rule, prop, value, constraint.describe(), fix, api=constraint.member)


def check_number(problems: Problems, prop: str, value: object, constraint: Constraint) -> bool:
    """A finite number of the shape's type: an integer for integer shapes, within int32/int64/float32."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(
            rules.WRONG_TYPE, prop, value, f"a number: {constraint.describe()}", "give a number", api=constraint.member
        )
        return False
    if isinstance(value, float) and not math.isfinite(value):
        problems.add(
            rules.NUMBER,
            prop,
            value,
            "a finite number",
            "give a number (not NaN or an infinity)",
            api=constraint.member,
        )
        return False
    if constraint.is_integer and isinstance(value, float) and not value.is_integer():
        problems.add(
            rules.NUMBER, prop, value, f"a whole number ({constraint.source})", "round it", api=constraint.member
        )
        return False
    name, low, high = NUMBER_RANGES[constraint.kind]
    if not low <= value <= high:
        problems.add(
            rules.NUMBER,
            prop,
            value,
            f"{name} from {low:g} to {high:g} ({constraint.source})",
            "give a value in range",
            api=constraint.member,
        )
        return False
    return True


def seconds_of(problems: Problems, prop: str, duration: object) -> float | int | None:
    """Whole seconds of a `Duration` (or the token of a deploy-time one); None for None or a problem.

    A deploy-time Duration must be ``Duration.seconds(token)``: CloudFormation cannot multiply a token.
    Fractions of a second are a problem; CDK errors never escape.
    """
    if duration is None:
        return None
    if not check_type(problems, prop, duration, Duration, f"Duration.seconds({duration!r})"):
        return None
    assert isinstance(duration, Duration)
    if duration.is_unresolved():
        try:
            return duration.to_seconds()
        except RuntimeError:
            problems.add(
                rules.WHOLE_SECONDS,
                prop,
                duration.to_human_string(),
                "a deploy-time Duration in seconds",
                "write Duration.seconds(<token in seconds>): CloudFormation cannot convert a token's unit",
            )
            return None
    seconds = duration.to_seconds(integral=False)
    if not float(seconds).is_integer():
        problems.add(rules.WHOLE_SECONDS, prop, f"{seconds:g} seconds", "whole seconds", "round the Duration")
        return None
    return int(seconds)


def rendered_seconds(duration: object) -> float | int | None:
    """`seconds_of` for rendering a Duration validated before: whole seconds, a deploy-time token, or None."""
    return seconds_of(Problems(), "", duration)


def check_alarm_periods(
    problems: Problems, evaluation_periods: object, datapoints_to_alarm: object, default_periods: int = 1
) -> None:
    """An alarm's periods: whole numbers from 1 (CloudWatch's PutMetricAlarm), no more datapoints than the
    periods evaluated (``default_periods`` when ``evaluation_periods`` is None)."""
    for name, member, value in (
        ("evaluation_periods", "EvaluationPeriods", evaluation_periods),
        ("datapoints_to_alarm", "DatapointsToAlarm", datapoints_to_alarm),
    ):
        check_value(problems, name, value, api_model.member("PutMetricAlarmInput", member, "cloudwatch"), "give 1+")
    if datapoints_to_alarm is not None and not problems.items:
        periods = default_periods if evaluation_periods is None else evaluation_periods
        known = not is_unresolved(periods) and not is_unresolved(datapoints_to_alarm)
        if known and datapoints_to_alarm > periods:  # type: ignore[operator]
            problems.add(
                rules.ALARM_CAN_FIRE,
                "datapoints_to_alarm",
                datapoints_to_alarm,
                f"at most evaluation_periods ({periods}{'' if evaluation_periods is not None else ', the default'})",
                "give evaluation_periods at least as large",
            )


def check_count(problems: Problems, prop: str, items: Sequence[object], constraint: Constraint, fix: str) -> None:
    """Check a list's size against its API constraint (``fix`` says what to do with too many). Skips a token."""
    if is_unresolved(items):
        return
    too_low = constraint.min is not None and len(items) < constraint.min
    too_high = constraint.max is not None and len(items) > constraint.max
    if too_low or too_high:
        say = f"give at least {constraint.min:g}" if too_low else fix
        problems.add(constraint.rule, prop, f"{len(items)} items", constraint.describe(), say, api=constraint.member)


def check_unique(problems: Problems, rule: Rule, prop: str, names: Iterable[object], fix: str) -> None:
    """Every literal name appears once (values that are not strings are other checks' problems)."""
    counts = Counter(name for name in names if isinstance(name, str) and not is_unresolved(name))
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        problems.add(rule, prop, repeated, "unique names", fix)


def check_instance_type(problems: Problems, prop: str, instance_type: str) -> None:
    """The type is one a production variant accepts (botocore's ProductionVariantInstanceType enum)."""
    check_value(
        problems,
        prop,
        instance_type,
        api_model.member("ProductionVariant", "InstanceType"),
        "use InstanceType.of('ml.<family>.<size>') with a SageMaker hosting instance type; if the type is "
        f"newer than botocore {botocore.__version__}, upgrade botocore",
    )


def check_environment(problems: Problems, prop: str, environment: object) -> None:
    """Container environment: a mapping of strings; entry count, key pattern and lengths (ContainerDefinition)."""
    if not check_type(problems, prop, environment, Mapping, "{'NAME': 'value'}"):
        return
    assert isinstance(environment, Mapping)
    env_map = api_model.member("ContainerDefinition", "Environment")
    if len(environment) > (env_map.max or len(environment)):
        problems.add(
            env_map.rule, prop, f"{len(environment)} entries", env_map.describe(), "move settings into the model data"
        )
    key_rule, value_rule = api_model.shape("EnvironmentKey"), api_model.shape("EnvironmentValue")
    for key, value in environment.items():
        check_value(problems, f"{prop} key", key, key_rule, "use letters, digits and _, not starting with a digit")
        check_value(problems, f"{prop}[{key!r}]", value, value_rule, "shorten the value or move it into the model")


def check_model_data_key(scope: IConstruct, problems: Problems, prop: str, key: str) -> None:
    """A literal S3 key: no IAM wildcard characters; an archive name, else a warning (SageMaker reads the content)."""
    if not check_type(problems, prop, key, str, "the object key as a string, e.g. 'models/model.tar.gz'"):
        return
    if is_unresolved(key):
        return
    if "*" in key or "?" in key:
        problems.add(
            rules.NO_WILDCARD_KEY,
            prop,
            key,
            "an object key without * or ?",
            "name the one object: IAM reads * and ? as wildcards, so the read grant would cover other objects",
        )
    elif not key.endswith(MODEL_ARCHIVE_SUFFIXES) and not CDK_ASSET_KEY.fullmatch(key.rsplit("/", 1)[-1]):
        warn(
            scope,
            rules.MODEL_ARCHIVE_NAME,
            f"{prop}: the key {key!r} does not end with .tar.gz or .tgz; SageMaker extracts model data as a "
            "gzip-compressed tar whatever its name, so make sure it is one",
        )


def parse_s3_url(problems: Problems, prop: str, url: str) -> tuple[str, str] | None:
    """``s3://bucket/key`` -> (bucket, key) with the URL's API limits checked; None for a token or a problem."""
    if is_unresolved(url):
        return None
    if not check_type(problems, prop, url, str, "'s3://bucket/key.tar.gz'"):
        return None
    check_value(problems, prop, url, api_model.member("ContainerDefinition", "ModelDataUrl"), "use s3://bucket/key")
    match = S3_MODEL_URL.fullmatch(url)
    if not match:
        problems.add(rules.S3_URL, prop, url, "s3://<bucket>/<key>", "give the S3 URL of the model archive")
        return None
    return match["bucket"], match["key"]


def check_same_region(problems: Problems, prop: str, bucket_region: str | None, model_region: str) -> None:
    """Model artifacts must sit in a bucket in the model's Region. Unknown Regions are skipped."""
    if bucket_region is None or is_unresolved(bucket_region) or is_unresolved(model_region):
        return
    if bucket_region != model_region:
        problems.add(
            rules.MODEL_DATA_REGION,
            prop,
            f"a bucket in {bucket_region}",
            f"a bucket in the model's Region, {model_region}",
            f"copy the model artifacts to a bucket in {model_region} (e.g. with S3 replication)",
        )


def check_regex(problems: Problems, prop: str, pattern: str) -> None:
    """A Python regular expression that compiles and cannot backtrack catastrophically (no nested quantifiers)."""
    try:
        parsed = _regex_parser.parse(pattern)
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError, TypeError) as error:
        problems.add(rules.SAFE_REGEX, prop, pattern, "a Python regular expression", f"fix it: {error}")
        return
    if _nested_repeat(parsed, inside_repeat=False):
        problems.add(
            rules.SAFE_REGEX,
            prop,
            pattern,
            "no quantifier inside a repeated group, e.g. (a+)+ or (\\w*)*: it can backtrack for hours",
            "repeat the inner part once, e.g. (ab)+ instead of (a+b?)+, or check with BodyCheck.contains",
        )


_REPEATS = {_regex_constants.MAX_REPEAT, _regex_constants.MIN_REPEAT}
_REPEATS |= {getattr(_regex_constants, "POSSESSIVE_REPEAT", _regex_constants.MAX_REPEAT)}


def _nested_repeat(items: Any, *, inside_repeat: bool) -> bool:
    """True when a quantifier that repeats (upper bound > 1) sits inside another one."""
    for op, argument in items:
        if op in _REPEATS:
            _low, high, body = argument
            repeats = high > 1
            if (repeats and inside_repeat) or _nested_repeat(body, inside_repeat=inside_repeat or repeats):
                return True
        else:
            for sub in _subpatterns(op, argument):
                if _nested_repeat(sub, inside_repeat=inside_repeat):
                    return True
    return False


def _subpatterns(op: Any, argument: Any) -> list[Any]:
    if op is _regex_constants.SUBPATTERN:
        return [argument[-1]]
    if op is _regex_constants.BRANCH:
        return list(argument[1])
    if op in (_regex_constants.ASSERT, _regex_constants.ASSERT_NOT):
        return [argument[1]]
    if op is _regex_constants.GROUPREF_EXISTS:
        return [branch for branch in argument[1:] if branch is not None]
    if op is getattr(_regex_constants, "ATOMIC_GROUP", None):
        return [argument]
    return []


def warn(scope: IConstruct, rule: Rule, message: str) -> None:
    """A soft problem (the guide only recommends): a synth warning with a stable, acknowledgeable ID."""
    Annotations.of(scope).add_warning_v2(f"{WARNING_PREFIX}:{rule.id}", f"[{rule.id}] {message}")


Warning = tuple[Rule, str]
