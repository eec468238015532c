"""Keeps an autoscaled variant's Application Auto Scaling registration right across an instance-type change,
its rollback and its removal; run by the CDK custom-resources Provider framework (``on_event`` only).

SageMaker refuses UpdateEndpoint while a variant whose instance type changes is registered as a scalable target,
so something must deregister it first, and restore it when CloudFormation rolls the change back. Two custom
resources per autoscaled variant share this handler:

- ``Guard`` (the endpoint depends on it; one per variant). Create: nothing. Update with a new instance type:
  deregister, and answer the registration the old template declared as ``Previous``. Rollback Update: deregister
  when the live endpoint still runs the other type (CloudFormation rolls the endpoint back next), or register
  the declared scaling at once when it already runs the template's type (the endpoint update itself failed).
  Delete (scaling dropped, stack deleted): deregister, unless the stack still declares the variant's scalable
  target (``TargetLogicalId``, e.g. the guard alone was turned off): CloudFormation keeps that registration.
- ``Restore`` (one per instance type, created before the endpoint update, holding ``Previous``). Delete in
  ``UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS``, after CloudFormation rolled the endpoint back: register the
  previous template's scaling again (target, policies, scheduled actions, step alarms' actions). Any other
  request: nothing.

CloudFormation passes property values as strings; they are typed back with botocore's API model.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

LOG = logging.getLogger("scaling_guard")
LOG.setLevel(logging.INFO)

CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 3})
NAMESPACE = "sagemaker"
NOT_REGISTERED = "ObjectNotFoundException"
ROLLING_BACK = "UPDATE_ROLLBACK_IN_PROGRESS"
ROLLED_BACK_CLEANUP = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
TARGET_FIELDS = ("MinCapacity", "MaxCapacity", "SuspendedState")
POLICY_FIELDS = (
    "PolicyName",
    "PolicyType",
    "StepScalingPolicyConfiguration",
    "TargetTrackingScalingPolicyConfiguration",
)


def on_event(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """The Provider framework's entry point: one CloudFormation request, answered at once."""
    properties = event["ResourceProperties"]
    LOG.info(
        "%s %s of %s (%s)",
        event["RequestType"],
        properties["Role"],
        properties["ResourceId"],
        properties.get("InstanceType"),
    )
    if properties["Role"] == "Guard":
        return _guard(event, properties)
    return _restore(event, properties)


