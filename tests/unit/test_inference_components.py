"""Inference components: host variants, managed instance scaling, components, adapters and their smoke tests."""

import json

import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    ComputeRequirements,
    Endpoint,
    EndpointConfig,
    ExecutionRole,
    InferenceComponent,
    InferenceComponentHostVariant,
    InstanceType,
    ManagedInstanceScaling,
    ModelData,
    RoutingStrategy,
    SmokeTestPayload,
    SmokeTestProvider,
)
from tests.support import (
    component_endpoint,
    ecr_model,
    expect_problems,
    inference_component,
    new_stack,
    only_resource,
    realtime_endpoint,
    synth_errors,
    template,
    variant,
)

COMPUTE = ComputeRequirements(min_memory_required_in_mb=1024, number_of_cpu_cores_required=1)
PAYLOAD = SmokeTestPayload.from_json({"text": "great"})


def host(**kwargs):
    kwargs.setdefault("instance_type", InstanceType.ML_M5_LARGE)
    return InferenceComponentHostVariant(**kwargs)


def component(stack, endpoint, construct_id="Component", **kwargs):
    kwargs.setdefault("compute", COMPUTE)
    return inference_component(stack, endpoint, construct_id, **kwargs)


def test_a_host_config_has_a_role_and_variants_without_a_model(stack):
    config = EndpointConfig(
        stack,
        "Config",
        production_variants=[
            host(
                initial_instance_count=1,
                managed_instance_scaling=ManagedInstanceScaling(min_instance_count=0, max_instance_count=4),
                routing_strategy=RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
            )
        ],
    )
    properties = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]
    [rendered] = properties["ProductionVariants"]
    assert "ModelName" not in rendered
    assert rendered["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 4}
    assert rendered["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    assert properties["ExecutionRoleArn"] == {
        "Fn::GetAtt": [stack.get_logical_id(config.execution_role.role.node.default_child), "Arn"]
    }
    assert config.hosts_inference_components and config.invocation_features.inference_components


def test_a_given_role_becomes_the_configs(stack):
    role = ExecutionRole(stack, "Role")
    config = EndpointConfig(stack, "Config", production_variants=[host()], execution_role=role)
    assert config.execution_role is role


def test_a_component_runs_its_model_on_the_endpoint_after_it_exists(stack):
    endpoint = component_endpoint(stack)
    made = component(stack, endpoint, copy_count=2, model_data_download_timeout=Duration.minutes(5))
    resource = only_resource(stack, "AWS::SageMaker::InferenceComponent")
    properties = resource["Properties"]
    assert properties["EndpointName"] == endpoint.endpoint_name and properties["VariantName"] == "AllTraffic"
    assert properties["InferenceComponentName"] == made.inference_component_name
    assert len(made.inference_component_name) <= 63
    assert properties["RuntimeConfig"] == {"CopyCount": 2}
    assert properties["Specification"]["ComputeResourceRequirements"] == {
        "MinMemoryRequiredInMb": 1024,
        "NumberOfCpuCoresRequired": 1,
    }
    assert properties["Specification"]["StartupParameters"] == {"ModelDataDownloadTimeoutInSeconds": 300}
    assert stack.get_logical_id(endpoint.resource) in resource["DependsOn"]
    assert endpoint.inference_components == [made]


def test_an_adapter_runs_on_its_base_with_artifacts_the_configs_role_reads(stack):
    endpoint = component_endpoint(stack)
    base = component(stack, endpoint)
    bucket = s3.Bucket(stack, "Adapters")
    adapter = base.add_adapter("Adapter", artifacts=ModelData.from_bucket(bucket, "lora/v1.tar.gz"))
    resources = template(stack).find_resources("AWS::SageMaker::InferenceComponent")
    properties = resources[stack.get_logical_id(adapter.resource)]["Properties"]
    assert properties["Specification"]["BaseInferenceComponentName"] == base.inference_component_name
    assert "ComputeResourceRequirements" not in properties["Specification"] and "RuntimeConfig" not in properties
    assert stack.get_logical_id(base.resource) in resources[stack.get_logical_id(adapter.resource)]["DependsOn"]
    assert "/lora/v1.tar.gz" in json.dumps(endpoint.endpoint_config.execution_role.statements)


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda stack, endpoint: {"model": ecr_model(stack, "Other")},
            ["[InferenceComponentModel] model.role = 'TestStack/Other/ExecutionRole'", "role=config.execution_role"],
        ),
        (
            lambda stack, endpoint: {
                "model": ecr_model(
                    stack, "Isolated", role=endpoint.endpoint_config.execution_role, network_isolation=True
                )
            },
            ["[InferenceComponentModel] model.network_isolation = True"],
        ),
        (
            lambda stack, endpoint: {
                "model": ecr_model(
                    stack,
                    "InVpc",
                    role=endpoint.endpoint_config.execution_role,
                    vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0),
                )
            },
            ["[InferenceComponentModel] model.vpc = 'a VPC'"],
        ),
        (lambda stack, endpoint: {"compute": None}, ["[ComponentCompute] compute = None"]),
        (
            lambda stack, endpoint: {"compute": ComputeRequirements(min_memory_required_in_mb=64)},
            ["[Api.MemoryInMb] compute.min_memory_required_in_mb (MinMemoryRequiredInMb) = 64"],
        ),
        (
            lambda stack, endpoint: {
                "compute": ComputeRequirements(min_memory_required_in_mb=2048, max_memory_required_in_mb=1024)
            },
            ["[ComponentCompute] compute.max_memory_required_in_mb = 1024", "at least min_memory_required_in_mb"],
        ),
        (
            lambda stack, endpoint: {
                "compute": ComputeRequirements(min_memory_required_in_mb=1024, number_of_cpu_cores_required=0.1)
            },
            ["[Api.NumberOfCpuCores] compute.number_of_cpu_cores_required (NumberOfCpuCoresRequired) = 0.1"],
        ),
        (lambda stack, endpoint: {"copy_count": -1}, ["[Api.InferenceComponentCopyCount] copy_count (CopyCount) = -1"]),
        # botocore's model allows 0; CreateInferenceComponent refuses it, so the library follows the service.
        (lambda stack, endpoint: {"copy_count": 0}, ["[ComponentCopies] copy_count = 0", "auto_scale_copy_count"]),
        (lambda stack, endpoint: {"variant_name": "Other"}, ["[InferenceComponentEndpoint] variant_name = 'Other'"]),
        (
            lambda stack, endpoint: {"container_startup_health_check_timeout": Duration.seconds(30)},
            ["[Api.ProductionVariantContainerStartupHealthCheckTimeoutInSeconds]"],
        ),
        (lambda stack, endpoint: {"inference_component_name": "-x"}, ["[Api.InferenceComponentName]"]),
        (
            lambda stack, endpoint: {"artifacts": ModelData.from_s3_url("s3://adapters/a.tar.gz")},
            ["[Adapter] artifacts = 'given'", "only for an adapter"],
        ),
    ],
)
def test_component_rules(stack, build, fragments):
    endpoint = component_endpoint(stack)
    expect_problems(lambda: component(stack, endpoint, **build(stack, endpoint)), "TestStack/Component", *fragments)


