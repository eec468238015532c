"""Physical names the library gives resources: unique per construct path, stable across synths, within the API's
pattern for the name's shape."""

from __future__ import annotations

import re

from aws_cdk import Names
from constructs import IConstruct

from . import api_model


def physical_name(construct: IConstruct, shape: str, suffix: str = "") -> str:
    """``<stack>-<path>-<hash><suffix>`` within botocore's ``shape`` (e.g. ``EndpointName``): letters, digits and
    hyphens, never at either end of the unique part, and at most the shape's length with ``suffix``."""
    rule = api_model.shape(shape)
    unique = Names.unique_resource_name(
        construct, max_length=int(rule.max or 63) - len(suffix), separator="-", allowed_special_characters="-"
    )
    name = re.sub(r"^-+|-+$", "", unique) + suffix
    assert rule.pattern and re.fullmatch(rule.pattern, name), name
    return name
