"""Which inference container image a model runs: from ECR, a local Dockerfile, or an image URI."""

from __future__ import annotations

import abc
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from constructs import Construct

from . import api_model, owned_images, rules, validation
from .errors import Problems
from .execution_role import ExecutionRole

if TYPE_CHECKING:  # types only: each aws_cdk module costs import time
    from aws_cdk import aws_ecr as ecr
    from aws_cdk import aws_ecr_assets as ecr_assets
    from aws_cdk import aws_lambda as lambda_

ASSET_ID = "ImageAsset"
ECR_IMAGE_URI = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?"
    r"/(?P<repository>[a-z0-9._/-]+)(:[\w.-]+|@sha256:[0-9a-f]{64})"
)
IMAGE_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
TRITON_FRAMEWORK = "sagemaker-tritonserver"  # the SageMaker-owned image table's name for Triton
IMAGE_TAG = re.compile(r"[\w][\w.-]{0,127}")


@dataclass(frozen=True)
class ContainerImageConfig:
    """What a `Model` puts in the container's ``Image`` and, for a private registry, ``ImageConfig``.

    :param credentials_provider_arn: the Lambda function that returns the registry's credentials. Default: - none.
    """

    image_uri: str
    private_registry: bool = False
    credentials_provider_arn: str | None = None


class ContainerImage(abc.ABC):
    """An inference image serving ``/ping`` and ``/invocations`` on port 8080.

    Choose with a factory; `Model` calls `validate` then `bind`, which grants the execution role
    pull access to exactly this image's repository.
    """

    @staticmethod
    def from_ecr_repository(
        repository: ecr.IRepository, *, tag: str | None = None, digest: str | None = None
    ) -> ContainerImage:
        """An image in an ECR repository, by ``tag`` or by ``digest`` (exactly one; no silent ``latest``)."""
        return _EcrImage(repository, tag, digest)

    @staticmethod
    def from_asset(
        directory: str,
        *,
        build_args: Mapping[str, str] | None = None,
        file: str | None = None,
        platform: ecr_assets.Platform | None = None,
    ) -> ContainerImage:
        """An image built from a local Dockerfile directory and pushed as a CDK asset at deploy time.

        :param build_args: Docker build arguments. Default: - none.
        :param file: the Dockerfile, relative to ``directory``. Default: ``Dockerfile``.
        :param platform: the platform to build for. Default: ``Platform.LINUX_AMD64``.
        """
        from aws_cdk.aws_ecr_assets import Platform

        validation.check_arguments(
            "ContainerImage.from_asset",
            [
                ("directory", directory, (str, PathLike), "the path of the folder holding the Dockerfile"),
                ("build_args", build_args or {}, Mapping, "{'NAME': 'value'}"),
                ("file", "Dockerfile" if file is None else file, str, "the Dockerfile's path relative to directory"),
            ],
        )
        return _AssetImage(Path(directory), dict(build_args or {}), file, platform or Platform.LINUX_AMD64)

    @staticmethod
    def from_image_uri(image_uri: str) -> ContainerImage:
        """An ECR image by full URI, e.g. a SageMaker-owned (Deep Learning Container) image.

        A literal ECR URI grants pull access on its repository; for a URI known only at deploy time,
        grant the access yourself with ``model.execution_role.grant_ecr_pull(...)``.
        """
        return _UriImage(image_uri)

    @staticmethod
    def from_private_registry(
        image_uri: str, *, credentials_provider: lambda_.IFunction | None = None
    ) -> ContainerImage:
        """An image in a private Docker registry reached through the model's VPC (``RepositoryAccessMode: Vpc``).

        The model needs ``vpc=...`` (whose security groups the registry must let in), the registry a certificate
        from a public CA; serverless variants refuse it.

        :param credentials_provider: a Lambda function returning the registry's credentials; the execution role
            may invoke it. Default: - none (the registry needs no authentication).
        """
        return _PrivateRegistryImage(image_uri, credentials_provider)

    @staticmethod
    def from_sagemaker_owned(
        framework: str, version: str, *, processor: str | None = None, py_version: str | None = None
    ) -> ContainerImage:
        """A SageMaker-owned inference image (a framework container or built-in algorithm) of the model's Region.

        :param framework: e.g. ``huggingface-llm`` (TGI), ``huggingface-tei``, ``djl-lmi``, ``vllm``, ``pytorch``,
            ``tensorflow``, ``sagemaker-tritonserver``, ``xgboost``, ``sklearn`` (the SageMaker Python SDK's names).
        :param version: a version or an alias the SDK accepts, e.g. ``3.3`` for TGI 3.3.6.
        :param processor: ``cpu`` or ``gpu``. Default: - the only one offered (an error when there are two).
        :param py_version: e.g. ``py312``. Default: - the only one offered (an error when there are several).

        The role may pull from the owning account's repository in the model's Region. An environment-agnostic
        stack finds the account in a CloudFormation mapping: a deploy to a Region the image is not published in
        fails with CloudFormation's mapping error.
        """
        return _SageMakerOwnedImage(framework, version, processor, py_version)

    @property
    def private_registry(self) -> bool:
        """The image is pulled from a private Docker registry through the model's VPC."""
        return False

    @property
    def regions(self) -> frozenset[str] | None:
        """The Regions the image is published in, when only some are (a SageMaker-owned image); None otherwise."""
        return None

    def validate(self, problems: Problems, prop: str) -> None:  # noqa: B027 - optional hook
        """Add this choice's problems, if any, under the property name ``prop``."""

    @property
    def labels(self) -> dict[str, str] | None:
        """The Docker labels the image's own Dockerfile sets, for a local build; None when unknown (a pushed
        image, or labels its base image may carry)."""
        return None

    @property
    def region(self) -> str | None:
        """The Region of the image's registry when known at synth time (a literal URI or repository ARN); None
        for a local build (pushed to the stack's own Region) or a deploy-time value."""
        return None

    @property
    def repository_account(self) -> str | None:
        """The account of an ECR repository the app names as its own image (`from_ecr_repository`), when known
        at synth time; None otherwise (a URI may be a SageMaker-provided image; a local build lands in the
        stack's own account)."""
        return None

    @property
    def is_triton(self) -> bool | None:
        """Whether the image is NVIDIA Triton Inference Server: known for a literal image URI (SageMaker's
        ``sagemaker-tritonserver`` images), or a repository or base image naming Triton; None when unknown."""
        return None

    @abc.abstractmethod
    def bind(self, scope: Construct, role: ExecutionRole) -> ContainerImageConfig:
        """Create what the choice needs under ``scope`` and grant ``role`` pull access."""