def test_adapter_rules(stack):
    endpoint = component_endpoint(stack)
    base = component(stack, endpoint)
    other = component(stack, endpoint, "Second")
    adapter = base.add_adapter("Adapter", artifacts=ModelData.from_s3_url("s3://adapters/a.tar.gz"))
    expect_problems(
        lambda: InferenceComponent(
            stack, "Bad", endpoint=endpoint, base_component=adapter, model=other.model, compute=COMPUTE
        ),
        "[Adapter] model = 'given'",
        "[Adapter] compute = 'given'",
        "[Adapter] artifacts = None",
        "[Adapter] base_component = 'TestStack/Adapter': allowed: a base component, not another adapter",
    )


def test_a_component_needs_an_endpoint_that_hosts_components(stack):
    endpoint = realtime_endpoint(stack)
    expect_problems(
        lambda: InferenceComponent(stack, "Component", endpoint=endpoint, model=ecr_model(stack, "M"), compute=COMPUTE),
        "[InferenceComponentEndpoint] endpoint = 'TestStack/Endpoint'",
    )


def test_a_host_variant_cannot_sit_beside_a_model_variant(stack):
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[host(), variant(ecr_model(stack), variant_name="B")]
        ),
        "[InferenceComponentHost] production_variants[1] = 'ProductionVariant beside an InferenceComponentHostVariant'",
    )


def test_a_host_config_takes_no_shadow_variant(stack):
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[host()],
            shadow_production_variants=[variant(ecr_model(stack), variant_name="Shadow")],
        ),
        "[InferenceComponentHost] production_variants[0] = 'inference components with shadow_production_variants'",
    )