def _guard(event: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    resource_id = properties["ResourceId"]
    physical_id = event.get("PhysicalResourceId") or f"guard:{resource_id}"
    previous = ""
    request = event["RequestType"]
    if request == "Delete":
        if _declared_by_stack(event, properties.get("TargetLogicalId")):
            LOG.info("%s is still declared by the stack: left registered", resource_id)
        else:
            deregister(resource_id, properties["ScalableDimension"])
    elif request == "Update":
        old = event["OldResourceProperties"]
        if old.get("InstanceType") != properties.get("InstanceType"):
            previous = json.dumps(old.get("Registration", {}), separators=(",", ":"))
            if _stack_status(event) == ROLLING_BACK and _live_instance_type(properties) == properties["InstanceType"]:
                register(properties)  # the endpoint never left the template's type: nothing will roll it back
            else:
                deregister(resource_id, properties["ScalableDimension"])
    return {"PhysicalResourceId": physical_id, "Data": {"Previous": previous}}


def _restore(event: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    physical_id = event.get("PhysicalResourceId") or f"restore:{properties['ResourceId']}@{properties['InstanceType']}"
    previous = properties.get("Previous") or ""
    if event["RequestType"] == "Delete" and previous and _stack_status(event) == ROLLED_BACK_CLEANUP:
        register({**properties, "Registration": json.loads(previous)})
    return {"PhysicalResourceId": physical_id}


def deregister(resource_id: str, dimension: str) -> None:
    """Deregister the variant (its policies and scheduled actions go with it); not registered is fine."""
    try:
        _client("application-autoscaling").deregister_scalable_target(
            ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=dimension
        )
        LOG.info("deregistered %s", resource_id)
    except ClientError as error:
        if error.response["Error"]["Code"] != NOT_REGISTERED:
            raise
        LOG.info("%s was not registered", resource_id)


def register(properties: dict[str, Any]) -> None:
    """Register the scaling that ``properties["Registration"]`` declares: target, scheduled actions, policies,
    and point each step policy's alarms at the policy's new ARN."""
    scaling = _client("application-autoscaling")
    key = {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": properties["ResourceId"],
        "ScalableDimension": properties["ScalableDimension"],
    }
    declared = properties["Registration"]
    target = declared["Target"]
    limits = {name: target[name] for name in TARGET_FIELDS if name in target}
    # Tagged as CloudFormation tags the targets: the tag scopes this handler's permissions.
    scaling.register_scalable_target(**typed("RegisterScalableTarget", {**key, **limits, "Tags": properties["Tags"]}))
    for action in target.get("ScheduledActions", []):
        scaling.put_scheduled_action(**typed("PutScheduledAction", {**key, **action}))
    for policy in declared.get("Policies", []):
        fields = {name: policy[name] for name in POLICY_FIELDS if name in policy}
        arn = scaling.put_scaling_policy(**typed("PutScalingPolicy", {**key, **fields}))["PolicyARN"]
        if policy["PolicyType"] == "StepScaling":
            _point_alarms_at(properties["StackName"], key["ResourceId"], policy["PolicyName"], arn)
    LOG.info("registered %s with %d policies", key["ResourceId"], len(declared.get("Policies", [])))


def _point_alarms_at(stack_name: str, resource_id: str, policy_name: str, policy_arn: str) -> None:
    """A re-created step policy has a new ARN: the stack's alarms that called the old one (CloudFormation names
    them ``<stack name>-<logical ID>-<suffix>``) must call the new one."""
    cloudwatch = _client("cloudwatch")
    calls_policy = f":resource/{NAMESPACE}/{resource_id}:policyName/{policy_name}"
    model = _model("cloudwatch").operation_model("PutMetricAlarm").input_shape
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=f"{stack_name}-", AlarmTypes=["MetricAlarm"]
    )
    for alarm in (alarm for page in pages for alarm in page["MetricAlarms"]):
        actions = [policy_arn if action.endswith(calls_policy) else action for action in alarm["AlarmActions"]]
        if actions != alarm["AlarmActions"]:
            fields = {name: alarm[name] for name in model.members if name in alarm and name != "AlarmActions"}
            cloudwatch.put_metric_alarm(**fields, AlarmActions=actions)


def typed(operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` of an Application Auto Scaling ``operation``, CloudFormation's strings typed per the model."""
    typed_parameters: dict[str, Any] = _typed(
        _model("application-autoscaling").operation_model(operation).input_shape, parameters
    )
    return typed_parameters


def _typed(shape: Any, value: Any) -> Any:
    if shape.type_name == "structure":
        return {name: _typed(shape.members[name], item) for name, item in value.items() if name in shape.members}
    if shape.type_name == "list":
        return [_typed(shape.member, item) for item in value]
    if shape.type_name == "integer":
        return int(value)
    if shape.type_name == "double":
        return float(value)
    if shape.type_name == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return value


def _stack_status(event: dict[str, Any]) -> str:
    [stack] = _client("cloudformation").describe_stacks(StackName=event["StackId"])["Stacks"]
    return str(stack["StackStatus"])


def _declared_by_stack(event: dict[str, Any], logical_id: str | None) -> bool:
    """The stack's template in force declares ``logical_id`` (the variant's scalable target): not removed, not
    being deleted. A guard from before the property (None) names no target: as before, not declared."""
    if not logical_id:
        return False
    try:
        detail = _client("cloudformation").describe_stack_resource(
            StackName=event["StackId"], LogicalResourceId=logical_id
        )["StackResourceDetail"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationError":  # CloudFormation's "does not exist for stack"
            return False
        raise
    return not str(detail["ResourceStatus"]).startswith("DELETE")


def _live_instance_type(properties: dict[str, Any]) -> str | None:
    """The instance type the live endpoint's variant runs, or None without an endpoint (or that variant)."""
    sagemaker = _client("sagemaker")
    try:
        config_name = sagemaker.describe_endpoint(EndpointName=properties["EndpointName"])["EndpointConfigName"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationException":  # SageMaker's "could not find endpoint"
            return None
        raise
    variants = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    return next((v.get("InstanceType") for v in variants if v["VariantName"] == properties["VariantName"]), None)


_CLIENTS: dict[str, Any] = {}
_MODELS: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in _CLIENTS:
        _CLIENTS[service] = boto3.client(service, config=CONFIG)
    return _CLIENTS[service]


def _model(service: str) -> Any:
    if service not in _MODELS:
        _MODELS[service] = botocore.session.get_session().get_service_model(service)
    return _MODELS[service]