class _EcrImage(ContainerImage):
    def __init__(self, repository: ecr.IRepository, tag: str | None, digest: str | None) -> None:
        self._repository = repository
        self._tag = tag
        self._digest = digest

    @property
    def region(self) -> str | None:
        return self._environment("region")

    @property
    def repository_account(self) -> str | None:
        return self._environment("account")

    def _environment(self, name: str) -> str | None:
        value = getattr(getattr(self._repository, "env", None), name, None)  # None when not a repository
        return value if isinstance(value, str) and not validation.is_unresolved(value) else None

    @property
    def is_triton(self) -> bool | None:
        name = getattr(self._repository, "repository_name", None)
        return True if isinstance(name, str) and not validation.is_unresolved(name) and "triton" in name else None

    def validate(self, problems: Problems, prop: str) -> None:
        if validation.check_interface(
            problems,
            f"{prop}.repository",
            self._repository,
            "ecr.IRepository",
            "repository_uri_for_tag",
            "ecr.Repository.from_repository_name(scope, 'Repository', 'name')",
        ):
            check_repository_name(problems, f"{prop}.repository", self._repository.repository_name)
        if (self._tag is None) == (self._digest is None):
            problems.add(
                rules.IMAGE_PIN,
                prop,
                {"tag": self._tag, "digest": self._digest},
                "exactly one of tag or digest",
                "pin the image: ContainerImage.from_ecr_repository(repo, tag='1.0') or digest='sha256:...'",
            )
        for name, value, pattern, rule in (
            ("tag", self._tag, IMAGE_TAG, rules.IMAGE_TAG),
            ("digest", self._digest, IMAGE_DIGEST, rules.IMAGE_DIGEST),
        ):
            if value is None:
                continue
            typed = validation.check_type(problems, f"{prop}.{name}", value, str, f"{name}='...' as a string")
            if typed and not validation.is_unresolved(value) and not pattern.fullmatch(value):
                problems.add(rule, f"{prop}.{name}", value, f"matching {pattern.pattern}", f"copy the {name} from ECR")

    def bind(self, scope: Construct, role: ExecutionRole) -> ContainerImageConfig:
        role.grant_ecr_pull(self._repository.repository_arn)
        if self._digest is not None:
            return ContainerImageConfig(self._repository.repository_uri_for_digest(self._digest))
        return ContainerImageConfig(self._repository.repository_uri_for_tag(self._tag))


