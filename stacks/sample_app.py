"""The sample app's composition: stacks from the config, tags, and the cdk-nag rule packs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import App, Environment, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks

from .app_config import AppConfig
from .async_stack import AsyncEndpointStack
from .inference_component_stack import InferenceComponentStack
from .llm_stack import CONTEXT_KEY as LLM_CONTEXT_KEY
from .llm_stack import LlmEndpointStack
from .multi_model_stack import MultiModelEndpointStack
from .pipeline_stack import CONTEXT_KEY as PIPELINE_CONTEXT_KEY
from .pipeline_stack import PipelineStack
from .realtime_stack import RealtimeEndpointStack
from .serverless_stack import ServerlessEndpointStack


def nag_packs(app: App) -> list[AwsSolutionsChecks | HIPAASecurityChecks | NIST80053R5Checks]:
    """The rule packs the sample app must pass: AWS Solutions, HIPAA Security, NIST 800-53 rev 5."""
    return [AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app)]


def define_sample_app(app: App, config: AppConfig) -> list[Stack]:
    """Define the sample stacks in ``app``; synth fails on any unacknowledged cdk-nag finding."""
    stacks = define_sample_stacks(app, config)
    Validations.of(app).add_plugins(*nag_packs(app))
    return stacks


def define_sample_stacks(app: App, config: AppConfig) -> list[Stack]:
    """The sample stacks and tags, without the rule packs (a test runs cdk-nag 2's on them)."""
    env = Environment(account=config.account, region=config.region)
    stacks: list[Stack] = [RealtimeEndpointStack(app, config.realtime.stack_name, settings=config.realtime, env=env)]
    optional: list[tuple[Callable[..., Stack], Any]] = [
        (ServerlessEndpointStack, config.serverless),
        (AsyncEndpointStack, config.asynchronous),
        (MultiModelEndpointStack, config.multi_model),
        (InferenceComponentStack, config.inference_components),
    ]
    for stack_class, settings in optional:  # each reuses the realtime section's image and model
        if settings is not None:
            stacks.append(
                stack_class(app, settings.stack_name, model_settings=config.realtime, settings=settings, env=env)
            )
    if config.llm is not None and _asked_for(app, LLM_CONTEXT_KEY):
        stacks.append(LlmEndpointStack(app, config.llm.stack_name, settings=config.llm, env=env))
    if config.pipeline is not None and _asked_for(app, PIPELINE_CONTEXT_KEY):
        pipeline_env = Environment(account=config.pipeline.account, region=config.pipeline.region)
        stacks.append(
            PipelineStack(
                app,
                config.pipeline.stack_name,
                settings=config.pipeline,
                model_settings=config.realtime,
                env=pipeline_env,
            )
        )
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    return stacks


def _asked_for(app: App, context_key: str) -> bool:
    """A sample deployed only on request (``-c <key>=true``): it costs money or needs accounts of its own."""
    return str(app.node.try_get_context(context_key)).lower() == "true"
