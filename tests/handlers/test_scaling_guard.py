"""An autoscaled variant's instance-type change, replayed as CloudFormation runs it, against the local moto server.

The test plays CloudFormation: it sends the guard's handler the requests CloudFormation sends (Create, Update,
the rollback's Update with the old properties, the cleanup's Deletes, with every value a string), and itself
does what CloudFormation does with the template's other resources (registers the targets, puts the policies,
creates the step alarms, updates the endpoint, deletes in cleanup). Every path must end with the variant
scaled exactly as the template in force declares.

moto is taught, in-process, three documented behaviours it lacks (the calls still go over HTTP):
DeregisterScalableTarget deletes the target's policies and scheduled actions and answers
ObjectNotFoundException for a target not registered (botocore's model, read below); and SageMaker refuses an
endpoint update that changes the instance type of a registered variant (the guide's "Update endpoints that use
auto scaling"). moto has no UpdateEndpoint: the endpoint's config is switched in its backend.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import botocore.session
import guard_handler
import pytest
from botocore.exceptions import ClientError
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.backends import get_backend
from moto.core.exceptions import JsonRESTError

from cdk_sagemaker_inference import InstanceType
from tests.handlers.conftest import REGION, client
from tests.support import new_stack, realtime_endpoint, scale_on_latency_steps, template

ACCOUNT = "123456789012"
STACK = "app"
OLD_TYPE, NEW_TYPE = "ml.m5.large", "ml.c5.xlarge"
PSEUDO = {"AWS::StackName": STACK, "AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": REGION}


def synthesized(instance_type: str) -> dict[str, Any]:
    """The stack's template with one autoscaled variant: target tracking and a step policy with two alarms."""
    stack = new_stack(STACK)
    endpoint = realtime_endpoint(stack, instance_type=InstanceType.of(instance_type), initial_instance_count=2)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=4)
    count.scale_on_invocations("Invocations", invocations_per_instance=100)
    scale_on_latency_steps(count)
    return template(stack).to_json()


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    return {OLD_TYPE: synthesized(OLD_TYPE), NEW_TYPE: synthesized(NEW_TYPE)}


@pytest.fixture
def documented_autoscaling(aws, monkeypatch):
    def deregister(backend, namespace, r_id, dimension):
        if not backend._scalable_target_exists(r_id, dimension):
            raise JsonRESTError("ObjectNotFoundException", f"No scalable target registered for {r_id}")
        del backend.targets[dimension][r_id]
        for key, policy in list(backend.policies.items()):
            if (policy.resource_id, policy.scalable_dimension) == (r_id, dimension):
                del backend.policies[key]
        backend.scheduled_actions = [a for a in backend.scheduled_actions if a.resource_id != r_id]

    monkeypatch.setattr(ApplicationAutoscalingBackend, "deregister_scalable_target", deregister)


def test_the_api_documents_what_moto_is_taught():
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    operation = model.operation_model("DeregisterScalableTarget")
    assert "deletes the scaling policies and the scheduled actions" in operation.documentation
    assert "ObjectNotFoundException" in [shape.name for shape in operation.error_shapes]


