"""The sample app's config file: read once, checked, and turned into typed settings.

Format (JSON; paths are relative to the config file):

```
{
  "env": {"account": "123456789012" | null, "region": "eu-west-1" | null},   optional, null = from the CLI
  "tags": {"key": "value", ...},                                              optional
  "realtime": {
    "stackName": "SageMakerRealtimeSample",
    "imageDirectory": "../containers/sentiment-server",    a Dockerfile directory
    "modelDirectory": "../containers/sentiment-model",     packed into model.tar.gz
    "instanceType": "ml.m5.large",
    "encryptVolumes": true,                                 a KMS key for the ML storage volumes
    "variants": [{"name": "Primary", "weight": 1, "instanceCount": 1, "maxInstanceCount": 2, "environment": {}}],
    "invocationsPerInstance": 70,                           scaling target of variants with maxInstanceCount
                                                            (given: scaled from instanceCount up to it; absent: not)
    "bakeMinutes": 5,                                       blue/green: baking of the new fleet
    "smokeTest": {                                          sent to every variant at each deploy
      "payload": {"text": "great"},                         JSON the model server accepts
      "expect": {"label": "positive"}                       a subset the JSON answer must hold
    }
  },
  "serverless": {                                           optional: a serverless endpoint of the same model
    "stackName": "SageMakerServerlessSample",
    "memorySizeInMB": 2048, "maxConcurrency": 5,
    "provisionedConcurrency": null,                         or N: N warm executions, scaled up to maxConcurrency
    "smokeTest": {...}                                      as above
  },
  "async": {                                                optional: an asynchronous endpoint of the same model
    "stackName": "SageMakerAsyncSample",
    "instanceType": "ml.m5.large", "instanceCount": 1, "maxConcurrentInvocationsPerInstance": 4,
    "minInstanceCount": 0, "maxInstanceCount": 2, "backlogPerInstance": 5,   scaling on the backlog (0: to zero)
    "smokeTest": {...}                                      as above; results land in a bucket the stack defines
  },
  "multiModel": {                                           optional: one endpoint serving several models
    "stackName": "SageMakerMultiModelSample",
    "instanceType": "ml.m5.large", "instanceCount": 1, "maxInstanceCount": 2, "invocationsPerInstance": 70,
    "models": {"sentiment": "../containers/sentiment-model"},   name -> model directory, uploaded at deploy
    "smokeTest": {...}                                      as above, sent to every model
  },
  "inferenceComponents": {                                  optional: the model as an inference component
    "stackName": "SageMakerInferenceComponentSample",
    "instanceType": "ml.m5.large", "minInstanceCount": 1, "maxInstanceCount": 2,
    "copyCount": 1, "cpuCores": 1, "memoryMb": 1024,        what one copy of the model needs
    "maxCopyCount": 2, "invocationsPerCopy": 30,            copies scale on invocations per copy
    "smokeTest": {...}                                      as above
  },
  "pipeline": {                                             optional: a CDK Pipelines sample (-c pipeline-sample=true)
    "stackName": "SageMakerPipelineSample",
    "account": "111111111111", "region": "eu-west-1",       the tooling account: pipeline and promoted artifacts
    "repository": "owner/repo", "branch": "main",
    "connectionArn": "arn:aws:codeconnections:...",         a CodeStar connection to the repository
    "imageTag": "1.4.0", "modelKey": "sentiment/1.4.0/model.tar.gz",   the promoted image and model
    "stages": [{"name": "Staging", "account": "222222222222", "region": "eu-west-1"},
               {"name": "Production", "account": "333333333333", "region": "us-east-1", "approval": true}]
  }
}
```

The serverless, async and inference-component stacks reuse ``realtime``'s image and model directories; the
multi-model stack its image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "sample.json"


class ConfigError(ValueError):
    """A config file problem, naming the file, the key and the fix."""


@dataclass(frozen=True)
class VariantSettings:
    name: str
    weight: float
    instance_count: int
    max_instance_count: int | None  # None: not autoscaled
    environment: dict[str, str]


@dataclass(frozen=True)
class SmokeTestSettings:
    payload: dict[str, Any]
    expect: dict[str, Any]


@dataclass(frozen=True)
class RealtimeSettings:
    stack_name: str
    image_directory: Path
    model_directory: Path
    instance_type: str
    encrypt_volumes: bool
    variants: tuple[VariantSettings, ...]
    invocations_per_instance: float
    bake_minutes: int
    smoke_test: SmokeTestSettings


@dataclass(frozen=True)
class ServerlessSettings:
    stack_name: str
    memory_size_in_mb: int
    max_concurrency: int
    provisioned_concurrency: int | None
    smoke_test: SmokeTestSettings


@dataclass(frozen=True)
class AsyncSettings:
    stack_name: str
    instance_type: str
    instance_count: int
    max_concurrent_invocations_per_instance: int
    min_instance_count: int
    max_instance_count: int
    backlog_per_instance: float
    smoke_test: SmokeTestSettings


@dataclass(frozen=True)
class MultiModelSettings:
    stack_name: str
    instance_type: str
    instance_count: int
    max_instance_count: int | None  # None: not autoscaled
    invocations_per_instance: float
    models: dict[str, Path]
    smoke_test: SmokeTestSettings


@dataclass(frozen=True)
class InferenceComponentSettings:
    stack_name: str
    instance_type: str
    min_instance_count: int
    max_instance_count: int
    copy_count: int
    max_copy_count: int
    invocations_per_copy: float
    cpu_cores: float
    memory_mb: int
    smoke_test: SmokeTestSettings


@dataclass(frozen=True)
class LlmSettings:
    stack_name: str
    model_id: str
    instance_type: str
    max_instance_count: int
    gpus: int
    memory_mb: int
    max_input_tokens: int
    max_total_tokens: int
    prompt: str
    hf_token_secret_name: str | None


@dataclass(frozen=True)
class StageSettings:
    name: str
    account: str
    region: str
    approval: bool  # a manual approval before the stage deploys


@dataclass(frozen=True)
class PipelineSettings:
    stack_name: str
    account: str
    region: str
    repository: str
    branch: str
    connection_arn: str
    image_tag: str
    model_key: str
    stages: list[StageSettings]


@dataclass(frozen=True)
class AppConfig:
    account: str | None
    region: str | None
    tags: dict[str, str]
    realtime: RealtimeSettings
    serverless: ServerlessSettings | None
    asynchronous: AsyncSettings | None
    multi_model: MultiModelSettings | None
    inference_components: InferenceComponentSettings | None
    llm: LlmSettings | None
    pipeline: PipelineSettings | None


def load_config(path: Path = DEFAULT_CONFIG) -> AppConfig:
    """Read and check the config file at ``path``; raise `ConfigError` naming the key and the fix."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file. Fix: pass -c config=<path to a JSON file>") from None
    except ValueError as error:  # JSONDecodeError, or a NaN / Infinity constant
        raise ConfigError(f"{path}: not valid JSON ({error}). Fix: correct the syntax, use finite numbers") from None
    reader = _Reader(path)
    env = reader.section(raw, "env", required=False)
    return AppConfig(
        account=reader.optional_str(env, "env.account"),
        region=reader.optional_str(env, "env.region"),
        tags={str(k): reader.string(v, f"tags.{k}") for k, v in reader.section(raw, "tags", required=False).items()},
        realtime=reader.realtime(reader.section(raw, "realtime", required=True)),
        serverless=reader.serverless(reader.section(raw, "serverless", required=False)),
        asynchronous=reader.asynchronous(reader.section(raw, "async", required=False)),
        multi_model=reader.multi_model(reader.section(raw, "multiModel", required=False)),
        inference_components=reader.inference_components(reader.section(raw, "inferenceComponents", required=False)),
        llm=reader.llm(reader.section(raw, "llm", required=False)),
        pipeline=reader.pipeline(reader.section(raw, "pipeline", required=False)),
    )


