"""A job's outputs on this machine (the CLI's counterpart: cli/outputs.ts): its output sandboxes
unpacked into one directory, and the CWL output object the job wrapper reported written there as
`cwl.output.json` with local locations: `sandbox:<path>` becomes the unpacked file and, with
`data`, `lfn:<LFN>` a file downloaded into `outputs/`.
"""
from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List

from . import sandbox
from .errors import MuonError

if TYPE_CHECKING:
    from .client import MuonClient

OUTPUT_OBJECT = "cwl.output.json"


def _inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise MuonError(f"The job reported the output location {relative!r}, outside its directory.")
    return path


def download_data(client: "MuonClient", lfn: str, target: Path) -> None:
    """One output data file, from the storage element the data manager names."""
    source = client.request("GET", "/api/data/download", query={"lfn": lfn}).body
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.get("backend") == "file":
        shutil.copyfile(source["path"], target)
        return
    try:
        with urllib.request.urlopen(source["url"], timeout=client.timeout) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as error:
        raise MuonError(f"Downloading {lfn} failed: {error}") from error


def localize(output: Any, root: Path, data: bool, downloads: Dict[str, Path]) -> Any:
    """The CWL output object with `sandbox:` (and, with `data`, `lfn:`) locations made local."""
    if isinstance(output, list):
        return [localize(item, root, data, downloads) for item in output]
    if not isinstance(output, dict):
        return output
    copy = {key: localize(value, root, data, downloads) for key, value in output.items()}
    location = output.get("location")
    if output.get("class") not in ("File", "Directory") or not isinstance(location, str):
        return copy
    local = None
    if location.startswith("sandbox:"):
        local = _inside(root, location[len("sandbox:") :])
    elif location.startswith("lfn:") and data and output.get("class") == "File":
        lfn = location[len("lfn:") :]
        name = output.get("basename") if isinstance(output.get("basename"), str) else lfn.rsplit("/", 1)[-1]
        local = downloads.get(lfn) or _inside(root, f"outputs/{name}")
        downloads[lfn] = local
    if local is not None:
        copy["location"] = local.as_uri()
        copy["path"] = str(local)
    return copy


def download_outputs(client: "MuonClient", job_id: int, directory: str, data: bool) -> Dict[str, Any]:
    root = Path(directory).resolve()
    references: List[str] = client.request("GET", f"/api/jobs/{job_id}/sandbox").body.get("Output", [])
    reported: Dict[str, Any] = client.request("GET", f"/api/jobs/{job_id}/outputs").body or {}
    if not references and not reported:
        job = client.job(job_id)
        raise MuonError(f"Job {job_id} has no output yet: it is {job.get('Status')} ({job.get('MinorStatus')}).")
    # Made only now: a job that is not there, not yours or without outputs leaves no empty directory.
    root.mkdir(parents=True, exist_ok=True)
    unpacked: List[str] = []
    for reference in references:
        unpacked.extend(sandbox.unpack(sandbox.download(client, reference), str(root)))
    downloads: Dict[str, Path] = {}
    result: Dict[str, Any] = {"job_id": job_id, "dir": str(root), "unpacked": unpacked}
    if "CWLOutput" in reported:
        output = localize(reported["CWLOutput"], root, data, downloads)
        (root / OUTPUT_OBJECT).write_text(json.dumps(output, indent=2) + "\n", "utf-8")
        result["output_object"] = str(root / OUTPUT_OBJECT)
    if data:
        for item in reported.get("OutputData", []):
            lfn = item["LFN"]
            downloads.setdefault(lfn, _inside(root, f"outputs/{lfn.rsplit('/', 1)[-1]}"))
        for lfn, target in downloads.items():
            download_data(client, lfn, target)
    result["data"] = {lfn: str(path) for lfn, path in downloads.items()}
    return result
