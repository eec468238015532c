"""AWS CDK v2 constructs for Amazon SageMaker inference."""

from .container_image import ContainerImage, ContainerImageConfig
from .endpoint import Endpoint, EndpointBase
from .endpoint_config import EndpointConfig, ProductionVariant
from .errors import Problem, ValidationError
from .execution_role import ExecutionRole
from .instance_type import InstanceType
from .model import Model
from .model_data import ModelData, ModelDataConfig

__all__ = [
    "ContainerImage",
    "ContainerImageConfig",
    "Endpoint",
    "EndpointBase",
    "EndpointConfig",
    "ExecutionRole",
    "InstanceType",
    "Model",
    "ModelData",
    "ModelDataConfig",
    "Problem",
    "ProductionVariant",
    "ValidationError",
]
