"""Model data of a multi-model endpoint: an S3 prefix of ``.tar.gz`` models, optionally filled at deploy time.

CDK file assets land under hash keys in the bootstrap bucket, not under a prefix of our choosing, so local
models travel differently: synth stages each one as ``<name>-<sha256 prefix>.tar.gz`` in one folder, and a
CDK ``BucketDeployment`` copies that folder under the prefix during ``cdk deploy``, before the model is
created. A changed model gets a new key (SageMaker's rule: never overwrite a model under a live
endpoint); old keys stay (``prune=False``) until you remove them. `target_model` gives the key a call names.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import Stack
from constructs import Construct

from . import per_stack, rules, validation
from .errors import Problems, ValidationError
from .model_archive import pack_directory
from .model_data import GZIP_MAGIC, ModelData, ModelDataConfig
from .nag import DEPLOY_TIME_FUNCTION_RULES, acknowledge_findings, deploy_time_function_reasons
from .s3_location import S3Location, bucket_acknowledgments, check_location, private_bucket

if TYPE_CHECKING:
    from .execution_role import ExecutionRole

DEPLOYMENT_ID = "ModelDeployment"
BUCKET_ID = "ModelBucket"
DEFAULT_PREFIX = "models/"
BUCKET_ACKNOWLEDGMENTS = bucket_acknowledgments(
    access_logs="the models are written only by this app's deployment and read by SageMaker with the endpoint's "
    "role (CloudTrail data events can record both); pass ModelData.multi_model(S3Location(...)) a bucket of your "
    "own with server access logging where it is required",
    replication="every model is deployed again from the app by cdk deploy; pass a replicated bucket where the "
    "models must survive a Regional outage",
)
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
DIGEST_CHARS = 12
MIB = 1024 * 1024
MIN_EPHEMERAL_MIB = 512
MAX_EPHEMERAL_MIB = 10240  # Lambda's limit: the deployment holds the zip and its extracted files
HEADROOM_MIB = 64
DEPLOYMENT_REASONS = deploy_time_function_reasons(
    "BucketDeployment",
    runs="once per deploy that changes the models",
    calls="the public S3 API, copying between buckets,",
    wildcards="the CDK BucketDeployment function reads its source asset and writes under the model prefix, whose "
    "keys are the models' names, with aws-cdk-lib's own S3 read and write action groups; its grants are limited to "
    "the asset and that prefix",
    logs="bucket names and the models' keys",
)


class MultiModelData(ModelData):
    """The models of a multi-model endpoint: every ``.tar.gz`` under ``location``'s prefix.

    Create it with `ModelData.multi_model`. Calls name a model by its key under the prefix
    (``TargetModel``); for the models given here, `target_model` returns it. ``location`` is the one
    given, or once a model binds it, the bucket defined for it.
    """

    def __init__(self, location: S3Location | None, models: Mapping[str, str], *, model_cache: bool) -> None:
        self.location = location
        self.models = dict(models)
        self.model_cache = model_cache

    @cached_property
    def _staged(self) -> dict[str, tuple[Path, str]]:
        """Each local model's archive and the key it gets under the prefix (packs directories once)."""
        staged = {}
        for name, path in self.models.items():
            local = Path(path)
            if local.is_dir():
                archive, digest = pack_directory(local)
            else:
                archive, digest = local, _file_digest(local)
            staged[name] = (archive, f"{name}-{digest[:DIGEST_CHARS]}.tar.gz")
        return staged

    @property
    def uploaded(self) -> frozenset[str]:
        """The keys (relative to the prefix) this app uploads: what a smoke test's ``target_model`` may name."""
        return frozenset(key for _, key in self._staged.values())

    def target_model(self, name: str) -> str:
        """The ``TargetModel`` of a model given as ``models[name]``: ``<name>-<12 hex digits of its hash>.tar.gz``;
        a ValidationError (KnownTarget) for a name not given."""
        if not isinstance(name, str) or name not in self.models:
            problems = Problems()
            problems.add(
                rules.KNOWN_TARGET, "name", name, f"one of the models given: {sorted(self.models)}", "name one"
            )
            raise ValidationError("ModelData.multi_model", problems.items)
        return self._staged[name][1]

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:
        if self.location is not None and check_location(problems, f"{prop}.location", self.location):
            self._validate_prefix(problems, prop, self.location.prefix)
        self._validate_models(problems, prop)

    def _validate_prefix(self, problems: Problems, prop: str, prefix: str) -> None:
        if not validation.is_unresolved(prefix) and prefix and not prefix.endswith("/"):
            problems.add(
                rules.MULTI_MODEL_PREFIX,
                f"{prop}.location.prefix",
                prefix,
                "a key prefix ending in / (or '' for the whole bucket): calls name models relative to it",
                f"write prefix={prefix + '/'!r}",
            )

    def _validate_models(self, problems: Problems, prop: str) -> None:
        for name, path in self.models.items():
            where = f"{prop}.models[{name!r}]"
            if not isinstance(name, str) or not MODEL_NAME.fullmatch(name):
                problems.add(
                    rules.MULTI_MODEL_PREFIX,
                    where,
                    name,
                    f"a model name matching {MODEL_NAME.pattern} (it starts the model's key)",
                    "use letters, digits, dots, hyphens and underscores",
                )
            local = Path(path)
            if local.is_file():
                with local.open("rb") as archive:
                    is_gzip = archive.read(len(GZIP_MAGIC)) == GZIP_MAGIC
            if not (local.is_dir() or (local.is_file() and is_gzip)):
                problems.add(
                    rules.LOCAL_ARCHIVE,
                    where,
                    str(path),
                    "a local model directory or a gzip-compressed tar file",
                    "check the path (relative to the cwd)",
                )

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelDataConfig:
        if self.location is None:
            self.location = S3Location(private_bucket(scope, BUCKET_ID, None, BUCKET_ACKNOWLEDGMENTS), DEFAULT_PREFIX)
        role.grant_s3_prefix_read(self.location)
        deployment = _deploy(scope, self.location, self._staged) if self.models else None
        return ModelDataConfig(
            url=self.location.url,
            multi_model_cache=self.model_cache,
            deployment=deployment,
        )


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def _deploy(scope: Construct, location: S3Location, staged: dict[str, tuple[Path, str]]) -> Construct:
    """A BucketDeployment copying the staged archives under the prefix, its cdk-nag findings acknowledged."""
    from aws_cdk import Size
    from aws_cdk import aws_s3_deployment as s3_deployment

    folder = _stage(staged)
    total_mib = sum(archive.stat().st_size for archive, _ in staged.values()) / MIB
    storage_mib = max(MIN_EPHEMERAL_MIB, math.ceil(2 * total_mib) + HEADROOM_MIB)
    deployment = s3_deployment.BucketDeployment(
        scope,
        DEPLOYMENT_ID,
        sources=[s3_deployment.Source.asset(str(folder))],
        destination_bucket=location.bucket,
        destination_key_prefix=location.prefix or None,
        prune=False,  # other models under the prefix, and earlier versions a live endpoint may still load
        retain_on_delete=True,
        ephemeral_storage_size=Size.mebibytes(min(storage_mib, MAX_EPHEMERAL_MIB)),
    )
    function = deployment.handler_role.node.scope
    assert function is not None
    # The stack's one deployment function serves every deployment, each adding statements: acknowledge what it
    # holds now (cdk-nag 2 checks before synth validates) and again at synth (cdk-nag 3 checks after).
    acknowledge_findings(function, DEPLOY_TIME_FUNCTION_RULES, DEPLOYMENT_REASONS)
    per_stack.at_validation(
        Stack.of(scope), lambda: acknowledge_findings(function, DEPLOY_TIME_FUNCTION_RULES, DEPLOYMENT_REASONS)
    )
    return deployment


def _stage(staged: dict[str, tuple[Path, str]]) -> Path:
    """One folder of ``<key>`` files named after what it holds, so unchanged models reuse it and its asset."""
    keys = sorted(key for _, key in staged.values())
    folder_name = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    folder = Path(tempfile.gettempdir()) / "cdk-sagemaker-inference" / "multi-model" / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    for archive, key in staged.values():
        target = folder / key
        if not target.is_file():
            partial = folder / f".{key}.{os.getpid()}.partial"
            shutil.copyfile(archive, partial)
            os.replace(partial, target)
    return folder
