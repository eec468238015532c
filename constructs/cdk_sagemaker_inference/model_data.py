"""Where a model's artifacts come from: S3, a local ``.tar.gz`` file, a local directory, uncompressed S3 objects, or
(multi-model, `MultiModelData`) an S3 prefix of models.

Multi-model data is an S3 prefix of ``.tar.gz`` models, optionally filled at deploy time. CDK file assets land under
hash keys in the bootstrap bucket, not under a prefix of our choosing, so local models travel differently: synth
stages each one as ``<name>-<sha256 prefix>.tar.gz`` in one folder, and a CDK ``BucketDeployment`` copies that
folder under the prefix during ``cdk deploy``, before the model is created. A changed model gets a new key
(SageMaker's rule: never overwrite a model under a live endpoint); old keys stay (``prune=False``) until you remove
them. `target_model` gives the key a call names.
"""

from __future__ import annotations

import abc
import hashlib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import AssetHashType, Stack
from constructs import Construct

from . import per_stack, rules, validation
from .errors import Problems, ValidationError
from .execution_role import ExecutionRole
from .model_archive import list_entries, pack_directory
from .nag import DEPLOY_TIME_FUNCTION_RULES, acknowledge_findings, deploy_time_function_reasons
from .s3_location import S3Location, bucket_acknowledgments, check_location, private_bucket

if TYPE_CHECKING:  # types only: each aws_cdk module costs import time
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_s3_assets as s3_assets

ASSET_ID = "ModelData"
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ModelDataConfig:
    """What a `Model`'s container holds for its data.

    :param url: ``ModelDataUrl``: a ``.tar.gz`` object, or the prefix of a multi-model container.
    :param uncompressed: ``ModelDataSource.S3DataSource`` as ``(S3Uri, S3DataType)``, CompressionType None.
    :param multi_model_cache: set for multi-model data (``Mode: MultiModel``): whether SageMaker caches models.
    :param deployment: what must finish before the model is created (the copy of local models).
    """

    url: str | None = None
    uncompressed: tuple[str, str] | None = None
    multi_model_cache: bool | None = None
    deployment: Construct | None = None

    @property
    def is_multi_model(self) -> bool:
        return self.multi_model_cache is not None


class ModelData(abc.ABC):
    """A model archive SageMaker downloads and extracts to ``/opt/ml/model``.

    Choose with a factory; `Model` calls `validate` then `bind`, which grants the execution role
    read access to exactly this object.
    """

    @staticmethod
    def from_bucket(bucket: s3.IBucket, key: str) -> ModelData:
        """A ``.tar.gz`` object in ``bucket`` (its KMS key, if the bucket has one, is granted too)."""
        return _BucketModelData(bucket, key)

    @staticmethod
    def from_s3_url(url: str, *, kms_key: kms.IKey | None = None) -> ModelData:
        """A ``.tar.gz`` object named by ``s3://bucket/key``.

        :param kms_key: the key that encrypts the object. Default: - none (SSE-S3).
        """
        return _UrlModelData(url, kms_key)

    @staticmethod
    def from_asset(path: str) -> ModelData:
        """A local gzip-compressed tar file, uploaded as a CDK file asset."""
        validation.check_arguments(
            "ModelData.from_asset", [("path", path, (str, PathLike), "the path of a .tar.gz file")]
        )
        return _LocalArchive(Path(path))

    @staticmethod
    def from_local_directory(path: str) -> ModelData:
        """A local directory, packed at synth time into a reproducible ``model.tar.gz`` asset.

        The same files give the same bytes and asset hash on any machine. Symlinks are an error.
        """
        validation.check_arguments(
            "ModelData.from_local_directory", [("path", path, (str, PathLike), "a folder's path")]
        )
        return _LocalDirectory(Path(path))

    @staticmethod
    def from_uncompressed(bucket: s3.IBucket, key: str) -> ModelData:
        """Uncompressed artifacts (``ModelDataSource``, CompressionType None), which SageMaker copies to
        ``/opt/ml/model`` without extracting: every object under a prefix (``key`` ending in ``/``) or one object.

        Only model artifacts may sit under the prefix. Not for serverless or multi-model endpoints.
        """
        return _UncompressedModelData(S3Location(bucket, key))

    @staticmethod
    def multi_model(
        location: S3Location | None = None, *, models: Mapping[str, str] | None = None, model_cache: bool = True
    ) -> MultiModelData:
        """The models of a multi-model endpoint (``Mode: MultiModel``): every ``.tar.gz`` under ``location``.

        :param location: the bucket and prefix (ending in ``/``) of the models. Default: - a private bucket the
            model defines (KMS, TLS only, versioned, retained), prefix ``models/``.
        :param models: local models to put under the prefix at deploy time, by name: a directory (packed
            reproducibly) or a ``.tar.gz`` file each; ``target_model(name)`` gives the key a call names.
            Default: - none (the prefix is filled by other means).
        :param model_cache: cache loaded models on the instances; turn it off when each model is called
            about once. Default: True.
        """
        validation.check_arguments(
            "ModelData.multi_model", [("models", models or {}, Mapping, "{'name': 'path/to/model'}")]
        )
        return MultiModelData(location, models or {}, model_cache=model_cache)

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:  # noqa: B027 - optional hook
        """Add this choice's problems for a model at ``scope``, if any, under the property name ``prop``."""

    @abc.abstractmethod
    def bind(self, scope: Construct, role: ExecutionRole) -> ModelDataConfig:
        """Create what the choice needs under ``scope`` and grant ``role`` read access."""


