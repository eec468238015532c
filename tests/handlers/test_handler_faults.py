"""The smoke-test handler under faults, over real HTTP against the local moto server."""

import json
import time

import handler
import pytest
from moto.cloudformation.models import CloudFormationBackend
from moto.core.exceptions import ServiceException, _RESTError
from moto.s3.models import S3Backend
from moto.sagemakerruntime.models import SageMakerRuntimeBackend
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from cdk_sagemaker_inference.smoke_test import SmokeTestPayload
from cdk_sagemaker_inference.smoke_test_provider import IS_COMPLETE_TIMEOUT, ON_EVENT_TIMEOUT
from tests.handlers.conftest import client
from tests.handlers.test_smoke_test_handler import (
    POSITIVE,
    async_event,
    deploy_endpoint,
    deploy_stack,
    event,
    failure,
    seed_answers,
    seed_async,
    start,
)
from tests.support import new_stack, realtime_endpoint, template


class Throttling(ServiceException):
    code = "Throttling"
    message = "Rate exceeded"


class AccessDenied(ServiceException):
    code = "AccessDenied"
    message = "not authorized to perform cloudformation:DescribeStacks"


class S3ServerError(_RESTError):
    """An S3 error with its real HTTP status (moto's modelled errors all answer 400)."""

    def __init__(self, status, code, message):
        self.code = status
        super().__init__(code, message)


@pytest.fixture
def describe_stacks(monkeypatch):
    """Make every DescribeStacks raise ``errors[0]``; records how many calls reached the server."""
    calls, errors = [], []

    def describe(backend, name_or_stack_id):
        calls.append(name_or_stack_id)
        raise errors[0]

    monkeypatch.setattr(CloudFormationBackend, "describe_stacks", describe)
    return calls, errors


@pytest.mark.filterwarnings("ignore:Exception.* does not match an error shape:UserWarning")  # moto: unmodelled code
@pytest.mark.parametrize("error", [Throttling(), AccessDenied()], ids=["throttled", "denied"])
def test_an_update_whose_stack_status_cannot_be_read_is_not_tested(aws, describe_stacks, error):
    # It may be a rollback re-sending old properties: testing then could leave UPDATE_ROLLBACK_FAILED.
    deploy_endpoint(config_names=("config-a", "config-b"), endpoint_config="config-b")
    calls, errors = describe_stacks
    errors.append(error)
    started = start(event("Update", stack_id=deploy_stack(), ExpectedEndpointConfigName="config-a"))
    assert started["SkipReason"] == "stack status is unknown (DescribeStacks failed)"
    assert handler.is_complete(started) == {"IsComplete": True}
    expected_attempts = handler.STACK_STATUS.retries["total_max_attempts"] if error.code == "Throttling" else 1
    assert len(calls) == expected_attempts  # total_max_attempts counts every try, not only retries


def test_on_event_answers_inside_its_lambda_timeout():
    stack = new_stack()
    realtime_endpoint(stack).add_smoke_test(payload=SmokeTestPayload.from_text("x"))
    functions = {
        function["Properties"]["Handler"]: function["Properties"]["Timeout"]
        for function in template(stack).find_resources("AWS::Lambda::Function").values()
        if "Handler" in function["Properties"]
    }
    assert functions["handler.on_event"] == ON_EVENT_TIMEOUT.to_seconds()
    assert functions["handler.is_complete"] == IS_COMPLETE_TIMEOUT.to_seconds()
    # on_event makes one call (DescribeStacks); even its worst case leaves time to answer.
    assert handler.worst_case_seconds(handler.STACK_STATUS) < ON_EVENT_TIMEOUT.to_seconds() - 10
    # is_complete checks every call's worst case against the time its invocation has left.
    assert handler.worst_case_seconds(handler.RUNTIME) < IS_COMPLETE_TIMEOUT.to_seconds()
    # An asynchronous invocation is made only with time to record it, every attempt included.
    invoke_and_record = (1 + handler.RECORD_ATTEMPTS) * handler.worst_case_seconds(handler.CONTROL_PLANE)
    assert invoke_and_record < IS_COMPLETE_TIMEOUT.to_seconds()