class _AssetImage(ContainerImage):
    def __init__(
        self, directory: Path, build_args: dict[str, str], file: str | None, platform: ecr_assets.Platform
    ) -> None:
        self._directory = directory
        self._build_args = build_args
        self._file = file
        self._platform = platform

    @property
    def labels(self) -> dict[str, str] | None:
        dockerfile = self._directory / (self._file or "Dockerfile")
        return dockerfile_labels(dockerfile.read_text(encoding="utf-8")) if dockerfile.is_file() else None

    @property
    def is_triton(self) -> bool | None:
        dockerfile = self._directory / (self._file or "Dockerfile")
        text = dockerfile.read_text(encoding="utf-8") if dockerfile.is_file() else ""
        bases = [line.split() for line in text.splitlines() if line.strip().upper().startswith("FROM ")]
        return True if any("tritonserver" in " ".join(words) for words in bases) else None

    def validate(self, problems: Problems, prop: str) -> None:
        dockerfile = self._directory / (self._file or "Dockerfile")
        if not dockerfile.is_file():
            problems.add(
                rules.DOCKERFILE, prop, str(dockerfile), "an existing Dockerfile", "check the directory and file names"
            )

    def bind(self, scope: Construct, role: ExecutionRole) -> ContainerImageConfig:
        from aws_cdk.aws_ecr_assets import DockerImageAsset

        asset = DockerImageAsset(
            scope,
            ASSET_ID,
            directory=str(self._directory),
            build_args=self._build_args or None,
            file=self._file,
            platform=self._platform,
        )
        role.grant_ecr_pull(asset.repository.repository_arn)
        return ContainerImageConfig(asset.image_uri)


class _UriImage(ContainerImage):
    def __init__(self, image_uri: str) -> None:
        self._image_uri = image_uri

    def __str__(self) -> str:
        return str(self._image_uri)

    def _match(self) -> re.Match[str] | None:
        literal = isinstance(self._image_uri, str) and not validation.is_unresolved(self._image_uri)
        return ECR_IMAGE_URI.fullmatch(self._image_uri) if literal else None

    @property
    def region(self) -> str | None:
        match = self._match()
        return match["region"] if match else None

    @property
    def is_triton(self) -> bool | None:
        match = self._match()
        return "tritonserver" in match["repository"] if match else None

    def validate(self, problems: Problems, prop: str) -> None:
        if not validation.check_type(problems, prop, self._image_uri, str, "the image URI as a string"):
            return
        if validation.is_unresolved(self._image_uri):
            return
        validation.check_value(
            problems,
            prop,
            self._image_uri,
            api_model.member("ContainerDefinition", "Image"),
            "fix the image URI",
        )
        match = ECR_IMAGE_URI.fullmatch(self._image_uri)
        if match:
            check_repository_name(problems, prop, match["repository"])
        else:
            problems.add(
                rules.ECR_IMAGE_URI,
                prop,
                self._image_uri,
                "an Amazon ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repository> with :<tag> "
                "or @sha256:<digest>",
                "push the image to ECR (SageMaker pulls from ECR; private registries need ImageConfig, "
                "which this library does not offer yet) and pin a tag or digest",
            )

    def bind(self, scope: Construct, role: ExecutionRole) -> ContainerImageConfig:
        match = None if validation.is_unresolved(self._image_uri) else ECR_IMAGE_URI.fullmatch(self._image_uri)
        if match:
            partition = _partition(match["region"], china=bool(match["cn"]))
            role.grant_ecr_pull(
                f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"
            )
        return ContainerImageConfig(self._image_uri)