class CloudFormation:
    """CloudFormation's part: the stack, its status, its requests to the handler and its own resource calls."""

    def __init__(self, templates: dict[str, dict[str, Any]]) -> None:
        self.templates = templates
        self.stack_id = client("cloudformation").create_stack(
            StackName=STACK, TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
        )["StackId"]
        self.attributes: dict[tuple[str, str], str] = {}
        self.physical: dict[str, str] = {}
        self.sent: dict[str, dict[str, Any]] = {}  # each custom resource's properties, as last created or updated
        self.sagemaker = client("sagemaker")
        self.scaling = client("application-autoscaling")
        self.cloudwatch = client("cloudwatch")
        self.sagemaker.create_model(
            ModelName="model",
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
            PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sentiment:1"},
        )
        for instance_type in templates:
            self.sagemaker.create_endpoint_config(
                EndpointConfigName=instance_type,
                ProductionVariants=[
                    {"VariantName": "AllTraffic", "ModelName": "model", "InstanceType": instance_type}
                    | {"InitialInstanceCount": 2}
                ],
            )

    # --- the stack and its template -------------------------------------------------------------------------
    def status(self, status: str) -> None:
        get_backend("cloudformation")[ACCOUNT][REGION].stacks[self.stack_id].status = status

    def resources(self, instance_type: str, resource_type: str) -> dict[str, dict[str, Any]]:
        found = self.templates[instance_type]["Resources"].items()
        return {key: value for key, value in found if value["Type"] == resource_type}

    def one(self, instance_type: str, resource_type: str) -> tuple[str, dict[str, Any]]:
        [(logical_id, resource)] = self.resources(instance_type, resource_type).items()
        return logical_id, resolve(resource["Properties"], self)

    @property
    def endpoint_name(self) -> str:
        [endpoint] = self.resources(OLD_TYPE, "AWS::SageMaker::Endpoint").values()
        return str(endpoint["Properties"]["EndpointName"])

    def declare(self, *logical_ids: str) -> None:
        """The stack's template in force now declares these resources (what DescribeStackResource answers)."""
        resources = {logical_id: {"Type": "AWS::SNS::Topic"} for logical_id in ("Topic", *logical_ids)}
        client("cloudformation").update_stack(StackName=STACK, TemplateBody=json.dumps({"Resources": resources}))

    # --- requests to the handler -------------------------------------------------------------------------
    def request(self, request_type: str, resource_type: str, new: str, old: str | None = None) -> dict[str, Any]:
        logical_id, properties = self.one(new, resource_type)
        # A Delete carries the properties the resource was last given (resolved then), not today's values.
        sent = self.sent[logical_id] if request_type == "Delete" else as_sent(properties)
        event = {
            "RequestType": request_type,
            "StackId": self.stack_id,
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "ResourceProperties": sent,
        }
        if request_type != "Create":
            event["PhysicalResourceId"] = self.physical[logical_id]
        if old is not None:
            event["OldResourceProperties"] = as_sent(self.one(old, resource_type)[1])
        answer = guard_handler.on_event(json.loads(json.dumps(event)))
        self.sent[logical_id] = sent
        self.physical[logical_id] = answer["PhysicalResourceId"]
        for name, value in answer.get("Data", {}).items():
            self.attributes[(logical_id, name)] = value
        return answer

    def guard(self, request_type: str, new: str, old: str | None = None) -> dict[str, Any]:
        return self.request(request_type, "Custom::SageMakerScalingGuard", new, old)

    def restore(self, request_type: str, instance_type: str) -> dict[str, Any]:
        return self.request(request_type, "Custom::SageMakerScalingRestore", instance_type)

    # --- CloudFormation's own calls ----------------------------------------------------------------------
    def create_endpoint(self, instance_type: str) -> None:
        self.sagemaker.create_endpoint(EndpointName=self.endpoint_name, EndpointConfigName=instance_type)

    def update_endpoint(self, instance_type: str) -> None:
        """UpdateEndpoint as SageMaker answers it: refused while a variant changing its type is registered."""
        endpoint = get_backend("sagemaker")[ACCOUNT][REGION].endpoints[self.endpoint_name]
        registered = self.scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        if endpoint.endpoint_config_name != instance_type and registered:
            raise RuntimeError(
                "ValidationException: the update would change the instance type of a variant that is "
                "a target for auto scaling"
            )
        endpoint.endpoint_config_name = instance_type

    def create_scaling(self, instance_type: str) -> None:
        """The template's target, policies and step alarms, created as CloudFormation creates them."""
        _, target = self.one(instance_type, "AWS::ApplicationAutoScaling::ScalableTarget")
        key = {name: target[name] for name in ("ServiceNamespace", "ResourceId", "ScalableDimension")}
        tags = {tag["Key"]: tag["Value"] for tag in target["Tags"]}
        self.scaling.register_scalable_target(
            **key, MinCapacity=target["MinCapacity"], MaxCapacity=target["MaxCapacity"], Tags=tags
        )
        for logical_id, policy in self.resources(instance_type, "AWS::ApplicationAutoScaling::ScalingPolicy").items():
            fields = {k: v for k, v in policy["Properties"].items() if k in guard_handler.POLICY_FIELDS}
            self.physical[logical_id] = self.scaling.put_scaling_policy(**key, **fields)["PolicyARN"]
        for logical_id, alarm in self.resources(instance_type, "AWS::CloudWatch::Alarm").items():
            properties = resolve(alarm["Properties"], self)
            if not any(action.startswith("arn:aws:autoscaling") for action in properties.get("AlarmActions", [])):
                continue
            name = f"{STACK}-{logical_id}-ABC123"
            fields = ("MetricName", "Namespace", "Statistic", "Period", "EvaluationPeriods", "Threshold")
            self.cloudwatch.put_metric_alarm(
                AlarmName=name,
                ComparisonOperator=properties["ComparisonOperator"],
                Dimensions=properties["Dimensions"],
                AlarmActions=properties["AlarmActions"],
                **{field: properties[field] for field in fields},
            )
            self.physical[logical_id] = name

    def delete_scaling(self, instance_type: str) -> None:
        """Cleanup of the other template's scaling: targets are retained; policies and alarms are deleted."""
        _, target = self.one(instance_type, "AWS::ApplicationAutoScaling::ScalableTarget")
        for policy in self.resources(instance_type, "AWS::ApplicationAutoScaling::ScalingPolicy").values():
            with contextlib.suppress(ClientError):  # gone with a deregistration: CloudFormation takes it as deleted
                self.scaling.delete_scaling_policy(
                    PolicyName=policy["Properties"]["PolicyName"],
                    **{name: target[name] for name in ("ServiceNamespace", "ResourceId", "ScalableDimension")},
                )
        for logical_id in self.resources(instance_type, "AWS::CloudWatch::Alarm"):
            if logical_id in self.physical:
                self.cloudwatch.delete_alarms(AlarmNames=[self.physical.pop(logical_id)])

    # --- what the variant has ------------------------------------------------------------------------------
    def scaling_in_force(self) -> dict[str, Any]:
        targets = self.scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        policies = self.scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        alarms = self.cloudwatch.describe_alarms(AlarmNamePrefix=f"{STACK}-")["MetricAlarms"]
        arns = {policy["PolicyARN"] for policy in policies}
        return {
            "targets": [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets],
            "policies": sorted(policy["PolicyName"] for policy in policies),
            "alarms calling a live policy": all(set(a["AlarmActions"]) <= arns for a in alarms),
            "alarms": len(alarms),
        }

    def declared(self, instance_type: str) -> dict[str, Any]:
        _, target = self.one(instance_type, "AWS::ApplicationAutoScaling::ScalableTarget")
        policies = self.resources(instance_type, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
        step_alarms = [
            alarm
            for alarm in self.resources(instance_type, "AWS::CloudWatch::Alarm").values()
            if any("Ref" in action for action in alarm["Properties"].get("AlarmActions", []))
        ]
        return {
            "targets": [(target["ResourceId"], target["MinCapacity"], target["MaxCapacity"])],
            "policies": sorted(policy["Properties"]["PolicyName"] for policy in policies),
            "alarms calling a live policy": True,
            "alarms": len(step_alarms),
        }


def resolve(value: Any, cloudformation: CloudFormation) -> Any:
    """Template values as CloudFormation resolves them (pseudo parameters, joins, GetAtt, Ref to a resource)."""
    if isinstance(value, list):
        return [resolve(item, cloudformation) for item in value]
    if isinstance(value, dict):
        if "Ref" in value:
            return PSEUDO.get(value["Ref"]) or cloudformation.physical.get(value["Ref"], value["Ref"])
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(resolve(part, cloudformation)) for part in parts)
        if "Fn::GetAtt" in value:
            return cloudformation.attributes.get(tuple(value["Fn::GetAtt"]), "")
        return {key: resolve(item, cloudformation) for key, item in value.items()}
    return value