class Context:
    """The part of a Lambda context the handler reads."""

    def __init__(self, remaining_seconds):
        self.remaining_seconds = remaining_seconds

    def get_remaining_time_in_millis(self):
        return int(self.remaining_seconds * 1000)


def test_is_complete_makes_no_call_it_could_not_finish_and_polls_again(aws, monkeypatch):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    started = start(event())
    short = Context(handler.worst_case_seconds(handler.CONTROL_PLANE) - 1)
    monkeypatch.setattr(handler.boto3, "client", lambda *a, **k: pytest.fail("no call without time for it"))
    handler._client.cache_clear()
    assert handler.is_complete(started, short) == {"IsComplete": False}
    monkeypatch.undo()
    handler._client.cache_clear()
    assert handler.is_complete(started, Context(IS_COMPLETE_TIMEOUT.to_seconds())) == {"IsComplete": True}


def test_on_event_without_time_for_describe_stacks_skips_the_update(aws):
    started = handler.on_event(event("Update", stack_id=deploy_stack()), Context(1))
    assert started["SkipReason"] == "stack status is unknown (DescribeStacks failed)"


@pytest.fixture
def get_object_errors(monkeypatch):
    """Queue errors for S3 GetObject (a queue empties into real answers); records the calls."""
    calls, errors = [], []
    original = S3Backend.get_object

    def get_object(backend, bucket_name, key_name, *args, **kwargs):
        calls.append(key_name)
        if errors:
            raise errors.pop(0)
        return original(backend, bucket_name, key_name, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "get_object", get_object)
    return calls, errors


@pytest.mark.parametrize(
    "error",
    [S3ServerError(503, "SlowDown", "Please reduce your request rate."), S3ServerError(500, "InternalError", "oops")],
    ids=["SlowDown", "InternalError"],
)
def test_s3_slow_down_and_internal_errors_are_retried_then_polled_again(aws, get_object_errors, error):
    deploy_endpoint()
    seed_async(aws, json.dumps(POSITIVE))
    started = start(async_event())
    assert handler.is_complete(started) == {"IsComplete": False}  # invoked
    calls, errors = get_object_errors
    errors.extend([error, error])  # both attempts of one call fail: wait for the next poll, do not fail
    before = len(calls)
    assert handler.is_complete(started) == {"IsComplete": False}
    assert len(calls) - before == handler.CONTROL_PLANE.retries["total_max_attempts"]  # botocore retried it
    assert handler.is_complete(started) == {"IsComplete": True}


def test_a_non_network_botocore_error_fails_at_once(aws):
    # botocore wraps the invalid header in HTTPClientError, as it does network faults; it is not one.
    deploy_endpoint()
    started = start(event(ContentType="application/json\nX-Injected: 1"))
    with pytest.raises(handler.SmokeTestFailed, match=r"HTTPClientError: .*Invalid header value"):
        handler.is_complete(started)  # the first attempt fails, not the whole timeout later


def test_network_errors_wait_for_the_next_poll(aws, monkeypatch):
    deploy_endpoint()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    handler._client.cache_clear()
    try:
        assert handler.is_complete(start(event())) == {"IsComplete": False}
    finally:
        handler._client.cache_clear()


def test_an_async_result_is_read_with_a_bounded_size(aws):
    s3 = client("s3")
    s3.create_bucket(Bucket="results")
    s3.put_object(Bucket="results", Key="big.out", Body=b"x" * (handler.MAX_READ_BYTES + 4096))
    body, _ = handler._read_s3("s3://results/big.out")
    assert len(body) == handler.MAX_READ_BYTES


@pytest.mark.parametrize(
    ("answer", "problem"),
    [("[" * 100_000 + "]" * 100_000, "nested too deeply"), ("1" * 5000, "number too long to parse")],
)
def test_deeply_nested_or_huge_integer_answers_fail_clearly(aws, answer, problem):
    deploy_endpoint()
    seed_answers(aws, (answer, "application/json"))
    assert problem in failure(event())


