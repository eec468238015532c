"""One benchmark synth: N real-time endpoints built with this library, aws-cdk's sagemaker-alpha or bare L1.

Usage: python bench_app.py KIND N OUTDIR, KIND one of library, alpha, l1 (each optionally +scaling), full, fleet,
import. The shapes are alike: per endpoint an execution role, a model (ECR image + S3 model data), a one-variant
config and an endpoint; ``+scaling`` adds target tracking on invocations per instance (2 to 4 instances) to each;
``library+scaling-unguarded`` the same without the library's instance-type-change guard.
``full`` is the library's fully featured endpoint in one stack (models of the stack sharing a role, scaling, the
recommended alarms, a smoke test, one dashboard for the stack); ``fleet`` spreads N of those over `EndpointStacks`.
The built-in CloudFormation schema check is off for all (see README, "Toolchain notes"). ``import`` only imports
this library.
"""

from __future__ import annotations

import os
import sys
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"
REPOSITORY_ARN = "arn:aws:ecr:us-east-1:123456789012:repository/model"
LOG_GROUP_ARN = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/*"


MIN_INSTANCES, MAX_INSTANCES, TARGET_INVOCATIONS = 2, 4, 100


FLEET_STACK_SIZE = 25
UNGUARDED = "scaling-unguarded"  # library+scaling-unguarded: guard_instance_type_changes=False


def model_url(index: int) -> str:
    return f"s3://bench-models/model-{index}/model.tar.gz"


def library_endpoint(stack: Stack, index: int, scaling: bool = False, role: Any = None, guard: bool = True) -> Any:
    from cdk_sagemaker_inference import (
        ContainerImage,
        Endpoint,
        EndpointConfig,
        InstanceType,
        Model,
        ModelData,
        ProductionVariant,
    )

    model = Model(
        stack,
        f"Model{index}",
        container=ContainerImage.from_image_uri(IMAGE),
        model_data=ModelData.from_s3_url(model_url(index)),
        role=role,
    )
    variant = ProductionVariant(model=model, instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)
    config = EndpointConfig(stack, f"Config{index}", production_variants=[variant])
    endpoint = Endpoint(stack, f"Endpoint{index}", endpoint_config=config)
    if scaling:
        endpoint.find_variant("AllTraffic").auto_scale_instance_count(
            min_capacity=MIN_INSTANCES, max_capacity=MAX_INSTANCES, guard_instance_type_changes=guard
        ).scale_on_invocations("Invocations", invocations_per_instance=TARGET_INVOCATIONS)
    return endpoint


_ALPHA_SHARED: list[Any] = []


def alpha_endpoint(stack: Stack, index: int, scaling: bool = False) -> None:
    import aws_cdk.aws_sagemaker_alpha as alpha
    from aws_cdk import aws_ecr as ecr
    from aws_cdk import aws_s3 as s3

    if not _ALPHA_SHARED:  # one repository and bucket per stack, imported once (each process has one stack)
        _ALPHA_SHARED.append(ecr.Repository.from_repository_arn(stack, "Repository", REPOSITORY_ARN))
        _ALPHA_SHARED.append(s3.Bucket.from_bucket_name(stack, "Bucket", "bench-models"))
    repository, bucket = _ALPHA_SHARED
    model = alpha.Model(
        stack,
        f"Model{index}",
        containers=[
            alpha.ContainerDefinition(
                image=alpha.ContainerImage.from_ecr_repository(repository, "1"),
                model_data=alpha.ModelData.from_bucket(bucket, f"model-{index}/model.tar.gz"),
            )
        ],
    )
    config = alpha.EndpointConfig(
        stack,
        f"Config{index}",
        instance_production_variants=[
            alpha.InstanceProductionVariantProps(
                model=model,
                variant_name="AllTraffic",
                instance_type=alpha.InstanceType.M5_LARGE,
                initial_instance_count=2,
            )
        ],
    )
    endpoint = alpha.Endpoint(stack, f"Endpoint{index}", endpoint_config=config)
    if scaling:
        endpoint.find_instance_production_variant("AllTraffic").auto_scale_instance_count(
            min_capacity=MIN_INSTANCES, max_capacity=MAX_INSTANCES
        ).scale_on_invocations("Invocations", max_requests_per_second=TARGET_INVOCATIONS / 60)


def l1_endpoint(stack: Stack, index: int, scaling: bool = False) -> None:
    document = iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                resources=[LOG_GROUP_ARN, f"{LOG_GROUP_ARN}:log-stream:*"],
            ),
            iam.PolicyStatement(actions=["cloudwatch:PutMetricData", "ecr:GetAuthorizationToken"], resources=["*"]),
            iam.PolicyStatement(
                actions=["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                resources=[REPOSITORY_ARN],
            ),
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[f"arn:{Aws.PARTITION}:s3:::bench-models/model-{index}/model.tar.gz"],
            ),
        ]
    )
    role = iam.CfnRole(
        stack,
        f"Role{index}",
        assume_role_policy_document={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        },
    )
    policy = iam.CfnManagedPolicy(stack, f"Policy{index}", policy_document=document, roles=[role.ref])
    model = sagemaker.CfnModel(
        stack,
        f"Model{index}",
        execution_role_arn=role.attr_arn,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(image=IMAGE, model_data_url=model_url(index)),
    )
    model.node.add_dependency(policy)
    config = sagemaker.CfnEndpointConfig(
        stack,
        f"Config{index}",
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="AllTraffic",
                model_name=model.attr_model_name,
                instance_type="ml.m5.large",
                initial_instance_count=2,
                initial_variant_weight=1,
            )
        ],
    )
    endpoint = sagemaker.CfnEndpoint(
        stack,
        f"Endpoint{index}",
        endpoint_name=f"bench-endpoint-{index}",
        endpoint_config_name=config.attr_endpoint_config_name,
    )
    if scaling:
        from aws_cdk import aws_applicationautoscaling as appscaling

        target = appscaling.CfnScalableTarget(
            stack,
            f"Target{index}",
            service_namespace="sagemaker",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            resource_id=f"endpoint/{endpoint.endpoint_name}/variant/AllTraffic",
            min_capacity=MIN_INSTANCES,
            max_capacity=MAX_INSTANCES,
        )
        target.add_resource_dependency(endpoint)
        appscaling.CfnScalingPolicy(
            stack,
            f"Policy{index}Scaling",
            policy_name=f"bench-invocations-{index}",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=TARGET_INVOCATIONS,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
            ),
        )


def full_endpoints(scope: Any, count: int, per_stack: int | None) -> None:
    """``count`` fully featured endpoints: in one stack (``per_stack`` None) or spread by `EndpointStacks`."""
    from aws_cdk import aws_sns as sns

    from cdk_sagemaker_inference import (
        EndpointAlarms,
        EndpointDashboard,
        EndpointStacks,
        ExecutionRole,
        Severity,
        SmokeTestPayload,
    )

    stacks = EndpointStacks(scope, "Bench", endpoints_per_stack=per_stack or count)
    topic = sns.Topic(stacks.shared, "Alarms", enforce_ssl=True)
    roles: dict[Stack, Any] = {}
    dashboards: dict[Stack, Any] = {}
    for index in range(count):
        stack = stacks.stack_for_endpoint()
        if stack not in roles:
            roles[stack] = ExecutionRole(stack, "Role")
        role = roles[stack]
        endpoint = library_endpoint(stack, index, scaling=True, role=role)
        alarms = EndpointAlarms(stack, f"Alarms{index}", endpoint=endpoint, topics={Severity.CRITICAL: topic})
        endpoint.add_smoke_test(payload=SmokeTestPayload.from_text("ping"))
        if stack in dashboards:
            dashboards[stack].add_endpoint(endpoint, alarms=alarms)
        else:
            dashboards[stack] = EndpointDashboard(stack, "Dashboard", endpoint=endpoint, alarms=alarms)


def main() -> None:
    kind, count, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind == "import":
        import cdk_sagemaker_inference  # noqa: F401 - the import is what is measured

        return
    app = App(outdir=outdir, builtin_cloud_formation_validation=False)
    if kind in ("full", "fleet"):
        full_endpoints(app, count, per_stack=None if kind == "full" else FLEET_STACK_SIZE)
    else:
        base, _, scaling = kind.partition("+")
        stack = Stack(app, "Bench")
        for index in range(count):
            if base == "library":
                library_endpoint(stack, index, scaling=bool(scaling), guard=scaling != UNGUARDED)
            else:
                {"alpha": alpha_endpoint, "l1": l1_endpoint}[base](stack, index, scaling=bool(scaling))
    app.synth()


if __name__ == "__main__":
    main()