def as_sent(value: Any) -> Any:
    """Custom resource properties as CloudFormation sends them: every scalar a string."""
    if isinstance(value, dict):
        return {key: as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item) for item in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@pytest.fixture
def cloudformation(templates, documented_autoscaling) -> CloudFormation:
    """The stack created with the old instance type: guard, restore resource, endpoint, then its scaling."""
    cfn = CloudFormation(templates)
    cfn.status("CREATE_IN_PROGRESS")
    cfn.guard("Create", OLD_TYPE)
    cfn.restore("Create", OLD_TYPE)
    cfn.create_endpoint(OLD_TYPE)
    cfn.create_scaling(OLD_TYPE)
    cfn.status("CREATE_COMPLETE")
    assert cfn.scaling_in_force() == cfn.declared(OLD_TYPE)
    return cfn


def forward_until_the_endpoint_update(cfn: CloudFormation) -> None:
    cfn.status("UPDATE_IN_PROGRESS")
    cfn.guard("Update", NEW_TYPE, old=OLD_TYPE)
    cfn.restore("Create", NEW_TYPE)


def test_without_the_guard_the_endpoint_update_is_refused(cloudformation):
    with pytest.raises(RuntimeError, match="target for auto scaling"):
        cloudformation.update_endpoint(NEW_TYPE)


