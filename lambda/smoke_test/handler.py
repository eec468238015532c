"""Deploy-time smoke test of a SageMaker endpoint, run by the CDK custom-resources Provider framework.

``on_event`` answers at once: Delete and rollbacks do nothing; Create and Update set the deadline.
``is_complete`` then runs every query interval until the endpoint is InService on the endpoint config
this deploy asked for and its answer passes the checks (complete), or raises, which fails the deploy
with the message. Transient errors (botocore's own classification) wait for the next interval;
botocore retries throttling with backoff. Every call is made only while the invocation has time
for its worst case, so each function answers inside its Lambda timeout. The payload is read from
its S3 asset; unless the test reveals answers, no log line and no failure reason holds the payload
or the model's answer. Standard library and the Lambda runtime's boto3 only.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError, ReadTimeoutError
from botocore.retries.standard import (
    OrRetryChecker,
    RetryContext,
    ThrottledRetryableChecker,
    ThrottlingStatusCodeChecker,
    TransientRetryableChecker,
)
from checks import Answer, Expectation, describe, mismatches, shorten, truncate_utf8

LOG = logging.getLogger("smoke_test")
LOG.setLevel(logging.INFO)

MAX_BACKOFF_SECONDS = 20  # botocore's standard retry mode waits at most this long between attempts


def client_config(connect: float, read: float, attempts: int) -> Config:
    """Standard retries; ``attempts`` counts every try (botocore's ``max_attempts`` would count retries only)."""
    return Config(
        connect_timeout=connect, read_timeout=read, retries={"mode": "standard", "total_max_attempts": attempts}
    )


def worst_case_seconds(config: Config) -> float:
    """The longest one call with ``config`` can take: every attempt timing out, with the longest backoffs."""
    attempts = int(config.retries["total_max_attempts"])
    per_attempt = float(config.connect_timeout) + float(config.read_timeout)
    return attempts * per_attempt + (attempts - 1) * MAX_BACKOFF_SECONDS


CONTROL_PLANE = client_config(connect=5, read=10, attempts=2)
STACK_STATUS = client_config(connect=3, read=10, attempts=2)  # on_event's one call: well inside its 60 s
# A multi-model endpoint's first call may take 60 s before ModelNotReadyException: read timeout 70 s.
RUNTIME = client_config(connect=5, read=70, attempts=2)

WAIT_STATES = {"Creating", "Updating", "SystemUpdating"}
COMPONENT_WAIT_STATES = {"Creating", "Updating"}  # an inference component after its endpoint is InService
# SageMaker's own "try again" codes, beyond botocore's transient and throttling classification.
SAGEMAKER_TRANSIENT_ERRORS = {"ModelNotReadyException", "InternalDependencyException", "InternalStreamFailure"}
ACCESS_DENIED = {"AccessDeniedException", "AccessDenied"}
# A component at 0 copies (or its host at 0 instances) answers a call with a 400 naming its missing capacity;
# the call itself makes NoCapacityInvocationFailures, whose alarm scales out from zero.
NO_CAPACITY_CODES = {"ValidationError", "ValidationException"}
NO_CAPACITY_WORDS = ("capacity", "no instance", "0 instance", "zero instance", "no copies", "0 copies")
IAM_PROPAGATION_SECONDS = 60
MAX_ASYNC_INVOCATION_SECONDS = 3600  # InvokeEndpointAsync's InvocationTimeoutSeconds
MAX_TEST_SECONDS = 45 * 60  # the construct's maximum; a deploy-time value beyond it is bounded to it
RECORD_ATTEMPTS = 3  # storing an async invocation's record: each attempt is botocore's retried call
MAX_REASON_BYTES = 2048  # CloudFormation takes 4,096 bytes of response; the framework adds its own text
MAX_READ_BYTES = 1024 * 1024  # of an asynchronous result or a failure file
# botocore's standard-mode classification of service errors: transient codes, 5xx, throttling codes and 429.
TRANSIENT = OrRetryChecker([TransientRetryableChecker(), ThrottledRetryableChecker(), ThrottlingStatusCodeChecker()])


class SmokeTestFailed(Exception):
    """The endpoint is wrong: the message (cut to `MAX_REASON_BYTES`) becomes the CloudFormation failure reason."""

    def __init__(self, message: str) -> None:
        super().__init__(truncate_utf8(message, MAX_REASON_BYTES))


class OutOfInvocationTime(Exception):
    """This invocation has no time left for the next call's worst case: the next poll makes it."""


@dataclass(frozen=True)
class SmokeTest:
    """One test, from the custom resource's properties (CloudFormation passes every value as a string)."""

    endpoint_name: str
    expected_config: str | None
    invocation: str  # "sync" or "async"
    payload_bucket: str
    payload_key: str
    content_type: str | None
    accept: str | None
    targets: dict[str, str]  # InvokeEndpoint target parameters that were given
    expectation: Expectation
    timeout_seconds: int
    invocation_timeout_seconds: int  # how long SageMaker lets the container work on an asynchronous request
    input_bucket: str | None
    input_prefix: str
    reveal: bool  # the user opted in to payloads and answers in failure reasons and logs
    may_be_at_zero: bool  # the target may have scaled to zero: a "no capacity" answer is waited out

    @staticmethod
    def from_properties(properties: dict[str, Any]) -> SmokeTest:
        target_names = ("TargetVariant", "TargetModel", "InferenceComponentName", "TargetContainerHostname")
        return SmokeTest(
            endpoint_name=properties["EndpointName"],
            expected_config=properties.get("ExpectedEndpointConfigName"),
            invocation=properties.get("Invocation", "sync"),
            payload_bucket=properties["PayloadBucket"],
            payload_key=properties["PayloadKey"],
            content_type=properties.get("ContentType"),
            accept=properties.get("Accept"),
            targets={name: properties[name] for name in target_names if properties.get(name)},
            expectation=Expectation(
                status=_whole_number(properties, "ExpectedStatus", 200),
                content_type=properties.get("ExpectedContentType"),
                body_check=properties.get("BodyCheck"),
                body_value=properties.get("BodyValue", ""),
            ),
            timeout_seconds=min(_whole_number(properties, "TimeoutSeconds"), MAX_TEST_SECONDS),
            invocation_timeout_seconds=min(
                _whole_number(properties, "InvocationTimeoutSeconds", MAX_ASYNC_INVOCATION_SECONDS),
                _whole_number(properties, "TimeoutSeconds"),
                MAX_TEST_SECONDS,
                MAX_ASYNC_INVOCATION_SECONDS,
            ),
            input_bucket=properties.get("AsyncInputBucket"),
            input_prefix=properties.get("AsyncInputPrefix", ""),
            reveal=properties.get("RevealAnswers") == "true",
            may_be_at_zero=properties.get("MayBeAtZero") == "true",
        )

    def describe(self) -> str:
        config = f" on config {self.expected_config!r}" if self.expected_config else ""
        targets = "".join(f", {name}={value!r}" for name, value in self.targets.items())
        return f"endpoint {self.endpoint_name!r}{config}{targets}"

    def content_headers(self) -> dict[str, str]:
        """ContentType and Accept as InvokeEndpoint and InvokeEndpointAsync take them, those given."""
        return {name: value for name, value in (("ContentType", self.content_type), ("Accept", self.accept)) if value}

    def payload(self) -> bytes:
        """The payload, from its S3 asset (read once per invocation)."""
        return _payload(self.payload_bucket, self.payload_key)

    def sent(self) -> str:
        return f"sent {describe(self.payload(), self.content_type, reveal=self.reveal)}"


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Create/Update: set the deadline (seconds since the epoch). Delete and rollbacks: nothing to test.

    An update whose stack status cannot be read is not tested: it may be a rollback, where a failing
    test would leave UPDATE_ROLLBACK_FAILED.
    """
    _start_invocation(context)
    request_type = event["RequestType"]
    if request_type == "Delete":
        _log("delete: nothing to do", request_type=request_type)
        return {}
    if request_type == "Update":
        stack_status = _stack_status(event["StackId"])
        if stack_status is None or stack_status.endswith("ROLLBACK_IN_PROGRESS"):
            # CloudFormation re-sends the previous properties; failing now would leave UPDATE_ROLLBACK_FAILED.
            shown = stack_status or "unknown (DescribeStacks failed)"
            _log("rollback or unknown stack status: not testing", request_type=request_type, stack_status=shown)
            return {"SkipReason": f"stack status is {shown}"}
    test = SmokeTest.from_properties(event["ResourceProperties"])
    _log("start", request_type=request_type, endpoint=test.endpoint_name, timeout_seconds=test.timeout_seconds)
    return {"Deadline": time.time() + test.timeout_seconds}


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """One attempt: complete when the answer passes; raises when it is wrong or the deadline has passed."""
    _start_invocation(context)
    if event["RequestType"] == "Delete" or event.get("SkipReason"):
        return {"IsComplete": True}
    test = SmokeTest.from_properties(event["ResourceProperties"])
    deadline = float(event["Deadline"])
    new_permissions = time.time() < deadline - test.timeout_seconds + IAM_PROPAGATION_SECONDS
    try:
        waiting_for = _attempt(test, event["RequestId"], new_permissions)
    except SmokeTestFailed as failure:
        _log("failed", endpoint=test.endpoint_name, reason=str(failure))
        raise
    if waiting_for is None:
        _log("passed", endpoint=test.endpoint_name)
        return {"IsComplete": True}
    if time.time() >= deadline:
        message = f"Smoke test of {test.describe()} ran out of time after {test.timeout_seconds} s: {waiting_for}"
        _log("timed out", endpoint=test.endpoint_name, reason=message)
        raise SmokeTestFailed(message)
    _log("waiting", endpoint=test.endpoint_name, waiting_for=waiting_for)
    return {"IsComplete": False}


def _attempt(test: SmokeTest, request_id: str, new_permissions: bool) -> str | None:
    """None when the test passed, else what it waits for. Raises `SmokeTestFailed` when the endpoint is wrong.

    While ``new_permissions`` (the test's first minute), access denied is waited out: IAM takes a few
    seconds to apply the handler policy this deploy may just have extended.
    """
    try:
        if test.invocation == "async":
            return _attempt_async(test, request_id)
        waiting_for = _endpoint_not_ready(test) or _component_not_ready(test)
        if waiting_for:
            return waiting_for
        _check(test, _invoke(test))
        return None
    except OutOfInvocationTime as error:
        return str(error)
    except (ClientError, BotoCoreError) as error:
        code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
        if is_transient(error) or (new_permissions and code in ACCESS_DENIED):
            return f"{code or type(error).__name__}: {error}"
        if test.may_be_at_zero and isinstance(error, ClientError) and is_no_capacity(error):
            return f"capacity to scale out from zero ({code}: {error.response.get('Error', {}).get('Message', '')})"
        raise SmokeTestFailed(f"Smoke test of {test.describe()} failed: {type(error).__name__}: {error}") from error


def is_transient(error: ClientError | BotoCoreError) -> bool:
    """Worth another poll: botocore's transient, throttling and network errors, and SageMaker's own retry codes.

    Anything else (a parameter botocore refuses, an invalid header, a missing resource) fails at once.
    """
    if not isinstance(error, ClientError):
        return is_network_error(error)
    if error.response.get("Error", {}).get("Code") in SAGEMAKER_TRANSIENT_ERRORS:
        return True
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    context = RetryContext(attempt_number=1, parsed_response=error.response, http_response=_Status(status))
    return bool(TRANSIENT.is_retryable(context))


def is_no_capacity(error: ClientError) -> bool:
    """SageMaker's answer to a call that found no copy or instance to run on (a 400 that names the capacity)."""
    details = error.response.get("Error", {})
    message = str(details.get("Message", "")).lower()
    return details.get("Code") in NO_CAPACITY_CODES and any(word in message for word in NO_CAPACITY_WORDS)


def is_network_error(error: BotoCoreError) -> bool:
    """A connection or timeout failure. botocore also wraps request-building faults (an invalid header) in
    HTTPClientError, with the ValueError or TypeError as its ``error``: those are not the network's."""
    if isinstance(error, (ConnectionError, ReadTimeoutError)):
        return True
    if isinstance(error, HTTPClientError):
        return not isinstance(error.kwargs.get("error"), (ValueError, TypeError))
    return False


@dataclass(frozen=True)
class _Status:
    """The part of an HTTP response botocore's retry checks read."""

    status_code: int | None


def _endpoint_not_ready(test: SmokeTest) -> str | None:
    """None when the endpoint is InService on the expected config; what it waits for while SageMaker works."""
    _guard(CONTROL_PLANE)
    endpoint = _client("sagemaker").describe_endpoint(EndpointName=test.endpoint_name)
    status, config = endpoint["EndpointStatus"], endpoint["EndpointConfigName"]
    if status in WAIT_STATES:
        return f"endpoint is {status}"
    if status != "InService":
        reason = endpoint.get("FailureReason") or "no failure reason given"
        raise SmokeTestFailed(f"Smoke test of {test.describe()} failed: the endpoint is {status} ({reason})")
    if test.expected_config and config != test.expected_config:
        raise SmokeTestFailed(
            f"Smoke test of {test.describe()} failed: the endpoint serves config {config!r}, not "
            f"{test.expected_config!r}: SageMaker did not switch to this deploy's config (e.g. it rolled back)"
        )
    return None


def _component_not_ready(test: SmokeTest) -> str | None:
    """None unless the test names an inference component that is not InService yet; fails when it failed."""
    name = test.targets.get("InferenceComponentName")
    if name is None:
        return None
    _guard(CONTROL_PLANE)
    component = _client("sagemaker").describe_inference_component(InferenceComponentName=name)
    status = component["InferenceComponentStatus"]
    if status in COMPONENT_WAIT_STATES:
        return f"inference component {name!r} is {status}"
    if status != "InService":
        reason = component.get("FailureReason") or "no failure reason given"
        raise SmokeTestFailed(f"Smoke test of {test.describe()} failed: the inference component is {status} ({reason})")
    return None


def _invoke(test: SmokeTest) -> Answer:
    arguments = {"EndpointName": test.endpoint_name, "Body": test.payload(), **test.targets, **test.content_headers()}
    _guard(RUNTIME)
    try:
        response = _client("sagemaker-runtime", RUNTIME).invoke_endpoint(**arguments)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ModelError":
            raise
        # The model's container answered with an HTTP error: SageMaker passes its status and body on.
        status = int(error.response.get("OriginalStatusCode", 0))
        return Answer(status=status, content_type=None, body=str(error.response.get("OriginalMessage", "")).encode())
    return Answer(status=200, content_type=response.get("ContentType"), body=response["Body"].read(MAX_READ_BYTES))


def _attempt_async(test: SmokeTest, request_id: str) -> str | None:
    """Upload the payload, InvokeEndpointAsync once per request, then poll the output and failure locations.

    The invocation's locations are kept beside the input (``<prefix><request id>/invocation.json``), because
    each ``is_complete`` call receives the same event and nothing else.
    """
    assert test.input_bucket is not None, "an asynchronous smoke test needs AsyncInputBucket"
    s3 = _client("s3")
    folder = f"{test.input_prefix}{request_id}"
    invocation = _read_s3(f"s3://{test.input_bucket}/{folder}/invocation.json")
    if invocation is None:
        waiting_for = _endpoint_not_ready(test)
        if waiting_for:
            return waiting_for
        input_key = f"{folder}/input"
        content_type = {"ContentType": test.content_type, "MetadataDirective": "REPLACE"} if test.content_type else {}
        _guard(CONTROL_PLANE)
        s3.copy_object(
            Bucket=test.input_bucket,
            Key=input_key,
            CopySource={"Bucket": test.payload_bucket, "Key": test.payload_key},
            **content_type,
        )
        _guard(CONTROL_PLANE, calls=1 + RECORD_ATTEMPTS)  # the invocation and every attempt to record it
        response = _client("sagemaker-runtime", CONTROL_PLANE).invoke_endpoint_async(
            EndpointName=test.endpoint_name,
            InputLocation=f"s3://{test.input_bucket}/{input_key}",
            InferenceId=request_id,
            InvocationTimeoutSeconds=test.invocation_timeout_seconds,
            **test.content_headers(),
        )
        locations = {key: response.get(key) for key in ("OutputLocation", "FailureLocation")}
        _record_invocation(test, f"{folder}/invocation.json", locations)
        _log("invoked asynchronously", endpoint=test.endpoint_name, **locations)
        return "the asynchronous result"
    locations = json.loads(invocation[0])
    failure = _read_s3(locations.get("FailureLocation"))
    if failure is not None:
        what = shorten(failure[0]) if test.reveal else f"see {locations.get('FailureLocation')}"
        raise SmokeTestFailed(
            f"Smoke test of {test.describe()} failed: {test.sent()}; the asynchronous inference failed: {what}"
        )
    output = _read_s3(locations.get("OutputLocation"))
    if output is None:
        return f"the asynchronous result at {locations.get('OutputLocation')}"
    _check(test, Answer(status=200, content_type=output[1], body=output[0]))
    return None


def _record_invocation(test: SmokeTest, key: str, locations: dict[str, Any]) -> None:
    """Store where the invocation's result and failure will land, which later polls read. The request was sent:
    should every attempt fail, the test fails here rather than let the next poll invoke a second time."""
    assert test.input_bucket is not None
    body = json.dumps(locations).encode()
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            _client("s3").put_object(Bucket=test.input_bucket, Key=key, Body=body)
            return
        except (ClientError, BotoCoreError) as error:
            if attempt == RECORD_ATTEMPTS or not (isinstance(error, BotoCoreError) or is_transient(error)):
                raise SmokeTestFailed(
                    f"Smoke test of {test.describe()} failed: InvokeEndpointAsync accepted the request (results at "
                    f"{locations.get('OutputLocation')}), but storing that record at s3://{test.input_bucket}/{key} "
                    f"failed ({type(error).__name__}: {error}); not invoking again"
                ) from error


def _whole_number(properties: dict[str, Any], name: str, default: int | None = None) -> int:
    """A whole-number property (CloudFormation sends strings); a clear failure for anything else."""
    value = properties.get(name, default)
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer():
        raise SmokeTestFailed(f"the smoke test's {name} must be a whole number, not {value!r}")
    return int(number)


def _check(test: SmokeTest, answer: Answer) -> None:
    problems = mismatches(answer, test.expectation, reveal=test.reveal)
    if problems:
        got = describe(answer.body, answer.content_type, reveal=test.reveal)
        raise SmokeTestFailed(
            f"Smoke test of {test.describe()} failed: {'; '.join(problems)}. {test.sent()}; got status "
            f"{answer.status} {got}"
        )


def _read_s3(url: str | None) -> tuple[bytes, str | None] | None:
    """An object's first `MAX_READ_BYTES` and content type; None when there is no URL or no object (yet)."""
    if not url:
        return None
    bucket, _, key = url.removeprefix("s3://").partition("/")
    _guard(CONTROL_PLANE)
    try:
        found = _client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_READ_BYTES - 1}")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise
    return found["Body"].read(MAX_READ_BYTES), found.get("ContentType")


def _payload(bucket: str, key: str) -> bytes:
    if (bucket, key) not in _PAYLOADS:
        _guard(CONTROL_PLANE)
        _PAYLOADS[(bucket, key)] = _client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return _PAYLOADS[(bucket, key)]


def _stack_status(stack_id: str) -> str | None:
    """The stack's status, or None when it cannot be read (throttled, denied, no time left)."""
    try:
        _guard(STACK_STATUS)
        stacks = _client("cloudformation", STACK_STATUS).describe_stacks(StackName=stack_id)["Stacks"]
    except (ClientError, BotoCoreError, OutOfInvocationTime) as error:
        _log("cannot read the stack status", error=str(error))
        return None
    return str(stacks[0]["StackStatus"]) if stacks else None


_PAYLOADS: dict[tuple[str, str], bytes] = {}
_INVOCATION: dict[str, Any] = {"context": None}


def _start_invocation(context: Any) -> None:
    """Remember this invocation's Lambda context (its remaining time bounds every call); forget old payloads."""
    _INVOCATION["context"] = context
    _PAYLOADS.clear()


def _guard(config: Config, calls: int = 1) -> None:
    """Raise `OutOfInvocationTime` unless the invocation has time for ``calls`` worst cases with ``config``."""
    context = _INVOCATION["context"]
    if context is None:  # not in Lambda (tests, local runs): no time limit
        return
    remaining = context.get_remaining_time_in_millis() / 1000
    needed = calls * worst_case_seconds(config)
    if remaining < needed:
        raise OutOfInvocationTime(f"the next call{'s' if calls > 1 else ''} (up to {needed:.0f} s) in a later poll")


@functools.cache
def _client(service: str, config: Config = CONTROL_PLANE) -> Any:
    return boto3.client(service, config=config)


def _log(message: str, **fields: Any) -> None:
    """One structured line: Lambda's JSON log format turns ``extra`` fields into JSON keys."""
    LOG.info(message, extra={"smoke_test": fields})
