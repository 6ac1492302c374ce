"""Sandboxes from Python: pack local files into a tar.gz, upload it through the sandbox store's
presigned PUT, download one and unpack it without letting an archive write outside its directory
(DiracX's `SandboxInfo` routes; the CLI's counterpart is cli/sandbox.ts).
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, List, Sequence

from .errors import MuonError

if TYPE_CHECKING:
    from .client import MuonClient

_CHECKSUM = re.compile(r"sha256:([0-9a-f]{64})\.tar\.gz$")


def pack(paths: Sequence[str], base_dir: str) -> bytes:
    """A tar.gz of `paths` (relative to `base_dir`), with stable times so equal files pack equal."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for relative in sorted(set(paths)):
            def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                return info

            archive.add(os.path.join(base_dir, relative), arcname=relative, filter=clean)
    return buffer.getvalue()


def upload(client: "MuonClient", data: bytes) -> str:
    """Uploads a packed sandbox; returns its reference (`SB:SandboxSE|/S3/...`)."""
    info = {
        "checksum_algorithm": "sha256",
        "checksum": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "format": "tar.gz",
    }
    answer = client.request("POST", "/api/jobs/sandbox", info).body
    if "url" in answer:
        request = urllib.request.Request(answer["url"], data=data, method=answer.get("method", "PUT"))
        for name, value in answer.get("headers", {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=client.timeout):
                pass
        except OSError as error:
            raise MuonError(f"The sandbox upload was refused: {error}") from error
    return answer["pfn"]


def download(client: "MuonClient", reference: str) -> bytes:
    """A sandbox's bytes, checked against the checksum its reference names."""
    answer = client.request("GET", "/api/jobs/sandbox", query={"pfn": reference}).body
    try:
        with urllib.request.urlopen(answer["url"], timeout=client.timeout) as response:
            data = response.read()
    except OSError as error:
        raise MuonError(f"The sandbox download failed: {error}") from error
    expected = _CHECKSUM.search(reference)
    if expected and hashlib.sha256(data).hexdigest() != expected.group(1):
        raise MuonError(f"The sandbox {reference} arrived damaged (its sha256 differs).")
    return data


def unpack(data: bytes, directory: str) -> List[str]:
    """Unpacks a tar.gz into `directory`; refuses any member that would land outside it.

    Python 3.9 has no `tarfile` extraction filter, so the checks are made here: no absolute path,
    no `..`, no link, device or FIFO; regular files and directories only.
    """
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    written: List[str] = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            target = (root / member.name).resolve()
            if member.name.startswith("/") or (target != root and root not in target.parents):
                raise MuonError(f"The sandbox holds {member.name!r}, outside its directory: refused.")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if not member.isfile():
                raise MuonError(f"The sandbox holds {member.name!r}, which is not a plain file: refused.")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is None:
                continue
            with source, open(target, "wb") as out:
                out.write(source.read())
            os.chmod(target, 0o755 if member.mode & 0o111 else 0o644)
            written.append(str(target.relative_to(root)))
    return written