def test_a_successful_type_change_ends_with_the_new_templates_scaling(cloudformation):
    cfn = cloudformation
    forward_until_the_endpoint_update(cfn)
    cfn.update_endpoint(NEW_TYPE)
    cfn.create_scaling(NEW_TYPE)
    cfn.status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    cfn.restore("Delete", OLD_TYPE)  # a forward cleanup: nothing to restore
    cfn.delete_scaling(OLD_TYPE)
    assert cfn.scaling_in_force() == cfn.declared(NEW_TYPE)


def test_a_failed_endpoint_update_rolls_back_to_the_old_templates_scaling(cloudformation):
    cfn = cloudformation
    forward_until_the_endpoint_update(cfn)
    # UpdateEndpoint fails; SageMaker keeps the old config, and CloudFormation rolls back.
    cfn.status("UPDATE_ROLLBACK_IN_PROGRESS")
    cfn.guard("Update", OLD_TYPE, old=NEW_TYPE)  # the endpoint never left the old type: registered at once
    assert cfn.scaling_in_force() == cfn.declared(OLD_TYPE)
    cfn.update_endpoint(OLD_TYPE)  # CloudFormation's rollback of the endpoint: no type change, allowed
    cfn.status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    cfn.restore("Delete", NEW_TYPE)
    assert cfn.scaling_in_force() == cfn.declared(OLD_TYPE)


def test_a_failed_smoke_test_rolls_back_to_the_old_templates_scaling(cloudformation):
    cfn = cloudformation
    forward_until_the_endpoint_update(cfn)
    cfn.update_endpoint(NEW_TYPE)
    cfn.create_scaling(NEW_TYPE)
    # The smoke test fails: CloudFormation rolls back.
    cfn.status("UPDATE_ROLLBACK_IN_PROGRESS")
    cfn.guard("Update", OLD_TYPE, old=NEW_TYPE)  # the live endpoint runs the new type: deregistered
    cfn.update_endpoint(OLD_TYPE)  # refused if the new target were still registered
    cfn.status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    cfn.restore("Delete", NEW_TYPE)  # after the endpoint is back: the old scaling again
    cfn.delete_scaling(NEW_TYPE)
    assert cfn.scaling_in_force() == cfn.declared(OLD_TYPE)


def test_a_failure_after_the_guard_and_before_the_endpoint_update_rolls_back_to_the_old_scaling(cloudformation):
    cfn = cloudformation
    cfn.status("UPDATE_IN_PROGRESS")
    cfn.guard("Update", NEW_TYPE, old=OLD_TYPE)  # the restore resource is never created
    cfn.status("UPDATE_ROLLBACK_IN_PROGRESS")
    cfn.guard("Update", OLD_TYPE, old=NEW_TYPE)
    assert cfn.scaling_in_force() == cfn.declared(OLD_TYPE)


def test_deleting_the_stack_deregisters_the_retained_target(cloudformation):
    cfn = cloudformation
    cfn.status("DELETE_IN_PROGRESS")
    cfn.delete_scaling(OLD_TYPE)
    cfn.restore("Delete", OLD_TYPE)
    cfn.guard("Delete", OLD_TYPE)
    assert cfn.scaling_in_force() == {"targets": [], "policies": [], "alarms calling a live policy": True, "alarms": 0}


def test_dropping_autoscaling_deregisters_the_retained_target(cloudformation):
    cfn = cloudformation  # the new template has neither the target (retained: DELETE_SKIPPED) nor the guard
    cfn.status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    cfn.delete_scaling(OLD_TYPE)
    cfn.restore("Delete", OLD_TYPE)
    cfn.guard("Delete", OLD_TYPE)
    assert cfn.scaling_in_force()["targets"] == []


def test_turning_the_guard_off_leaves_the_variant_scaled_as_the_template_declares(cloudformation):
    cfn = cloudformation
    target, _ = cfn.one(OLD_TYPE, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert cfn.sent[cfn.one(OLD_TYPE, "Custom::SageMakerScalingGuard")[0]]["TargetLogicalId"] == target
    cfn.status("UPDATE_IN_PROGRESS")
    cfn.declare(target)  # guard_instance_type_changes=False: the same target and policies, no guard
    cfn.status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    cfn.restore("Delete", OLD_TYPE)
    cfn.guard("Delete", OLD_TYPE)
    assert cfn.scaling_in_force() == cfn.declared(OLD_TYPE)


def test_a_restore_is_typed_by_botocores_model_not_by_the_strings_cloudformation_sends():
    typed = guard_handler.typed(
        "PutScalingPolicy",
        {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": "100", "DisableScaleIn": "false"}},
    )
    assert typed == {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 100.0, "DisableScaleIn": False}}
