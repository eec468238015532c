"""AWS CDK v2 constructs for Amazon SageMaker inference.

The smoke-test, scaling, alarm, dashboard, shadow-test and monitoring names load on first use: they bring
aws-cdk-lib's Lambda, Step Functions, custom-resources, Application Auto Scaling and CloudWatch modules, which an
app that does not use them never needs to import.
"""

from typing import TYPE_CHECKING, Any

from .async_inference import AsyncInference
from .container_image import ContainerImage, ContainerImageConfig
from .core_dump import CoreDump
from .data_capture import DataCapture
from .endpoint import Endpoint, EndpointBase, EndpointVariant
from .endpoint_config import EndpointConfig, EndpointConfigBase, IEndpointConfig
from .endpoint_core import EndpointCore
from .endpoint_metrics import EndpointMetrics
from .endpoint_stacks import EndpointStacks
from .errors import Problem, ValidationError
from .execution_role import ExecutionRole
from .explainer import ClarifyExplainer, ClarifyInference, ClarifyText
from .inference_component import ComputeRequirements, InferenceComponent
from .instance_type import InstanceType
from .llm import LargeLanguageModel, LlmServer
from .model import IModel, InferenceExecutionMode, Model, ModelBase, ModelContainer
from .model_data import ModelData, ModelDataConfig, MultiModelData
from .model_package import ModelPackage, ModelPackageConfig
from .nag import acknowledge_nag_findings
from .per_stack import validate
from .s3_location import S3Location
from .variants import (
    InferenceComponentHostVariant,
    InstanceVariant,
    InvocationFeatures,
    ManagedInstanceScaling,
    ProductionVariant,
    RoutingStrategy,
    ServerlessProductionVariant,
    Variant,
)

if TYPE_CHECKING:
    from .alarms import AlarmThresholds, EndpointAlarms, Severity
    from .dashboard import EndpointDashboard
    from .data_quality import DataQualityMonitor, MonitorSchedule
    from .deploy_permissions import deploy_statements, grant_deploy
    from .deployment import (
        BlueGreenDeployment,
        CapacitySize,
        ComponentRollingUpdate,
        RollingDeployment,
        TrafficRouting,
    )
    from .scaling import CopyCount, InstanceCount, ProvisionedConcurrency, ScalableCapacity
    from .shadow_test import ShadowTest
    from .smoke_test import (
        AsyncLocations,
        BodyCheck,
        EndpointSmokeTest,
        ExpectedResponse,
        SmokeTestPayload,
    )
    from .smoke_test_provider import SmokeTestProvider

_LAZY = {
    **dict.fromkeys(
        ["AsyncLocations", "BodyCheck", "EndpointSmokeTest", "ExpectedResponse", "SmokeTestPayload"],
        "smoke_test",
    ),
    "SmokeTestProvider": "smoke_test_provider",
    **dict.fromkeys(["AlarmThresholds", "EndpointAlarms", "Severity"], "alarms"),
    "EndpointDashboard": "dashboard",
    **dict.fromkeys(["DataQualityMonitor", "MonitorSchedule"], "data_quality"),
    "ShadowTest": "shadow_test",
    **dict.fromkeys(["deploy_statements", "grant_deploy"], "deploy_permissions"),
    **dict.fromkeys(
        ["BlueGreenDeployment", "CapacitySize", "ComponentRollingUpdate", "RollingDeployment", "TrafficRouting"],
        "deployment",
    ),
    **dict.fromkeys(["CopyCount", "InstanceCount", "ProvisionedConcurrency", "ScalableCapacity"], "scaling"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AlarmThresholds",
    "AsyncInference",
    "AsyncLocations",
    "BlueGreenDeployment",
    "BodyCheck",
    "CapacitySize",
    "ClarifyExplainer",
    "ClarifyInference",
    "ClarifyText",
    "ComponentRollingUpdate",
    "ComputeRequirements",
    "ContainerImage",
    "ContainerImageConfig",
    "CopyCount",
    "CoreDump",
    "DataCapture",
    "DataQualityMonitor",
    "Endpoint",
    "EndpointAlarms",
    "EndpointBase",
    "EndpointConfig",
    "EndpointConfigBase",
    "EndpointCore",
    "EndpointDashboard",
    "EndpointMetrics",
    "EndpointSmokeTest",
    "EndpointStacks",
    "EndpointVariant",
    "ExecutionRole",
    "ExpectedResponse",
    "IEndpointConfig",
    "IModel",
    "InferenceComponent",
    "InferenceComponentHostVariant",
    "InferenceExecutionMode",
    "InstanceCount",
    "InstanceType",
    "InstanceVariant",
    "InvocationFeatures",
    "LargeLanguageModel",
    "LlmServer",
    "ManagedInstanceScaling",
    "Model",
    "ModelBase",
    "ModelContainer",
    "ModelData",
    "ModelDataConfig",
    "ModelPackage",
    "ModelPackageConfig",
    "MonitorSchedule",
    "MultiModelData",
    "Problem",
    "ProductionVariant",
    "ProvisionedConcurrency",
    "RollingDeployment",
    "RoutingStrategy",
    "S3Location",
    "ScalableCapacity",
    "ServerlessProductionVariant",
    "Severity",
    "ShadowTest",
    "SmokeTestPayload",
    "SmokeTestProvider",
    "TrafficRouting",
    "ValidationError",
    "Variant",
    "acknowledge_nag_findings",
    "deploy_statements",
    "grant_deploy",
    "validate",
]
