"""Day 2: synthesize an app, change one thing, synthesize again, and compare the two templates.

For each change: every endpoint keeps its logical ID and name (it updates in place, never replaced); every
resource CloudFormation must replace (a create-only property changed, per the schema cfn-lint ships) has no
physical name, so the replacement can be created beside the old one; autoscaled capacity is retained. A new
model or config reaches the endpoint through ``Fn::GetAtt`` names, so only the changed resource differs in
the template; CloudFormation replaces what refers to it in turn (configs, too, carry no names).
"""

from dataclasses import dataclass, replace

import pytest
from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from cdk_sagemaker_inference import (
    AlarmThresholds,
    AsyncInference,
    BlueGreenDeployment,
    CapacitySize,
    ComputeRequirements,
    ContainerImage,
    Endpoint,
    EndpointAlarms,
    EndpointConfig,
    InferenceComponent,
    InferenceComponentHostVariant,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
    ServerlessProductionVariant,
    Severity,
    TrafficRouting,
)
from tests.support import new_stack, template

NAMES = {  # the physical-name property of each resource type that has one
    "AWS::SageMaker::Model": "ModelName",
    "AWS::SageMaker::EndpointConfig": "EndpointConfigName",
    "AWS::SageMaker::Endpoint": "EndpointName",
    "AWS::SageMaker::InferenceComponent": "InferenceComponentName",
}


@dataclass(frozen=True)
class App:
    """What day 2 may change."""

    image_tag: str = "1.0"
    data_key: str = "v1/model.tar.gz"
    primary_type: str = "ml.m5.large"
    weights: tuple[float, float] = (0.9, 0.1)
    max_capacity: int = 4
    latency_ms: float = 500
    canary_percent: int = 25
    serverless_memory: int = 2048
    async_concurrency: int = 4
    second_component: bool = False


def synthesize(app: App) -> dict:
    stack = new_stack()
    repository = ecr.Repository.from_repository_name(stack, "Repository", "sentiment")

    def model(construct_id: str, **kwargs) -> Model:
        return Model(
            stack,
            construct_id,
            container=ContainerImage.from_ecr_repository(repository, tag=app.image_tag),
            model_data=ModelData.from_s3_url(f"s3://models-bucket/{app.data_key}"),
            **kwargs,
        )

    shared = model("Model")
    variants = [
        ProductionVariant(
            model=shared,
            variant_name=name,
            instance_type=InstanceType.of(instance_type),
            initial_instance_count=2,
            initial_variant_weight=weight,
        )
        for name, instance_type, weight in (
            ("Primary", app.primary_type, app.weights[0]),
            ("Candidate", "ml.m5.large", app.weights[1]),
        )
    ]
    realtime = Endpoint(
        stack,
        "Realtime",
        endpoint_config=EndpointConfig(stack, "RealtimeConfig", production_variants=variants),
        deployment=BlueGreenDeployment(
            traffic_routing=TrafficRouting.canary(
                CapacitySize.percent(app.canary_percent), wait_interval=Duration.minutes(5)
            ),
        ),
    )
    realtime.find_variant("Primary").auto_scale_instance_count(
        min_capacity=2, max_capacity=app.max_capacity
    ).scale_on_invocations("Invocations", invocations_per_instance=70)
    alarms = EndpointAlarms(
        stack,
        "Alarms",
        endpoint=realtime,
        thresholds=AlarmThresholds(latency_p99_ms={Severity.WARNING: app.latency_ms}),
    )
    alarms.add_rollback_alarms(Severity.CRITICAL)  # the new fleet's, sized to the 5-minute bake

    serverless = EndpointConfig(
        stack,
        "ServerlessConfig",
        production_variants=[
            ServerlessProductionVariant(model=model("ServerlessModel"), memory_size_in_mb=app.serverless_memory)
        ],
    )
    Endpoint(stack, "Serverless", endpoint_config=serverless)
    queued = EndpointConfig(
        stack,
        "AsyncConfig",
        production_variants=[ProductionVariant(model=model("AsyncModel"), instance_type=InstanceType.ML_M5_LARGE)],
        async_inference=AsyncInference(max_concurrent_invocations_per_instance=app.async_concurrency),
    )
    Endpoint(stack, "Async", endpoint_config=queued)
    hosts = EndpointConfig(
        stack, "HostConfig", production_variants=[InferenceComponentHostVariant(instance_type=InstanceType.ML_M5_LARGE)]
    )
    hosting = Endpoint(stack, "Components", endpoint_config=hosts)
    for name in ("First", "Second") if app.second_component else ("First",):
        InferenceComponent(
            stack,
            name,
            endpoint=hosting,
            model=model(f"{name}Model", role=hosts.execution_role),
            compute=ComputeRequirements(min_memory_required_in_mb=1024),
        )
    return template(stack).to_json()


def resources(template_json: dict, resource_type: str) -> dict:
    return {key: value for key, value in template_json["Resources"].items() if value["Type"] == resource_type}


def changed(before: dict, after: dict) -> dict[str, bool]:
    """Logical ID -> whether CloudFormation replaces it, for every resource in both whose properties differ."""
    found = {}
    for logical_id, resource in after["Resources"].items():
        old = before["Resources"].get(logical_id)
        if old is None or old["Type"] != resource["Type"] or old.get("Properties") == resource.get("Properties"):
            continue
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"]).schema
        create_only = {path.split("/")[2] for path in schema.get("createOnlyProperties", [])}
        found[logical_id] = any(old["Properties"].get(name) != resource["Properties"].get(name) for name in create_only)
    return found