class _SageMakerOwnedImage(ContainerImage):
    def __init__(self, framework: str, version: str, processor: str | None, py_version: str | None) -> None:
        self._choice = (framework, version, processor, py_version)
        self._image: owned_images.OwnedImage | None = None

    def __str__(self) -> str:
        return f"SageMaker-owned {'/'.join(str(c) for c in self._choice if c is not None)}"

    @property
    def is_triton(self) -> bool | None:
        return self._choice[0] == TRITON_FRAMEWORK

    @property
    def regions(self) -> frozenset[str] | None:
        return frozenset(self._image.registries) if self._image else None

    def validate(self, problems: Problems, prop: str) -> None:
        self._image = owned_images.find(problems, prop, *self._choice)

    def bind(self, scope: Construct, role: ExecutionRole) -> ContainerImageConfig:
        assert self._image is not None, "validate() first"
        return ContainerImageConfig(owned_images.pull(self._image, scope, role))


class _PrivateRegistryImage(ContainerImage):
    def __init__(self, image_uri: str, credentials_provider: lambda_.IFunction | None) -> None:
        self._image_uri = image_uri
        self._provider = credentials_provider

    def __str__(self) -> str:
        return str(self._image_uri)

    @property
    def private_registry(self) -> bool:
        return True

    def validate(self, problems: Problems, prop: str) -> None:
        if validation.check_type(problems, prop, self._image_uri, str, "'registry.example.com/team/model:1.0'"):
            member = api_model.member("ContainerDefinition", "Image")
            validation.check_value(problems, prop, self._image_uri, member, "fix the image URI")
            if not validation.is_unresolved(self._image_uri) and ECR_IMAGE_URI.fullmatch(self._image_uri):
                problems.add(
                    rules.PRIVATE_REGISTRY,
                    prop,
                    self._image_uri,
                    "an image outside Amazon ECR (SageMaker pulls ECR images itself)",
                    "use ContainerImage.from_image_uri(...) for an ECR image",
                )
        if self._provider is not None:
            write = "lambda_.Function.from_function_arn(scope, 'Credentials', arn) or a lambda_.Function"
            validation.check_interface(
                problems, f"{prop}.credentials_provider", self._provider, "lambda.IFunction", "function_arn", write
            )

    def bind(self, scope: Construct, role: ExecutionRole) -> ContainerImageConfig:
        from aws_cdk import aws_iam as iam

        arn = self._provider.function_arn if self._provider is not None else None
        if arn is not None:  # SageMaker calls the function with the execution role
            role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[arn]))
        return ContainerImageConfig(self._image_uri, private_registry=True, credentials_provider_arn=arn)


def dockerfile_labels(text: str) -> dict[str, str]:
    """The ``LABEL key=value ...`` pairs of a Dockerfile (continuation lines joined, quotes removed)."""
    joined = re.sub(r"\\\n", " ", text)
    labels: dict[str, str] = {}
    for line in joined.splitlines():
        words = line.strip().split(None, 1)
        if len(words) == 2 and words[0].upper() == "LABEL":
            for pair in shlex.split(words[1], comments=True):
                key, _, value = pair.partition("=")
                labels[key] = value
    return labels


def check_repository_name(problems: Problems, prop: str, name: str) -> None:
    """A literal repository name matches ECR's pattern: a ``*`` or ``?`` would widen the pull grant."""
    validation.check_value(
        problems,
        prop,
        name,
        api_model.shape("RepositoryName", "ecr"),
        "name one repository: lower-case letters, digits and . _ - / separators (no * or ?)",
    )


def _partition(region: str, *, china: bool) -> str:
    if china:
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"
