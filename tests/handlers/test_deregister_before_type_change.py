"""The call that lets an autoscaled variant change its instance type in one deploy, run against the local moto
server over HTTP as the AwsCustomResource function would make it (its parameters read from the template).

botocore's model documents ObjectNotFoundException for deregistering a target that is not registered (a test
below reads it); moto answers ValidationException instead, so its server is taught the documented error
in-process (the call still goes over HTTP).
"""

import json
import re

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.core.exceptions import JsonRESTError

from tests.handlers.conftest import REGION
from tests.support import new_stack, realtime_endpoint, template


def deregistration_calls():
    """The AwsCustomResource's Update and Delete calls, as synthesized."""
    stack = new_stack()
    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=4)
    [resource] = template(stack).find_resources("Custom::AWS").values()
    properties = resource["Properties"]
    return endpoint, json.loads(properties["Update"]), json.loads(properties["Delete"]), properties


def sdk_call(client, call):
    """Make ``call`` as the AwsCustomResource handler does: the action on the service, errors it ignores."""
    assert call["service"] == "ApplicationAutoScaling"
    method = re.sub(r"(?<!^)(?=[A-Z])", "_", call["action"]).lower()
    try:
        return getattr(client, method)(**call["parameters"])
    except ClientError as error:
        if re.search(call["ignoreErrorCodesMatching"], error.response["Error"]["Code"]):
            return None
        raise


@pytest.fixture
def autoscaling(aws, monkeypatch):
    original = ApplicationAutoscalingBackend.deregister_scalable_target

    def deregister(backend, namespace, r_id, dimension):
        if dimension.startswith("sagemaker:variant:Desired") and not backend._scalable_target_exists(r_id, dimension):
            raise JsonRESTError("ObjectNotFoundException", f"No scalable target registered for {r_id}")
        return original(backend, namespace, r_id, dimension)

    monkeypatch.setattr(ApplicationAutoscalingBackend, "deregister_scalable_target", deregister)
    return boto3.client("application-autoscaling", region_name=REGION)


def test_the_api_documents_object_not_found_for_a_target_not_registered():
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    errors = [shape.name for shape in model.operation_model("DeregisterScalableTarget").error_shapes]
    assert "ObjectNotFoundException" in errors
    assert "deregisters" in model.shape_for("ObjectNotFoundException").documentation


def test_the_update_call_deregisters_the_variant_and_a_second_one_is_ignored(autoscaling):
    endpoint, update, delete, properties = deregistration_calls()
    target = {key: update["parameters"][key] for key in ("ServiceNamespace", "ResourceId", "ScalableDimension")}
    assert target["ResourceId"] == f"endpoint/{endpoint.endpoint_name}/variant/AllTraffic"
    assert properties["InstanceType"] == "ml.m5.large"  # the property whose change runs the Update
    autoscaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    assert len(autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]) == 1
    assert sdk_call(autoscaling, update) is not None
    assert autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert sdk_call(autoscaling, update) is None  # not registered (a first deploy): ObjectNotFoundException, ignored
    assert sdk_call(autoscaling, delete) is None


def test_an_error_other_than_not_registered_is_not_ignored(autoscaling):
    _, update, _, _ = deregistration_calls()
    broken = {**update, "parameters": {**update["parameters"], "ScalableDimension": "sagemaker:variant:Nonsense"}}
    with pytest.raises(ClientError) as caught:
        sdk_call(autoscaling, broken)
    assert caught.value.response["Error"]["Code"] != "ObjectNotFoundException"
