"""The smoke-test handler over real HTTP against a local moto server, driven as the Provider framework does."""

import json
import time
import uuid

import handler
import pytest
from moto.backends import get_backend
from moto.core.exceptions import JsonRESTError

from tests.handlers.conftest import PAYLOAD, PAYLOAD_BUCKET, PAYLOAD_KEY, REGION, client, post

ACCOUNT = "123456789012"
ENDPOINT = "sentiment"
POSITIVE = {"label": "positive", "score": 1.0, "model": "sentiment-lexicon@1"}


def deploy_endpoint(config_names=("config-a",), endpoint_config="config-a"):
    """A model, the named configs and an endpoint serving ``endpoint_config``, in moto."""
    sagemaker = client("sagemaker")
    sagemaker.create_model(
        ModelName="model",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
        PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sentiment:1"},
    )
    for name in config_names:
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "Primary",
                    "ModelName": "model",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=endpoint_config)


def deploy_stack(status=None):
    """A CloudFormation stack in moto (the custom resource's stack), optionally forced into ``status``."""
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    stack_id = client("cloudformation").create_stack(StackName="app", TemplateBody=json.dumps(template))["StackId"]
    if status:
        get_backend("cloudformation")[ACCOUNT][REGION].stacks[stack_id].status = status
    return stack_id


def set_endpoint_status(status, reason=None):
    endpoint = get_backend("sagemaker")[ACCOUNT][REGION].endpoints[ENDPOINT]
    endpoint.endpoint_status = status
    endpoint.failure_reason = reason


def seed_answers(aws, *answers):
    """What moto's InvokeEndpoint returns, in order: (body, content type)."""
    results = [{"Body": body, "ContentType": content_type} for body, content_type in answers]
    post(f"{aws}/moto-api/static/sagemaker/endpoint-results", {"results": results})


def event(request_type="Create", stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/app/1", **properties):
    defaults = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework",
        "EndpointName": ENDPOINT,
        "ExpectedEndpointConfigName": "config-a",
        "Invocation": "sync",
        "PayloadBucket": PAYLOAD_BUCKET,
        "PayloadKey": PAYLOAD_KEY,
        "ContentType": "application/json",
        "ExpectedStatus": "200",
        "BodyCheck": "json",
        "BodyValue": json.dumps({"label": "positive", "model": "sentiment-lexicon@1"}),
        "TimeoutSeconds": "600",
    }
    return {
        "RequestType": request_type,
        "RequestId": str(uuid.uuid4()),
        "StackId": stack_id,
        "LogicalResourceId": "SmokeTest",
        "ResourceType": "Custom::SageMakerEndpointSmokeTest",
        "ResourceProperties": {key: value for key, value in {**defaults, **properties}.items() if value is not None},
    }


def start(request):
    """The framework: on_event, then is_complete receives the event merged with on_event's answer."""
    return {**request, **handler.on_event(request)}


def run(request, attempts=1):
    """Start, then poll is_complete up to ``attempts`` times; the last answer."""
    started = start(request)
    for _ in range(attempts):
        answer = handler.is_complete(started)
        if answer["IsComplete"]:
            break
    return answer


def failure(request, attempts=1):
    with pytest.raises(handler.SmokeTestFailed) as caught:
        run(request, attempts)
    return str(caught.value)


class ModelError(JsonRESTError):
    """What SageMaker sends when the model's container answers with an HTTP error."""

    code = 424

    def __init__(self, status, message):
        super().__init__("ModelError", f"Received client error ({status}) from primary")
        self.description = json.dumps(
            {"__type": "ModelError", "message": self.message, "OriginalStatusCode": status, "OriginalMessage": message}
        )


def test_a_right_answer_completes_the_test(aws):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    assert run(event()) == {"IsComplete": True}


def test_a_wrong_body_fails_saying_how_it_differs_without_quoting_payload_or_answer(aws):
    deploy_endpoint()
    seed_answers(aws, (json.dumps({**POSITIVE, "label": "negative"}), "application/json"))
    message = failure(event())
    assert "Smoke test of endpoint 'sentiment' on config 'config-a' failed" in message
    assert 'JSON body differs: $.label, expected "positive"' in message
    assert f"sent application/json, {len(PAYLOAD)} bytes; got status 200 application/json, " in message
    assert "negative" not in message and "great" not in message


def test_a_test_that_reveals_answers_quotes_what_was_sent_and_what_came_back(aws):
    deploy_endpoint()
    seed_answers(aws, (json.dumps({**POSITIVE, "label": "negative"}), "application/json"))
    message = failure(event(RevealAnswers="true"))
    assert 'JSON body differs: $.label is "negative", expected "positive"' in message
    assert 'sent application/json \'{"text": "great"}\'' in message
    assert "got status 200 application/json" in message


