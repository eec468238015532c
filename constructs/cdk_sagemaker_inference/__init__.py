"""AWS CDK v2 constructs for Amazon SageMaker inference."""

from .container_image import ContainerImage, ContainerImageConfig
from .endpoint import Endpoint, EndpointBase
from .endpoint_config import EndpointConfig, InvocationFeatures, ProductionVariant
from .errors import Problem, ValidationError
from .execution_role import ExecutionRole
from .instance_type import InstanceType
from .model import Model
from .model_data import ModelData, ModelDataConfig
from .smoke_test import (
    AsyncLocations,
    BodyCheck,
    EndpointSmokeTest,
    ExpectedResponse,
    S3Location,
    SmokeTestPayload,
)
from .smoke_test_provider import SmokeTestProvider

__all__ = [
    "AsyncLocations",
    "BodyCheck",
    "ContainerImage",
    "ContainerImageConfig",
    "Endpoint",
    "EndpointBase",
    "EndpointConfig",
    "EndpointSmokeTest",
    "ExecutionRole",
    "ExpectedResponse",
    "InstanceType",
    "InvocationFeatures",
    "Model",
    "ModelData",
    "ModelDataConfig",
    "Problem",
    "ProductionVariant",
    "S3Location",
    "SmokeTestPayload",
    "SmokeTestProvider",
    "ValidationError",
]