@pytest.mark.parametrize(
    ("scaling", "count", "fragment"),
    [
        (
            ManagedInstanceScaling(min_instance_count=3, max_instance_count=2),
            2,
            "min_instance_count = 3: allowed: at most 2",
        ),
        (ManagedInstanceScaling(min_instance_count=1, max_instance_count=2), 3, "initial_instance_count = 3"),
        (
            ManagedInstanceScaling(min_instance_count=-1, max_instance_count=2),
            1,
            "[Api.ManagedInstanceScalingMinInstanceCount]",
        ),
        (
            ManagedInstanceScaling(min_instance_count=0, max_instance_count=0),
            1,
            "[Api.ManagedInstanceScalingMaxInstanceCount]",
        ),
    ],
)
def test_managed_instance_scaling_rules(stack, scaling, count, fragment):
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[host(initial_instance_count=count, managed_instance_scaling=scaling)]
        ),
        fragment,
    )


def test_only_a_component_host_scales_to_zero_instances(stack):
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[
                variant(
                    ecr_model(stack),
                    managed_instance_scaling=ManagedInstanceScaling(min_instance_count=0, max_instance_count=2),
                )
            ],
        ),
        "[ManagedInstanceScaling] production_variants[0].managed_instance_scaling.min_instance_count = 0",
        "only an endpoint that hosts inference components scales to zero instances",
    )


def test_a_routing_strategy_is_one_the_api_knows(stack):
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[host(routing_strategy="ROUND_ROBIN")]),
        "[Api.RoutingStrategy] production_variants[0].routing_strategy (RoutingStrategy) = 'ROUND_ROBIN'",
    )


def smoke_tested(stack, copy_count=1):
    endpoint = component_endpoint(stack)
    made = component(stack, endpoint, copy_count=copy_count)
    endpoint.add_smoke_test(payload=PAYLOAD, inference_component=made)
    return made, only_resource(stack, "Custom::SageMakerEndpointSmokeTest")


def test_a_smoke_test_of_a_component_names_it_waits_for_it_and_may_describe_it(stack):
    made, resource = smoke_tested(stack)
    assert resource["Properties"]["InferenceComponentName"] == made.inference_component_name
    assert stack.get_logical_id(made.resource) in resource["DependsOn"]
    statements = json.dumps(SmokeTestProvider.of(stack).policy.statements)
    assert "sagemaker:DescribeInferenceComponent" in statements


def test_a_change_to_the_component_runs_its_smoke_test_again():
    one = smoke_tested(new_stack(), copy_count=1)[1]["Properties"]["InferenceComponentRevision"]
    same = smoke_tested(new_stack(), copy_count=1)[1]["Properties"]["InferenceComponentRevision"]
    two = smoke_tested(new_stack(), copy_count=2)[1]["Properties"]["InferenceComponentRevision"]
    assert one == same != two


def test_a_smoke_test_of_another_endpoints_component_fails_the_synth(stack):
    made = component(stack, component_endpoint(stack))
    other = Endpoint(stack, "Other", endpoint_config=EndpointConfig(stack, "OtherConfig", production_variants=[host()]))
    other.add_smoke_test(payload=PAYLOAD, inference_component=made)
    assert "[KnownTarget] inference_component = 'TestStack/Component'" in synth_errors(stack)


def test_the_configs_role_may_write_the_components_log_group(stack):
    endpoint = component_endpoint(stack)
    made = component(stack, endpoint)
    statements = json.dumps(endpoint.endpoint_config.execution_role.statements)
    assert f"log-group:/aws/sagemaker/InferenceComponents/{made.inference_component_name}" in statements
    assert f"log-group:/aws/sagemaker/Endpoints/{endpoint.endpoint_name}" in statements


def test_a_host_config_in_a_vpc_places_its_components_there_and_their_models_must_follow(stack):
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    endpoint = component_endpoint(stack, vpc=vpc)
    config = endpoint.endpoint_config
    rendered = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["VpcConfig"]
    assert len(rendered["Subnets"]) == 2 and len(rendered["SecurityGroupIds"]) == 1
    assert "ec2:CreateNetworkInterface" in json.dumps(config.execution_role.statements)
    component(stack, endpoint, model=ecr_model(stack, "Inside", role=config.execution_role, vpc=vpc))
    expect_problems(
        lambda: component(
            stack, endpoint, "Outside", model=ecr_model(stack, "OutsideModel", role=config.execution_role)
        ),
        "[InferenceComponentModel] model.vpc = None",
        "the config's VPC and subnets (TestStack/Vpc)",
    )
