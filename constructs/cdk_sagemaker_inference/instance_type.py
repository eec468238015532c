"""SageMaker hosting instance types."""

from __future__ import annotations

from typing import ClassVar


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
        """An instance type by its full name, e.g. ``InstanceType.of("ml.g5.12xlarge")``."""
        return InstanceType(name)

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