def _refuse_constant(name: str) -> None:
    """NaN, Infinity and -Infinity are not JSON (Python's parser accepts them)."""
    raise ValueError(f"{name} is not a JSON number")


class _Reader:
    """Typed access to the parsed JSON; every error names ``<file>: <key>``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.resolve().parent

    def fail(self, key: str, value: Any, expected: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key} = {value!r}: expected {expected}. Fix: set {key} to {expected}")

    def section(self, parent: dict[str, Any], name: str, *, required: bool, key: str | None = None) -> dict[str, Any]:
        """The object ``parent[name]``; ``key`` is its full name in messages. Default: ``name``."""
        key = key or name
        if name not in parent or parent[name] is None:
            if required:
                raise self.fail(key, None, "an object")
            return {}
        value = parent[name]
        if not isinstance(value, dict):
            raise self.fail(key, value, "an object")
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(key, value, "a non-empty string")
        return value

    def optional_int(self, parent: dict[str, Any], key: str) -> int | None:
        value = parent.get(key.rsplit(".", 1)[-1])
        return None if value is None else self.number(value, key, integer=True)

    def optional_str(self, parent: dict[str, Any], key: str) -> str | None:
        value = parent.get(key.rsplit(".", 1)[-1])
        return None if value is None else self.string(value, key)

    def number(self, value: Any, key: str, *, integer: bool = False) -> Any:
        wanted = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise self.fail(key, value, "an integer" if integer else "a number")
        return value

    def directory(self, value: Any, key: str) -> Path:
        path = (self.base / self.string(value, key)).resolve()
        if not path.is_dir():
            raise self.fail(key, value, f"a directory relative to {self.base}")
        return path

    def realtime(self, raw: dict[str, Any]) -> RealtimeSettings:
        variants = raw.get("variants")
        if not isinstance(variants, list) or not variants:
            raise self.fail("realtime.variants", variants, "a non-empty list of variants")
        encrypt = raw.get("encryptVolumes", True)
        if not isinstance(encrypt, bool):
            raise self.fail("realtime.encryptVolumes", encrypt, "true or false")
        return RealtimeSettings(
            stack_name=self.string(raw.get("stackName"), "realtime.stackName"),
            image_directory=self.directory(raw.get("imageDirectory"), "realtime.imageDirectory"),
            model_directory=self.directory(raw.get("modelDirectory"), "realtime.modelDirectory"),
            instance_type=self.string(raw.get("instanceType"), "realtime.instanceType"),
            encrypt_volumes=encrypt,
            variants=tuple(self.variant(v, f"realtime.variants[{i}]") for i, v in enumerate(variants)),
            invocations_per_instance=self.number(
                raw.get("invocationsPerInstance", 70), "realtime.invocationsPerInstance"
            ),
            bake_minutes=self.number(raw.get("bakeMinutes", 5), "realtime.bakeMinutes", integer=True),
            smoke_test=self.smoke_test(raw, "realtime.smokeTest"),
        )

    def serverless(self, raw: dict[str, Any]) -> ServerlessSettings | None:
        if not raw:
            return None
        return ServerlessSettings(
            stack_name=self.string(raw.get("stackName"), "serverless.stackName"),
            memory_size_in_mb=self.number(raw.get("memorySizeInMB", 2048), "serverless.memorySizeInMB", integer=True),
            max_concurrency=self.number(raw.get("maxConcurrency", 5), "serverless.maxConcurrency", integer=True),
            provisioned_concurrency=self.optional_int(raw, "serverless.provisionedConcurrency"),
            smoke_test=self.smoke_test(raw, "serverless.smokeTest"),
        )

    def asynchronous(self, raw: dict[str, Any]) -> AsyncSettings | None:
        if not raw:
            return None
        return AsyncSettings(
            stack_name=self.string(raw.get("stackName"), "async.stackName"),
            instance_type=self.string(raw.get("instanceType"), "async.instanceType"),
            instance_count=self.number(raw.get("instanceCount", 1), "async.instanceCount", integer=True),
            max_concurrent_invocations_per_instance=self.number(
                raw.get("maxConcurrentInvocationsPerInstance", 4),
                "async.maxConcurrentInvocationsPerInstance",
                integer=True,
            ),
            min_instance_count=self.number(raw.get("minInstanceCount", 0), "async.minInstanceCount", integer=True),
            max_instance_count=self.number(raw.get("maxInstanceCount", 2), "async.maxInstanceCount", integer=True),
            backlog_per_instance=self.number(raw.get("backlogPerInstance", 5), "async.backlogPerInstance"),
            smoke_test=self.smoke_test(raw, "async.smokeTest"),
        )

    def multi_model(self, raw: dict[str, Any]) -> MultiModelSettings | None:
        if not raw:
            return None
        models = self.section(raw, "models", required=True, key="multiModel.models")
        if not models:
            raise self.fail("multiModel.models", models, "an object of model name -> directory")
        return MultiModelSettings(
            stack_name=self.string(raw.get("stackName"), "multiModel.stackName"),
            instance_type=self.string(raw.get("instanceType"), "multiModel.instanceType"),
            instance_count=self.number(raw.get("instanceCount", 1), "multiModel.instanceCount", integer=True),
            max_instance_count=self.scaling_maximum(raw, "multiModel"),
            invocations_per_instance=self.number(
                raw.get("invocationsPerInstance", 70), "multiModel.invocationsPerInstance"
            ),
            models={str(name): self.directory(path, f"multiModel.models.{name}") for name, path in models.items()},
            smoke_test=self.smoke_test(raw, "multiModel.smokeTest"),
        )

    def inference_components(self, raw: dict[str, Any]) -> InferenceComponentSettings | None:
        if not raw:
            return None
        key = "inferenceComponents"
        return InferenceComponentSettings(
            stack_name=self.string(raw.get("stackName"), f"{key}.stackName"),
            instance_type=self.string(raw.get("instanceType"), f"{key}.instanceType"),
            min_instance_count=self.number(raw.get("minInstanceCount", 1), f"{key}.minInstanceCount", integer=True),
            max_instance_count=self.number(raw.get("maxInstanceCount", 2), f"{key}.maxInstanceCount", integer=True),
            copy_count=self.number(raw.get("copyCount", 1), f"{key}.copyCount", integer=True),
            max_copy_count=self.number(raw.get("maxCopyCount", 1), f"{key}.maxCopyCount", integer=True),
            invocations_per_copy=self.number(raw.get("invocationsPerCopy", 30), f"{key}.invocationsPerCopy"),
            cpu_cores=self.number(raw.get("cpuCores", 1), f"{key}.cpuCores"),
            memory_mb=self.number(raw.get("memoryMb", 1024), f"{key}.memoryMb", integer=True),
            smoke_test=self.smoke_test(raw, f"{key}.smokeTest"),
        )

    def llm(self, raw: dict[str, Any]) -> LlmSettings | None:
        if not raw:
            return None
        return LlmSettings(
            stack_name=self.string(raw.get("stackName"), "llm.stackName"),
            model_id=self.string(raw.get("modelId"), "llm.modelId"),
            instance_type=self.string(raw.get("instanceType"), "llm.instanceType"),
            max_instance_count=self.number(raw.get("maxInstanceCount", 1), "llm.maxInstanceCount", integer=True),
            gpus=self.number(raw.get("gpus", 1), "llm.gpus", integer=True),
            memory_mb=self.number(raw.get("memoryMb", 16384), "llm.memoryMb", integer=True),
            max_input_tokens=self.number(raw.get("maxInputTokens", 2048), "llm.maxInputTokens", integer=True),
            max_total_tokens=self.number(raw.get("maxTotalTokens", 4096), "llm.maxTotalTokens", integer=True),
            prompt=self.string(raw.get("prompt"), "llm.prompt"),
            hf_token_secret_name=self.optional_str(raw, "llm.hfTokenSecretName"),
        )

    def pipeline(self, raw: dict[str, Any]) -> PipelineSettings | None:
        if not raw:
            return None
        stages = raw.get("stages")
        if not isinstance(stages, list) or not stages:
            raise self.fail("pipeline.stages", stages, "a non-empty list of {name, account, region}")
        return PipelineSettings(
            stack_name=self.string(raw.get("stackName"), "pipeline.stackName"),
            account=self.account(raw.get("account"), "pipeline.account"),
            region=self.string(raw.get("region"), "pipeline.region"),
            repository=self.string(raw.get("repository"), "pipeline.repository"),
            branch=self.string(raw.get("branch"), "pipeline.branch"),
            connection_arn=self.string(raw.get("connectionArn"), "pipeline.connectionArn"),
            image_tag=self.string(raw.get("imageTag"), "pipeline.imageTag"),
            model_key=self.string(raw.get("modelKey"), "pipeline.modelKey"),
            stages=[
                StageSettings(
                    name=self.string(stage.get("name"), f"pipeline.stages[{index}].name"),
                    account=self.account(stage.get("account"), f"pipeline.stages[{index}].account"),
                    region=self.string(stage.get("region"), f"pipeline.stages[{index}].region"),
                    approval=stage.get("approval", False) is True,
                )
                for index, stage in enumerate(stages)
            ],
        )

    def account(self, value: Any, key: str) -> str:
        if not (isinstance(value, str) and len(value) == 12 and value.isdigit()):
            raise self.fail(key, value, "a 12-digit AWS account ID as a string")
        return value

    def smoke_test(self, parent: dict[str, Any], key: str) -> SmokeTestSettings:
        raw = self.section(parent, "smokeTest", required=True, key=key)
        return SmokeTestSettings(
            payload=self.section(raw, "payload", required=True, key=f"{key}.payload"),
            expect=self.section(raw, "expect", required=True, key=f"{key}.expect"),
        )

    def scaling_maximum(self, raw: dict[str, Any], key: str) -> int | None:
        """``maxInstanceCount``: given, the instances autoscale from ``instanceCount`` up to it (equal included, so
        a config change never drops scaling silently); absent, they do not autoscale."""
        if "maxInstanceCount" not in raw:
            return None
        low = self.number(raw.get("instanceCount", 1), f"{key}.instanceCount", integer=True)
        high = self.number(raw["maxInstanceCount"], f"{key}.maxInstanceCount", integer=True)
        if high < low:
            raise self.fail(
                f"{key}.maxInstanceCount",
                high,
                f"at least {key}.instanceCount ({low}); leave it out for no autoscaling",
            )
        return int(high)

    def variant(self, raw: Any, key: str) -> VariantSettings:
        if not isinstance(raw, dict):
            raise self.fail(key, raw, "an object")
        environment = raw.get("environment") or {}
        if not isinstance(environment, dict):
            raise self.fail(f"{key}.environment", environment, "an object of strings")
        return VariantSettings(
            name=self.string(raw.get("name"), f"{key}.name"),
            weight=self.number(raw.get("weight", 1), f"{key}.weight"),
            instance_count=self.number(raw.get("instanceCount", 1), f"{key}.instanceCount", integer=True),
            max_instance_count=self.scaling_maximum(raw, key),
            environment={str(k): self.string(v, f"{key}.environment.{k}") for k, v in environment.items()},
        )
