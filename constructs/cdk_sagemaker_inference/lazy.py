"""Values rendered at synth time, so ``add_*()`` calls after a constructor still reach the template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsii
from aws_cdk import IResolvable, IStableAnyProducer, Lazy


def lazy_any(produce: Callable[[], Any], *, omit_empty_array: bool = False) -> IResolvable:
    """A token that calls ``produce()`` once, when the template is synthesized."""
    return Lazy.any(_Producer(produce), omit_empty_array=omit_empty_array)


@jsii.implements(IStableAnyProducer)
class _Producer:
    def __init__(self, produce: Callable[[], Any]) -> None:
        self._produce = produce

    def produce(self) -> Any:
        return self._produce()
