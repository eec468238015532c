"""Where a model's artifacts come from: S3, a local ``.tar.gz`` file, a local directory, uncompressed S3
objects, or (multi-model) an S3 prefix of models (`multi_model_data`)."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import AssetHashType
from constructs import Construct

from . import per_stack, rules, validation
from .errors import Problems
from .execution_role import ExecutionRole
from .model_archive import list_entries, pack_directory
from .s3_location import S3Location, check_location

if TYPE_CHECKING:  # types only: each aws_cdk module costs import time
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_s3_assets as s3_assets

    from .multi_model_data import MultiModelData

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
        from .multi_model_data import MultiModelData

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
