"""Pack a local model directory into a reproducible ``model.tar.gz``.

The same files give the same bytes on any machine and any day: entries are sorted, timestamps,
owners and groups are zeroed, modes are normalised (0755 for directories and executables, else 0644)
and the gzip header carries no name and no time. The archive's identity is the SHA-256 of the tar
stream before compression, so the CDK asset hash does not even depend on the zlib build.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import tarfile
import tempfile
from pathlib import Path
from typing import IO, cast

ARCHIVE_NAME = "model.tar.gz"
GZIP_LEVEL = 6


def list_entries(directory: Path) -> list[Path]:
    """Every file, directory and symlink below ``directory``, sorted by relative POSIX path (not following links)."""
    entries = [Path(root, name) for root, dirs, files in os.walk(directory) for name in dirs + files]
    return sorted(entries, key=lambda path: path.relative_to(directory).as_posix())


def pack_directory(directory: Path, staging_root: Path | None = None) -> tuple[Path, str]:
    """Write ``directory`` as a reproducible archive; return its path and the tar stream's SHA-256.

    The archive lands in ``<staging_root>/<sha256>/model.tar.gz`` (Default: the system temp folder),
    so repeated synths of unchanged files reuse it.
    """
    staging_root = staging_root or Path(tempfile.gettempdir()) / "cdk-sagemaker-inference"
    staging_root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=staging_root, suffix=".partial", delete=False) as partial:
        digest = _write_archive(directory, partial)
    final = staging_root / digest / ARCHIVE_NAME
    final.parent.mkdir(exist_ok=True)
    os.replace(partial.name, final)
    return final, digest


def _write_archive(directory: Path, out: IO[bytes]) -> str:
    tar_hash = hashlib.sha256()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=GZIP_LEVEL, mtime=0) as zipped:
        hashing = _HashingWriter(zipped, tar_hash)
        with tarfile.open(fileobj=cast(IO[bytes], hashing), mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in list_entries(directory):
                info = _normalised_info(path, path.relative_to(directory).as_posix())
                if info.isfile():
                    with path.open("rb") as source:
                        tar.addfile(info, source)
                else:
                    tar.addfile(info)
    return tar_hash.hexdigest()


def _normalised_info(path: Path, name: str) -> tarfile.TarInfo:
    mode = path.stat().st_mode
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if stat.S_ISDIR(mode):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.type = tarfile.REGTYPE
        info.size = path.stat().st_size
        info.mode = 0o755 if mode & stat.S_IXUSR else 0o644
    return info


class _HashingWriter:
    """A write-only file object that hashes what passes through to ``target``."""

    def __init__(self, target: gzip.GzipFile, digest: hashlib._Hash) -> None:
        self._target = target
        self._digest = digest
        self._position = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self._position += len(data)
        return self._target.write(data)

    def tell(self) -> int:
        return self._position
