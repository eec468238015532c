"""Generate ``owned_images.json``: SageMaker-owned inference images per framework, version and Region.

The source is the image-URI configuration the SageMaker Python SDK ships (package ``sagemaker-core``, pinned with
its hash in ``requirements-images.txt``), and every URI is built by that SDK's own ``image_uris.retrieve``, so no
account, repository or tag is copied by hand. Run it with ``make images``, which installs the pinned SDK into a
separate venv (it needs pandas and SciPy; the library does not need the SDK at all). The SDK reads a framework's
configuration file on every call; the generator caches that read (the SDK does not change what it returns). It
takes about 8 minutes on 2 cores.

The same file records the GPUs per instance type from the SDK's ``instance_gpu_info.json`` (the counts the SDK
itself uses to size LLM containers), merged over Regions.

Usage: ``python scripts/generate_owned_images.py <output.json>`` (in a venv holding the pinned SDK).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

FRAMEWORKS = (
    "djl-lmi",
    "huggingface-llm",
    "huggingface-tei",
    "huggingface-tei-cpu",
    "pytorch",
    "sagemaker-tritonserver",
    "sklearn",
    "tensorflow",
    "vllm",
    "xgboost",
)
SCOPE = "inference"
MONITORING = {"model-monitor": "monitoring"}  # framework -> scope: images a monitoring job runs, one per Region
INSTANCE_TYPE = {"cpu": "ml.m5.xlarge", "gpu": "ml.g5.xlarge", None: None}  # an instance of each processor
IMAGE_URI = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.(?P<domain>[a-z0-9.-]+)/(?P<repository>[^:]+)(:(?P<tag>.+))?"
)
DEFAULT_DOMAIN = "amazonaws.com"
PACKAGE = "sagemaker-core"
GPU_INFO = "instance_gpu_info"


def generate() -> dict[str, Any]:
    from sagemaker.core import image_uris  # type: ignore[import-not-found]  # only in make images' venv

    image_uris.config_for_framework = functools.cache(image_uris.config_for_framework)

    registries: list[dict[str, str]] = []
    domains: dict[str, str] = {}
    images: dict[str, Any] = {}
    for framework in FRAMEWORKS:
        config = image_uris._config_for_framework_and_scope(framework, SCOPE)
        versions: dict[str, list[dict[str, Any]]] = {}
        for version, version_config in config["versions"].items():
            processors = [
                p for p in config.get("processors") or version_config.get("processors") or [None] if p in INSTANCE_TYPE
            ]
            for processor in processors:
                for py_version in version_config.get("py_versions") or [None]:
                    found = _retrieve(
                        image_uris, framework, version, processor, py_version, version_config["registries"], SCOPE
                    )
                    accounts = {region: account for region, (account, _repo, _tag, _domain) in found.items()}
                    [(repository, tag)] = {(repo, tag) for _account, repo, tag, _domain in found.values()}
                    for region, (_account, _repo, _tag, domain) in found.items():
                        if domain != DEFAULT_DOMAIN:
                            assert domains.setdefault(region, domain) == domain, region
                    if accounts not in registries:
                        registries.append(accounts)
                    versions.setdefault(version, []).append(
                        {
                            "processor": processor,
                            "py_version": py_version,
                            "repository": repository,
                            "tag": tag,
                            "registries": registries.index(accounts),
                        }
                    )
        images[framework] = {"aliases": config.get("version_aliases", {}), "versions": versions}
    monitoring = {}
    for framework, scope in MONITORING.items():
        [(version, version_config)] = image_uris._config_for_framework_and_scope(framework, scope)["versions"].items()
        found = _retrieve(image_uris, framework, version, None, None, version_config["registries"], scope)
        [(repository, tag)] = {(repo, tag) for _account, repo, tag, _domain in found.values()}
        accounts = {region: account for region, (account, _repo, _tag, _domain) in found.items()}
        if accounts not in registries:
            registries.append(accounts)
        monitoring[framework] = {"repository": repository, "tag": tag, "registries": registries.index(accounts)}
    return {
        "source": source(),
        "registries": registries,
        "domains": dict(sorted(domains.items())),
        "images": images,
        "monitoring": monitoring,
        "instance_gpus": instance_gpus(image_uris.config_for_framework(GPU_INFO)),
    }


def instance_gpus(by_region: dict[str, dict[str, dict[str, int]]]) -> dict[str, int]:
    """GPUs per instance type over every Region (a type's count is the same wherever it is listed)."""
    counts: dict[str, int] = {}
    for types in by_region.values():
        for instance_type, info in types.items():
            assert counts.setdefault(instance_type, info["Count"]) == info["Count"], instance_type
    return dict(sorted(counts.items()))


def _retrieve(
    image_uris: Any,
    framework: str,
    version: str,
    processor: str | None,
    py_version: str | None,
    regions: dict[str, str],
    scope: str,
) -> dict[str, tuple[str, str, str | None, str]]:
    """(account, repository, tag, domain) per Region the SDK can build a URI for (its endpoint resolver knows
    the Region's ECR hostname)."""
    found = {}
    for region in regions:
        try:
            uri = image_uris.retrieve(
                framework,
                region=region,
                version=version,
                py_version=py_version,
                instance_type=INSTANCE_TYPE[processor],
                image_scope=scope,
            )
        except (KeyError, TypeError, ValueError) as error:  # a Region the SDK's botocore does not resolve
            print(f"skipped {framework} {version} {processor} {region}: {error}", file=sys.stderr)
            continue
        match = IMAGE_URI.fullmatch(uri)
        assert match is not None and match["region"] == region, uri
        found[region] = (match["account"], match["repository"], match["tag"], match["domain"])
    return found


def source() -> dict[str, Any]:
    """The SDK package the table came from: name, version and the sha256 of each configuration file read."""
    distribution = metadata.distribution(PACKAGE)
    files = {
        Path(str(file)).stem: hashlib.sha256(Path(str(distribution.locate_file(file))).read_bytes()).hexdigest()
        for file in distribution.files or []
        if "/image_uri_config/" in str(file) and Path(str(file)).stem in (*FRAMEWORKS, *MONITORING, GPU_INFO)
    }
    return {"package": PACKAGE, "version": distribution.version, "files": dict(sorted(files.items()))}


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(generate(), indent=1, sort_keys=True) + "\n")