def test_a_long_revealed_answer_is_truncated_in_the_message(aws):
    deploy_endpoint()
    seed_answers(aws, ("x" * 10_000, "application/json"))
    message = failure(event(BodyCheck="contains", BodyValue="positive", RevealAnswers="true"))
    assert "(10000 characters)" in message
    assert len(message) < 1000


def test_a_wrong_content_type_fails(aws):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "text/plain"))
    message = failure(event(ExpectedContentType="application/json; charset=utf-8"))
    assert "content type 'text/plain', expected 'application/json; charset=utf-8'" in message


@pytest.mark.parametrize(
    ("check", "value", "passes"),
    [
        ("equals", "positive", True),
        ("equals", "positiv", False),
        ("contains", "sit", True),
        ("matches", r"^pos\w+$", True),
        ("matches", r"^neg", False),
    ],
)
def test_text_body_checks(aws, check, value, passes):
    deploy_endpoint()
    seed_answers(aws, ("positive", "text/plain"))
    request = event(BodyCheck=check, BodyValue=value)
    if passes:
        assert run(request) == {"IsComplete": True}
    else:
        assert "body " in failure(request)


def test_an_http_error_from_the_model_fails_with_its_status_and_message(aws, invoke_calls):
    deploy_endpoint()
    invoke_calls[1].append(ModelError(500, "model.json is missing"))
    message = failure(event())
    assert "status 500, expected 200" in message
    assert "model.json is missing" not in message
    invoke_calls[1].append(ModelError(500, "model.json is missing"))
    assert "model.json is missing" in failure(event(RevealAnswers="true"))


def test_an_expected_error_status_passes(aws, invoke_calls):
    deploy_endpoint()
    invoke_calls[1].append(ModelError(400, '{"error": "expected a JSON object"}'))
    assert run(event(ExpectedStatus="400", BodyCheck="contains", BodyValue="expected")) == {"IsComplete": True}


def test_throttling_is_retried_with_backoff_within_one_attempt(aws, invoke_calls):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    calls, outcomes = invoke_calls
    outcomes.append(JsonRESTError("ThrottlingException", "Rate exceeded"))
    assert run(event()) == {"IsComplete": True}
    assert len(calls) == 2


def test_a_model_that_is_not_ready_is_waited_for(aws, invoke_calls):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    invoke_calls[1].append(JsonRESTError("ModelNotReadyException", "loading"))
    started = start(event())
    assert handler.is_complete(started) == {"IsComplete": False}
    assert handler.is_complete(started) == {"IsComplete": True}


def test_access_denied_is_waited_out_only_while_the_policy_may_be_new(aws, invoke_calls):
    deploy_endpoint()
    outcomes = invoke_calls[1]
    denied = JsonRESTError("AccessDeniedException", "not authorized to perform sagemaker:InvokeEndpoint")
    outcomes.append(denied)
    started = start(event())
    assert handler.is_complete(started) == {"IsComplete": False}
    outcomes.append(denied)
    started["Deadline"] = time.time() + 600 - 61  # the test started more than a minute ago
    with pytest.raises(handler.SmokeTestFailed, match="AccessDeniedException"):
        handler.is_complete(started)


def test_an_endpoint_not_in_service_yet_is_polled_until_it_is(aws):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    set_endpoint_status("Updating")
    started = start(event())
    assert handler.is_complete(started) == {"IsComplete": False}
    set_endpoint_status("InService")
    assert handler.is_complete(started) == {"IsComplete": True}


def test_running_out_of_time_fails_with_a_message_saying_so(aws):
    deploy_endpoint()
    set_endpoint_status("Creating")
    started = start(event(TimeoutSeconds="60"))
    started["Deadline"] = time.time() - 1
    with pytest.raises(handler.SmokeTestFailed) as caught:
        handler.is_complete(started)
    assert "ran out of time after 60 s: endpoint is Creating" in str(caught.value)


def test_a_failed_endpoint_fails_at_once_with_its_reason(aws):
    deploy_endpoint()
    set_endpoint_status("Failed", "the container did not pass /ping")
    assert "the endpoint is Failed (the container did not pass /ping)" in failure(event())


def test_an_endpoint_on_another_config_fails_as_a_silent_rollback(aws):
    deploy_endpoint(config_names=("config-a", "config-b"), endpoint_config="config-a")
    message = failure(event(ExpectedEndpointConfigName="config-b"))
    assert "serves config 'config-a', not 'config-b'" in message