CHANGES = {
    "new image": ({"image_tag": "1.1"}, {"AWS::SageMaker::Model"}),
    "new model data": ({"data_key": "v2/model.tar.gz"}, {"AWS::SageMaker::Model"}),
    "instance type of an autoscaled variant": ({"primary_type": "ml.c5.xlarge"}, {"AWS::SageMaker::EndpointConfig"}),
    "new weights": ({"weights": (0.5, 0.5)}, {"AWS::SageMaker::EndpointConfig"}),
    "new scaling limits": ({"max_capacity": 6}, set()),
    "new alarm threshold": ({"latency_ms": 250}, set()),
    "new deployment policy": ({"canary_percent": 10}, set()),
    "serverless memory": ({"serverless_memory": 3072}, {"AWS::SageMaker::EndpointConfig"}),
    "async concurrency": ({"async_concurrency": 8}, {"AWS::SageMaker::EndpointConfig"}),
    "added inference component": ({"second_component": True}, set()),
}


@pytest.fixture(scope="module")
def before():
    """The app as deployed first: synthesized once for every comparison."""
    return synthesize(App())


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_day_two_change_keeps_every_endpoint_and_replaces_only_nameless_resources(change, before):
    edits, replaced_types = CHANGES[change]
    after = synthesize(replace(App(), **edits))
    endpoints_before = resources(before, "AWS::SageMaker::Endpoint")
    endpoints_after = resources(after, "AWS::SageMaker::Endpoint")
    assert endpoints_before.keys() == endpoints_after.keys()
    for logical_id, endpoint in endpoints_after.items():
        assert endpoint["Properties"]["EndpointName"] == endpoints_before[logical_id]["Properties"]["EndpointName"]
    diff = changed(before, after)
    replaced = {after["Resources"][logical_id]["Type"] for logical_id, replacing in diff.items() if replacing}
    assert replaced == replaced_types, diff
    for logical_id, replacing in diff.items():
        resource = after["Resources"][logical_id]
        if replacing:  # created beside the old one, so it must not take a fixed name
            assert NAMES.get(resource["Type"], "") not in resource["Properties"], logical_id
    realtime = next(
        e for e in endpoints_after.values() if e["Properties"]["EndpointName"].startswith("TestStack-Realtime")
    )
    assert realtime["Properties"]["RetainAllVariantProperties"] is True  # autoscaled capacity survives the change


def test_scaling_limits_alarm_thresholds_and_the_deployment_policy_update_in_place(before):
    after = synthesize(replace(App(), max_capacity=6, latency_ms=250, canary_percent=10))
    diff = changed(before, after)
    types = {after["Resources"][logical_id]["Type"] for logical_id in diff}
    assert types == {
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::CloudWatch::Alarm",
        "AWS::SageMaker::Endpoint",
        "Custom::SageMakerScalingGuard",  # holds the declared scaling, to restore it if a type change rolls back
    }
    assert not any(diff.values())


def test_an_instance_type_change_swaps_the_scaling_target_behind_a_guard_and_a_restore_resource(before):
    after = synthesize(replace(App(), primary_type="ml.c5.xlarge"))
    targets_before = resources(before, "AWS::ApplicationAutoScaling::ScalableTarget")
    targets_after = resources(after, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert targets_before.keys().isdisjoint(targets_after.keys())  # a new registration after the update
    for target in (*targets_before.values(), *targets_after.values()):
        assert target["DeletionPolicy"] == "Retain"  # removing the old one must not deregister the new one
    [old_guard] = resources(before, "Custom::SageMakerScalingGuard").items()
    [new_guard] = resources(after, "Custom::SageMakerScalingGuard").items()
    assert old_guard[0] == new_guard[0]  # the same guard, updated: it deregisters before the endpoint update
    assert (old_guard[1]["Properties"]["InstanceType"], new_guard[1]["Properties"]["InstanceType"]) == (
        "ml.m5.large",
        "ml.c5.xlarge",
    )
    [old_restore] = resources(before, "Custom::SageMakerScalingRestore")
    [new_restore] = resources(after, "Custom::SageMakerScalingRestore")
    assert old_restore != new_restore  # created anew: deleting it while a rollback cleans up restores the old scaling
    assert after["Resources"][new_restore]["Properties"]["Previous"] == {"Fn::GetAtt": [new_guard[0], "Previous"]}
    [endpoint] = [
        e
        for e in resources(after, "AWS::SageMaker::Endpoint").values()
        if "RetainAllVariantProperties" in e["Properties"]
    ]
    assert new_restore in endpoint["DependsOn"]


def test_a_new_weight_takes_effect_because_weights_are_not_retained(before):
    after = synthesize(replace(App(), weights=(0.5, 0.5)))
    [endpoint] = [
        e
        for e in resources(after, "AWS::SageMaker::Endpoint").values()
        if "RetainAllVariantProperties" in e["Properties"]
    ]
    assert {"VariantPropertyType": "DesiredWeight"} in endpoint["Properties"]["ExcludeRetainedVariantProperties"]
    configs = [
        c
        for c in resources(after, "AWS::SageMaker::EndpointConfig").values()
        if len(c["Properties"]["ProductionVariants"]) == 2
    ]
    assert [v["InitialVariantWeight"] for v in configs[0]["Properties"]["ProductionVariants"]] == [0.5, 0.5]


def test_an_added_component_leaves_the_endpoint_and_the_other_component_unchanged(before):
    after = synthesize(replace(App(), second_component=True))
    added = set(resources(after, "AWS::SageMaker::InferenceComponent")) - set(
        resources(before, "AWS::SageMaker::InferenceComponent")
    )
    assert len(added) == 1
    assert not any(before["Resources"][key]["Type"].startswith("AWS::SageMaker::") for key in changed(before, after))
