"""SageMaker hosting instance types."""

from __future__ import annotations

import re
from typing import ClassVar

GPU_FAMILY = re.compile(r"ml\.[gp]\d")
# GPU types with more than one GPU (the guide allows single-GPU types for GPU multi-model endpoints).
MULTI_GPU_TYPE = re.compile(
    r"ml\.(p2\.(8|16)xlarge|p3\.(8|16)xlarge|p3dn\.|p4d|p4de|p5|p6|[gp]\d+[a-z]*\.(12|24|48)xlarge)"
)
# Local NVMe storage and no EBS volume: the d families and g5 the guide names (not exhaustive).
LOCAL_STORAGE_TYPE = re.compile(r"ml\.([a-z]+\d+[a-z]*d[a-z]*|g5)\.")


class InstanceType:
    """An ML instance type such as ``ml.m5.large``.

    Any name is accepted here; the endpoint config checks it against the types botocore's API model
    lists for production variants, so a typo fails at synth time. Use `of` for types without a constant.
    """

    ML_T2_MEDIUM: ClassVar[InstanceType]
    ML_M5_LARGE: ClassVar[InstanceType]
    ML_M5_XLARGE: ClassVar[InstanceType]
    ML_C5_LARGE: ClassVar[InstanceType]
    ML_C5_XLARGE: ClassVar[InstanceType]
    ML_C7G_LARGE: ClassVar[InstanceType]
    ML_G5_XLARGE: ClassVar[InstanceType]
    ML_G5_2XLARGE: ClassVar[InstanceType]
    ML_G6_XLARGE: ClassVar[InstanceType]
    ML_INF2_XLARGE: ClassVar[InstanceType]
    ML_P4D_24XLARGE: ClassVar[InstanceType]

    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def of(name: str) -> InstanceType:
        """An instance type by its full name, e.g. ``InstanceType.of("ml.g5.12xlarge")`` (a string, or a deploy-time
        one; the endpoint config checks the name)."""
        from .validation import check_arguments

        check_arguments("InstanceType.of", [("name", name, str, "the type's name, e.g. 'ml.m5.large'")])
        return InstanceType(name)

    @property
    def is_gpu(self) -> bool:
        """A g or p family type (NVIDIA GPUs). False for a type known only at deploy time, as are the others."""
        return bool(GPU_FAMILY.match(self.name))

    @property
    def has_multiple_gpus(self) -> bool:
        """A GPU type with more than one GPU."""
        return bool(MULTI_GPU_TYPE.match(self.name))

    @property
    def gpu_count(self) -> int | None:
        """The type's GPUs, from the SageMaker Python SDK's table (``owned_images.json``); None for a type it does
        not list (0 is never guessed)."""
        from .owned_images import table

        count = table()["instance_gpus"].get(self.name)
        return int(count) if count is not None else None

    @property
    def has_local_storage(self) -> bool:
        """Local NVMe storage and no EBS volume (the d families and g5)."""
        return bool(LOCAL_STORAGE_TYPE.match(self.name))

    @property
    def is_inf1(self) -> bool:
        """An Inf1 type, where SageMaker offers no deployment guardrails or shadow tests."""
        return self.name.startswith("ml.inf1.")

    @property
    def is_neuron(self) -> bool:
        """An AWS Inferentia or Trainium type (ml.inf*, ml.trn*): neither CPU nor GPU for SageMaker's rules."""
        return self.name.startswith(("ml.inf", "ml.trn"))

    @property
    def is_burstable(self) -> bool:
        """A burstable T type, which Application Auto Scaling refuses to register."""
        return self.name.startswith("ml.t")

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"InstanceType.of({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InstanceType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


for _constant in [name for name in InstanceType.__annotations__ if name.startswith("ML_")]:
    setattr(InstanceType, _constant, InstanceType(_constant.lower().replace("_", ".", 2)))