def test_the_failure_reason_fits_cloudformations_limit_in_utf8_bytes(aws):
    deploy_endpoint()
    seed_answers(aws, ("ü" * 50_000, "text/plain"))
    message = failure(event(BodyCheck="contains", BodyValue="é" * 3000, RevealAnswers="true", TargetVariant="P" * 63))
    assert len(message.encode("utf-8")) <= handler.MAX_REASON_BYTES < 4096


def test_logs_hold_neither_payload_nor_answer_unless_revealed(aws, caplog):
    deploy_endpoint()
    seed_answers(aws, (json.dumps({"label": "secret-answer"}), "application/json"))
    with caplog.at_level("INFO", logger="smoke_test"):
        failure(event())
    logged = json.dumps([(r.getMessage(), getattr(r, "smoke_test", None)) for r in caplog.records])
    assert "failed" in logged
    assert "secret-answer" not in logged and "great" not in logged
    caplog.clear()
    seed_answers(aws, (json.dumps({"label": "secret-answer"}), "application/json"))
    with caplog.at_level("INFO", logger="smoke_test"):
        failure(event(RevealAnswers="true"))
    logged = json.dumps([(r.getMessage(), getattr(r, "smoke_test", None)) for r in caplog.records])
    assert "secret-answer" in logged and "great" in logged


def test_an_async_request_whose_record_cannot_be_stored_is_not_invoked_again(aws, monkeypatch):
    deploy_endpoint()
    seed_async(aws, json.dumps(POSITIVE))
    invoked = []
    original_put, original_invoke = S3Backend.put_object, SageMakerRuntimeBackend.invoke_endpoint_async

    def put_object(backend, bucket_name, key_name, *args, **kwargs):
        if key_name.endswith("invocation.json"):
            raise S3ServerError(500, "InternalError", "oops")
        return original_put(backend, bucket_name, key_name, *args, **kwargs)

    def invoke_endpoint_async(backend, *args, **kwargs):
        invoked.append(args)
        return original_invoke(backend, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "put_object", put_object)
    monkeypatch.setattr(SageMakerRuntimeBackend, "invoke_endpoint_async", invoke_endpoint_async)
    started = start(async_event())
    with pytest.raises(handler.SmokeTestFailed, match=r"accepted the request .* not invoking again"):
        handler.is_complete(started)
    assert len(invoked) == 1


def test_a_deploy_time_timeout_beyond_the_maximum_is_bounded_to_it(aws):
    deploy_endpoint()
    before = time.time()
    started = start(event(TimeoutSeconds="86400"))
    assert before + handler.MAX_TEST_SECONDS <= started["Deadline"] <= time.time() + handler.MAX_TEST_SECONDS


@pytest.mark.parametrize(
    ("name", "value"), [("TimeoutSeconds", "1.5"), ("TimeoutSeconds", "ten"), ("ExpectedStatus", "2OO")]
)
def test_a_number_that_is_not_whole_fails_with_a_clear_reason(aws, name, value):
    deploy_endpoint()
    with pytest.raises(handler.SmokeTestFailed, match=f"the smoke test's {name} must be a whole number, not '{value}'"):
        start(event(**{name: value}))


@pytest.mark.parametrize(
    ("properties", "sent"),
    [({}, "600"), ({"InvocationTimeoutSeconds": "90"}, "90"), ({"InvocationTimeoutSeconds": "7200"}, "600")],
)
def test_an_async_invocation_carries_its_timeout_at_most_the_tests(aws, monkeypatch, properties, sent):
    """Over HTTP: the InvokeEndpointAsync request's header, bounded by the test's own TimeoutSeconds (600)."""
    deploy_endpoint()
    seed_async(aws, json.dumps(POSITIVE))
    headers = []
    original = SageMakerRuntimeResponse.invoke_endpoint_async

    def invoke_endpoint_async(response):
        headers.append(response.headers.get("X-Amzn-SageMaker-InvocationTimeoutSeconds"))
        return original(response)

    monkeypatch.setattr(SageMakerRuntimeResponse, "invoke_endpoint_async", invoke_endpoint_async)
    started = start(async_event(TimeoutSeconds="600", **properties))
    handler.is_complete(started)
    assert headers == [sent]