def test_delete_makes_no_aws_call(monkeypatch):
    def no_calls(*args, **kwargs):
        raise AssertionError("Delete must not call AWS")

    monkeypatch.setattr(handler, "_client", no_calls)
    request = event("Delete")
    assert handler.on_event(request) == {}
    assert handler.is_complete({**request}) == {"IsComplete": True}


def test_a_rollback_re_sending_old_properties_does_not_test(aws):
    # The update to config-b failed; CloudFormation rolls back, re-sending the properties of config-a
    # while the endpoint still serves config-b: testing now would wedge the stack.
    deploy_endpoint(config_names=("config-a", "config-b"), endpoint_config="config-b")
    stack_id = deploy_stack(status="UPDATE_ROLLBACK_IN_PROGRESS")
    request = event("Update", stack_id=stack_id, ExpectedEndpointConfigName="config-a")
    started = start(request)
    assert started["SkipReason"] == "stack status is UPDATE_ROLLBACK_IN_PROGRESS"
    assert handler.is_complete(started) == {"IsComplete": True}


def test_the_same_update_outside_a_rollback_is_tested(aws):
    deploy_endpoint(config_names=("config-a", "config-b"), endpoint_config="config-b")
    stack_id = deploy_stack(status="UPDATE_IN_PROGRESS")
    message = failure(event("Update", stack_id=stack_id, ExpectedEndpointConfigName="config-a"))
    assert "serves config 'config-b', not 'config-a'" in message


def test_targets_reach_the_endpoint_as_headers(aws, invoke_calls):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    request = event(TargetVariant="Primary", TargetModel="a/model.tar.gz", Accept="application/json")
    assert run(request) == {"IsComplete": True}
    [sent] = invoke_calls[0]
    headers = {key.lower(): value for key, value in sent.items()}
    assert headers["x-amzn-sagemaker-target-variant"] == "Primary"
    assert headers["x-amzn-sagemaker-target-model"] == "a/model.tar.gz"
    assert sent["Accept"] == "application/json"


def async_event(bucket="smoke-input", **properties):
    client("s3").create_bucket(Bucket=bucket)
    return event(Invocation="async", AsyncInputBucket=bucket, AsyncInputPrefix="tests/", **properties)


def seed_async(aws, data, is_failure=False):
    post(
        f"{aws}/moto-api/static/sagemaker/async-endpoint-results",
        {"results": [{"data": data, "is_failure": is_failure}]},
    )


def test_async_uploads_the_input_invokes_once_and_checks_the_output(aws):
    deploy_endpoint()
    seed_async(aws, json.dumps(POSITIVE))
    request = async_event()
    started = start(request)
    assert handler.is_complete(started) == {"IsComplete": False}  # invoked; the result is read next time
    assert handler.is_complete(started) == {"IsComplete": True}
    uploaded = client("s3").get_object(Bucket="smoke-input", Key=f"tests/{request['RequestId']}/input")
    assert json.loads(uploaded["Body"].read()) == {"text": "great"}
    assert uploaded["ContentType"] == "application/json"


def test_async_failure_file_fails_naming_it_and_quotes_it_when_revealed(aws):
    deploy_endpoint()
    seed_async(aws, "CUDA out of memory", is_failure=True)
    message = failure(async_event(), attempts=2)
    assert "the asynchronous inference failed: see s3://" in message and "CUDA" not in message
    seed_async(aws, "CUDA out of memory", is_failure=True)
    message = failure(async_event(RevealAnswers="true"), attempts=2)
    assert "the asynchronous inference failed: 'CUDA out of memory'" in message


def test_async_waits_for_the_endpoint_before_invoking(aws):
    deploy_endpoint()
    seed_async(aws, json.dumps(POSITIVE))
    set_endpoint_status("Creating")
    request = async_event()
    started = start(request)
    assert handler.is_complete(started) == {"IsComplete": False}
    listed = client("s3").list_objects_v2(Bucket="smoke-input")
    assert listed["KeyCount"] == 0  # nothing uploaded or invoked while the endpoint is not InService


def test_each_step_logs_one_structured_record(aws, caplog):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    with caplog.at_level("INFO", logger="smoke_test"):
        run(event())
    steps = [(record.getMessage(), record.smoke_test) for record in caplog.records if record.name == "smoke_test"]
    assert [message for message, _ in steps] == ["start", "passed"]
    assert steps[0][1] == {"request_type": "Create", "endpoint": ENDPOINT, "timeout_seconds": 600}
