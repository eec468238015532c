"""Deploy-time smoke test of a SageMaker endpoint, run by the CDK custom-resources Provider framework.

``on_event`` answers at once: Delete and rollbacks do nothing; Create and Update set the deadline.
``is_complete`` then runs every query interval until the endpoint is InService on the endpoint config
this deploy asked for and its answer passes the checks (complete), or raises, which fails the deploy
with the message. Transient errors wait for the next interval; botocore retries throttling with backoff.
Standard library and the Lambda runtime's boto3 only.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from checks import Answer, Expectation, mismatches, shorten

LOG = logging.getLogger("smoke_test")
LOG.setLevel(logging.INFO)

CONTROL_PLANE = Config(connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 3})
# A multi-model endpoint's first call may take 60 s before ModelNotReadyException (F-6.7): read timeout 70 s.
RUNTIME = Config(connect_timeout=5, read_timeout=70, retries={"mode": "standard", "max_attempts": 2})

WAIT_STATES = {"Creating", "Updating", "SystemUpdating"}
TRANSIENT_ERRORS = {
    "ThrottlingException",
    "ModelNotReadyException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalDependencyException",
    "InternalStreamFailure",
}
ACCESS_DENIED = {"AccessDeniedException", "AccessDenied"}
IAM_PROPAGATION_SECONDS = 60
MAX_ASYNC_INVOCATION_SECONDS = 3600  # InvokeEndpointAsync's InvocationTimeoutSeconds (F-5.4)


class SmokeTestFailed(Exception):
    """The endpoint is wrong: the message becomes the CloudFormation failure reason."""


@dataclass(frozen=True)
class SmokeTest:
    """One test, from the custom resource's properties (CloudFormation passes every value as a string)."""

    endpoint_name: str
    expected_config: str | None
    invocation: str  # "sync" or "async"
    payload: bytes
    content_type: str | None
    accept: str | None
    targets: dict[str, str]  # InvokeEndpoint target parameters that were given
    expectation: Expectation
    timeout_seconds: int
    input_bucket: str | None
    input_prefix: str

    @staticmethod
    def from_properties(properties: dict[str, Any]) -> SmokeTest:
        target_names = ("TargetVariant", "TargetModel", "InferenceComponentName", "TargetContainerHostname")
        return SmokeTest(
            endpoint_name=properties["EndpointName"],
            expected_config=properties.get("ExpectedEndpointConfigName"),
            invocation=properties.get("Invocation", "sync"),
            payload=base64.b64decode(properties.get("Body", "")),
            content_type=properties.get("ContentType"),
            accept=properties.get("Accept"),
            targets={name: properties[name] for name in target_names if properties.get(name)},
            expectation=Expectation(
                status=int(properties.get("ExpectedStatus", 200)),
                content_type=properties.get("ExpectedContentType"),
                body_check=properties.get("BodyCheck"),
                body_value=properties.get("BodyValue", ""),
            ),
            timeout_seconds=int(properties["TimeoutSeconds"]),
            input_bucket=properties.get("AsyncInputBucket"),
            input_prefix=properties.get("AsyncInputPrefix", ""),
        )

    def describe(self) -> str:
        config = f" on config {self.expected_config!r}" if self.expected_config else ""
        targets = "".join(f", {name}={value!r}" for name, value in self.targets.items())
        return f"endpoint {self.endpoint_name!r}{config}{targets}"

    def content_headers(self) -> dict[str, str]:
        """ContentType and Accept as InvokeEndpoint and InvokeEndpointAsync take them, those given."""
        return {name: value for name, value in (("ContentType", self.content_type), ("Accept", self.accept)) if value}

    def sent(self) -> str:
        return f"sent {self.content_type or 'no content type'} {shorten(self.payload)}"


