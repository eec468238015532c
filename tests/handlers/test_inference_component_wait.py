"""The handler waits for an inference component, over real HTTP against the local moto server.

moto has no inference components, so its SageMaker server is taught DescribeInferenceComponent in-process
(the handler still calls it over HTTP); InvokeEndpoint stays moto's, which records the headers sent.
"""

import json

import handler
import pytest
from moto.core.exceptions import JsonRESTError
from moto.sagemaker.responses import SageMakerResponse

from tests.handlers.test_smoke_test_handler import (
    POSITIVE,
    deploy_endpoint,
    event,
    failure,
    run,
    seed_answers,
    start,
)

COMPONENT = "sentiment-component"


@pytest.fixture
def component_states(monkeypatch):
    """The statuses DescribeInferenceComponent answers, one per call (the last repeats); records the names asked."""
    states: list[tuple[str, str | None]] = []
    asked: list[str] = []

    def describe_inference_component(response):
        asked.append(json.loads(response.body)["InferenceComponentName"])
        status, reason = states.pop(0) if len(states) > 1 else states[0]
        answer = {"InferenceComponentName": asked[-1], "InferenceComponentStatus": status}
        if reason:
            answer["FailureReason"] = reason
        return json.dumps(answer)

    monkeypatch.setattr(SageMakerResponse, "describe_inference_component", describe_inference_component, raising=False)
    return states, asked


def test_a_creating_component_is_waited_for_then_called_by_name(aws, component_states, invoke_calls):
    states, asked = component_states
    states += [("Creating", None), ("InService", None)]
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    request = event(InferenceComponentName=COMPONENT, InferenceComponentRevision="abc")
    assert run(request, attempts=1) == {"IsComplete": False}
    assert run(request, attempts=1) == {"IsComplete": True}
    assert asked == [COMPONENT, COMPONENT]
    calls, _ = invoke_calls
    assert len(calls) == 1
    headers = {key.lower(): value for key, value in calls[0].items()}
    assert headers["x-amzn-sagemaker-inference-component"] == COMPONENT


def test_a_failed_component_fails_the_test_with_its_reason(aws, component_states, invoke_calls):
    states, _ = component_states
    states.append(("Failed", "not enough memory on ml.m5.large"))
    deploy_endpoint()
    message = failure(event(InferenceComponentName=COMPONENT))
    assert "the inference component is Failed (not enough memory on ml.m5.large)" in message
    assert invoke_calls[0] == []


def test_a_test_without_a_component_never_asks_for_one(aws, component_states):
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    assert run(event()) == {"IsComplete": True}
    assert component_states[1] == []


NO_CAPACITY = "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress"


def test_a_component_at_zero_copies_is_waited_for_until_it_scaled_out(aws, component_states, invoke_calls):
    component_states[0].append(("InService", None))
    deploy_endpoint()
    seed_answers(aws, (json.dumps(POSITIVE), "application/json"))
    calls, outcomes = invoke_calls
    outcomes += [JsonRESTError("ValidationError", NO_CAPACITY), JsonRESTError("ValidationError", NO_CAPACITY)]
    started = start(event(InferenceComponentName=COMPONENT, MayBeAtZero="true"))
    assert handler.is_complete(started) == {"IsComplete": False}  # each call also counts NoCapacityInvocationFailures
    assert handler.is_complete(started) == {"IsComplete": False}
    assert handler.is_complete(started) == {"IsComplete": True}
    assert len(calls) == 3


def test_no_capacity_fails_at_once_where_the_target_cannot_be_at_zero(aws, component_states, invoke_calls):
    component_states[0].append(("InService", None))
    deploy_endpoint()
    invoke_calls[1].append(JsonRESTError("ValidationError", NO_CAPACITY))
    assert "no capacity" in failure(event(InferenceComponentName=COMPONENT))


def test_other_validation_errors_fail_at_once_even_at_zero(aws, component_states, invoke_calls):
    component_states[0].append(("InService", None))
    deploy_endpoint()
    invoke_calls[1].append(JsonRESTError("ValidationError", "Inference Component sentiment-component not found"))
    assert "not found" in failure(event(InferenceComponentName=COMPONENT, MayBeAtZero="true"))
