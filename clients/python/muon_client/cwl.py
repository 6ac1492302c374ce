"""What `submit_cwl` sends: the CWL document as JSON, its input objects, its scheduling hints.

Accepted documents: a dict, or a file holding one document. JSON is read with the standard
library; YAML (`.cwl` as usually written) needs PyYAML, which Debian's python3-yaml provides,
and is read with it when it is there. A document must be *packed*: every `run:` of a Workflow
inline. A multi-file workflow is packed first with `cwltool --pack wf.cwl > packed.json` (or
submitted with the `muon` CLI, which packs it: cli/cwl/pack.ts).

Local Files and Directories among the inputs (a `path`, or a `location` that is a plain path or a
`file:` URI) travel in one input sandbox per job and are pointed at their copy there
(`SB:...#<path>`), as `muon job submit` does (cli/inputs.ts).
"""
from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import sandbox
from .errors import LocalFileError, MuonError

if TYPE_CHECKING:
    from .client import MuonClient


def read_document(path: str, what: str = "document") -> Any:
    """A JSON document, or a YAML one when PyYAML is installed."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as error:
        raise LocalFileError(f"Cannot read the {what} {path}: {error.strerror or error}.") from error
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml  # type: ignore[import-not-found]
    except ImportError as error:
        raise MuonError(
            f"{path} is not JSON, and reading YAML needs PyYAML (apt-get install python3-yaml), "
            "or convert it: `cwltool --pack` writes a packed document as JSON."
        ) from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MuonError(f"{path}: {error}") from error


def unpacked_runs(document: Any, where: str = "") -> List[str]:
    """The `run:` entries of workflow steps that name another file (the document is not packed)."""
    found: List[str] = []
    if isinstance(document, dict):
        if document.get("class") == "Workflow":
            steps = document.get("steps") or []
            items = steps.items() if isinstance(steps, dict) else enumerate(steps)
            for name, step in items:
                if not isinstance(step, dict):
                    continue
                label = step.get("id", name)
                run = step.get("run")
                if isinstance(run, str) and not run.startswith("#"):
                    found.append(f"{where}steps.{label}.run: {run}")
                elif isinstance(run, dict):
                    found.extend(unpacked_runs(run, f"{where}steps.{label}.run."))
        for graph in document.get("$graph", []) if isinstance(document.get("$graph"), list) else []:
            found.extend(unpacked_runs(graph, where))
    return found


def _local_path(value: Mapping[str, Any], base: Path) -> Optional[Path]:
    if isinstance(value.get("path"), str):
        return (base / value["path"]).resolve()
    location = value.get("location")
    if not isinstance(location, str):
        return None
    parsed = urllib.parse.urlparse(location)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path)).resolve()
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        return (base / location).resolve()
    return None  # SB:, LFN:, http(s): ... are already where the job can reach them.


def _local_files(value: Any, base: Path, found: List[Tuple[Dict[str, Any], Path]]) -> None:
    if isinstance(value, list):
        for item in value:
            _local_files(item, base, found)
    elif isinstance(value, dict):
        if value.get("class") in ("File", "Directory"):
            path = _local_path(value, base)
            if path is not None:
                found.append((value, path))
                return
        for item in value.values():
            _local_files(item, base, found)


def _sandbox_inputs(client: "MuonClient", order: Dict[str, Any], base: Path) -> Dict[str, Any]:
    """Uploads the input object's local files in one sandbox and points them at it."""
    files: List[Tuple[Dict[str, Any], Path]] = []
    _local_files(order, base, files)
    if not files:
        return order
    for _, path in files:
        if not path.exists():
            raise LocalFileError(f"The input file {path} does not exist.")
    # Paths keep their place relative to the input file when under it (as `muon job submit` does);
    # otherwise the archive's root moves up to the nearest directory holding them all.
    root = base
    while any(root != p and root not in p.parents for _, p in files):
        root = root.parent
    relative = [str(p.relative_to(root)).replace(os.sep, "/") or "." for _, p in files]
    reference = sandbox.upload(client, sandbox.pack(relative, str(root)))
    for (value, _), archived in zip(files, relative):
        value["location"] = f"{reference}#{archived}"
        value.pop("path", None)
    return order


def prepare_submission(
    client: "MuonClient",
    workflow: Union[str, Mapping[str, Any]],
    inputs: Optional[Sequence[Union[str, Mapping[str, Any]]]],
    hints: Optional[Mapping[str, Any]],
) -> Dict[str, Any]:
    document = read_document(workflow) if isinstance(workflow, str) else json.loads(json.dumps(workflow))
    if not isinstance(document, dict):
        raise MuonError("A CWL document is a mapping (a CommandLineTool, ExpressionTool or Workflow).")
    missing = unpacked_runs(document)
    if missing:
        raise MuonError(
            "The workflow is not packed: "
            + "; ".join(missing)
            + ". Pack it first (`cwltool --pack wf.cwl > packed.json`) or submit it with the muon CLI."
        )
    orders: List[Dict[str, Any]] = []
    for entry in inputs or []:
        if isinstance(entry, str):
            order, base = read_document(entry, "input file"), Path(entry).resolve().parent
        else:
            order, base = json.loads(json.dumps(entry)), Path.cwd()
        if not isinstance(order, dict):
            raise MuonError("A CWL input object is a mapping of input names to values.")
        orders.append(_sandbox_inputs(client, order, base))
    body: Dict[str, Any] = {"workflow": document}
    if orders:
        body["inputs"] = orders
    if hints:
        body["hints"] = dict(hints)
    return body