def on_event(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """Create/Update: set the deadline (seconds since the epoch). Delete and rollbacks: nothing to test."""
    request_type = event["RequestType"]
    if request_type == "Delete":
        _log("delete: nothing to do", request_type=request_type)
        return {}
    if request_type == "Update":
        stack_status = _stack_status(event["StackId"])
        if stack_status and stack_status.endswith("ROLLBACK_IN_PROGRESS"):
            # CloudFormation re-sends the previous properties; failing now would leave UPDATE_ROLLBACK_FAILED.
            _log("rollback: not testing", request_type=request_type, stack_status=stack_status)
            return {"SkipReason": f"stack is {stack_status}"}
    test = SmokeTest.from_properties(event["ResourceProperties"])
    _log("start", request_type=request_type, endpoint=test.endpoint_name, timeout_seconds=test.timeout_seconds)
    return {"Deadline": time.time() + test.timeout_seconds}


def is_complete(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """One attempt: complete when the answer passes; raises when it is wrong or the deadline has passed."""
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
        waiting_for = _endpoint_not_ready(test)
        if waiting_for:
            return waiting_for
        _check(test, _invoke(test))
        return None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in TRANSIENT_ERRORS or (new_permissions and code in ACCESS_DENIED):
            return f"{code}: {error}"
        raise SmokeTestFailed(f"Smoke test of {test.describe()} failed: {error}") from error
    except BotoCoreError as error:  # timeouts and connection errors
        return f"{type(error).__name__}: {error}"


def _endpoint_not_ready(test: SmokeTest) -> str | None:
    """None when the endpoint is InService on the expected config; what it waits for while SageMaker works."""
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


def _invoke(test: SmokeTest) -> Answer:
    arguments = {"EndpointName": test.endpoint_name, "Body": test.payload, **test.targets, **test.content_headers()}
    try:
        response = _client("sagemaker-runtime", RUNTIME).invoke_endpoint(**arguments)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ModelError":
            raise
        # The model's container answered with an HTTP error: SageMaker passes its status and body on.
        status = int(error.response.get("OriginalStatusCode", 0))
        return Answer(status=status, content_type=None, body=str(error.response.get("OriginalMessage", "")).encode())
    return Answer(status=200, content_type=response.get("ContentType"), body=response["Body"].read())


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
        content_type = {"ContentType": test.content_type} if test.content_type else {}
        s3.put_object(Bucket=test.input_bucket, Key=input_key, Body=test.payload, **content_type)
        response = _client("sagemaker-runtime", RUNTIME).invoke_endpoint_async(
            EndpointName=test.endpoint_name,
            InputLocation=f"s3://{test.input_bucket}/{input_key}",
            InferenceId=request_id,
            InvocationTimeoutSeconds=min(MAX_ASYNC_INVOCATION_SECONDS, test.timeout_seconds),
            **test.content_headers(),
        )
        locations = {key: response.get(key) for key in ("OutputLocation", "FailureLocation")}
        s3.put_object(Bucket=test.input_bucket, Key=f"{folder}/invocation.json", Body=json.dumps(locations).encode())
        _log("invoked asynchronously", endpoint=test.endpoint_name, **locations)
        return "the asynchronous result"
    locations = json.loads(invocation[0])
    failure = _read_s3(locations.get("FailureLocation"))
    if failure is not None:
        raise SmokeTestFailed(
            f"Smoke test of {test.describe()} failed: {test.sent()}; the asynchronous inference failed: "
            f"{shorten(failure[0])}"
        )
    output = _read_s3(locations.get("OutputLocation"))
    if output is None:
        return f"the asynchronous result at {locations.get('OutputLocation')}"
    _check(test, Answer(status=200, content_type=output[1], body=output[0]))
    return None


def _check(test: SmokeTest, answer: Answer) -> None:
    problems = mismatches(answer, test.expectation)
    if problems:
        raise SmokeTestFailed(
            f"Smoke test of {test.describe()} failed: {'; '.join(problems)}. {test.sent()}; got status "
            f"{answer.status} {answer.content_type or 'no content type'} {shorten(answer.body)}"
        )


def _read_s3(url: str | None) -> tuple[bytes, str | None] | None:
    """An object's body and content type; None when there is no URL or no object (yet)."""
    if not url:
        return None
    bucket, _, key = url.removeprefix("s3://").partition("/")
    try:
        found = _client("s3").get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise
    return found["Body"].read(), found.get("ContentType")


def _stack_status(stack_id: str) -> str | None:
    """The stack's status, or None when it cannot be read (then the test runs as for any update)."""
    try:
        stacks = _client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"]
    except (ClientError, BotoCoreError) as error:
        _log("cannot read the stack status; testing as usual", error=str(error))
        return None
    return str(stacks[0]["StackStatus"]) if stacks else None


@functools.cache
def _client(service: str, config: Config = CONTROL_PLANE) -> Any:
    return boto3.client(service, config=config)


def _log(message: str, **fields: Any) -> None:
    """One structured line: Lambda's JSON log format turns ``extra`` fields into JSON keys."""
    LOG.info(message, extra={"smoke_test": fields})