class _BucketModelData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        self._bucket = bucket
        self._key = key

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:
        bucket_ok = validation.check_interface(
            problems, f"{prop}.bucket", self._bucket, "s3.IBucket", "arn_for_objects", "s3.Bucket.from_bucket_name(...)"
        )
        validation.check_model_data_key(scope, problems, f"{prop}.key", self._key)
        if bucket_ok:
            validation.check_same_region(problems, prop, self._bucket.env.region, per_stack.facts(scope).region)

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelDataConfig:
        role.grant_s3_object_read(self._bucket.arn_for_objects(self._key), self._bucket.encryption_key)
        return ModelDataConfig(url=f"s3://{self._bucket.bucket_name}/{self._key}")


class _UrlModelData(ModelData):
    def __init__(self, url: str, kms_key: kms.IKey | None) -> None:
        self._url = url
        self._kms_key = kms_key
        self._location: tuple[str, str] | None = None

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:
        if self._kms_key is not None:
            validation.check_interface(
                problems, f"{prop}.kms_key", self._kms_key, "kms.IKey", "grant_decrypt", "kms.Key.from_key_arn(...)"
            )
        if validation.is_unresolved(self._url):
            problems.add(
                rules.LITERAL_MODEL_DATA_URL,
                prop,
                self._url,
                "a literal s3:// URL (the role's read grant needs the bucket and key)",
                "use ModelData.from_bucket(bucket, key) for a bucket known only at deploy time",
            )
            return
        self._location = validation.parse_s3_url(problems, prop, self._url)
        if self._location is not None:
            validation.check_model_data_key(scope, problems, prop, self._location[1])

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelDataConfig:
        assert self._location is not None, "validate() first"
        bucket, key = self._location
        role.grant_s3_object_read(f"arn:{role.stack_facts.partition}:s3:::{bucket}/{key}", self._kms_key)
        return ModelDataConfig(url=self._url)


class _UncompressedModelData(ModelData):
    def __init__(self, location: S3Location) -> None:
        self._location = location

    @property
    def _is_prefix(self) -> bool:
        return self._location.prefix.endswith("/") or not self._location.prefix

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:
        if check_location(problems, prop, self._location) and not validation.is_unresolved(self._location.prefix):
            bucket = self._location.bucket
            validation.check_same_region(problems, prop, bucket.env.region, per_stack.facts(scope).region)

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelDataConfig:
        location = self._location
        if self._is_prefix:
            role.grant_s3_prefix_read(location, list_objects=True)
        else:
            role.grant_s3_object_read(location.bucket.arn_for_objects(location.prefix), location.bucket.encryption_key)
        data_type = "S3Prefix" if self._is_prefix else "S3Object"
        return ModelDataConfig(uncompressed=(location.url, data_type))


class _LocalArchive(ModelData):
    def __init__(self, path: Path) -> None:
        self._path = path

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:
        if not self._path.is_file():
            problems.add(
                rules.LOCAL_ARCHIVE,
                prop,
                str(self._path),
                "an existing local file",
                "check the path (relative to the cwd)",
            )
            return
        with self._path.open("rb") as archive:
            if archive.read(len(GZIP_MAGIC)) != GZIP_MAGIC:
                problems.add(
                    rules.LOCAL_ARCHIVE,
                    prop,
                    str(self._path),
                    "a gzip-compressed tar (SageMaker extracts it to /opt/ml/model)",
                    "pack the model with `tar czf model.tar.gz -C <dir> .`, or use ModelData.from_local_directory()",
                )

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelDataConfig:
        from aws_cdk.aws_s3_assets import Asset

        return _bind_asset(Asset(scope, ASSET_ID, path=str(self._path)), role)


class _LocalDirectory(ModelData):
    def __init__(self, path: Path) -> None:
        self._path = path

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:
        if not self._path.is_dir():
            problems.add(
                rules.LOCAL_DIRECTORY,
                prop,
                str(self._path),
                "an existing local directory",
                "check the path (relative to the cwd)",
            )
            return
        entries = list_entries(self._path)
        symlinks = [path.relative_to(self._path).as_posix() for path in entries if path.is_symlink()]
        if symlinks:
            problems.add(
                rules.NO_SYMLINKS,
                prop,
                str(self._path),
                "a directory without symlinks (SageMaker refuses model archives that contain them)",
                f"replace these symlinks with the files they point to: {', '.join(symlinks)}",
            )
        if not any(path.is_file() and not path.is_symlink() for path in entries):
            problems.add(
                rules.LOCAL_DIRECTORY,
                prop,
                str(self._path),
                "a directory with at least one file",
                "put the model files in it",
            )

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelDataConfig:
        from aws_cdk.aws_s3_assets import Asset

        archive, digest = pack_directory(self._path)
        asset = Asset(scope, ASSET_ID, path=str(archive), asset_hash=digest, asset_hash_type=AssetHashType.CUSTOM)
        return _bind_asset(asset, role)


def _bind_asset(asset: s3_assets.Asset, role: ExecutionRole) -> ModelDataConfig:
    role.grant_s3_object_read(asset.bucket.arn_for_objects(asset.s3_object_key))
    return ModelDataConfig(url=asset.s3_object_url)


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
