"""Where a model's artifacts come from: S3, a local ``.tar.gz`` file, or a local directory."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import AssetHashType
from constructs import Construct

from . import per_stack, rules, validation
from .errors import Problems
from .execution_role import ExecutionRole
from .model_archive import list_entries, pack_directory

if TYPE_CHECKING:  # types only: each aws_cdk module costs import time
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_s3_assets as s3_assets

ASSET_ID = "ModelData"
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ModelDataConfig:
    """What a `Model` puts in ``ModelDataUrl``."""

    url: str


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
        return _LocalArchive(Path(path))

    @staticmethod
    def from_local_directory(path: str) -> ModelData:
        """A local directory, packed at synth time into a reproducible ``model.tar.gz`` asset.

        The same files give the same bytes and asset hash on any machine. Symlinks are an error.
        """
        return _LocalDirectory(Path(path))

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
