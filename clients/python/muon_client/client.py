"""A client of muon's HTTP API (docs/jobs.md, `/api/openapi.json`), Python's standard library only.

DIRAC's counterpart is `diracx-client`, generated from DiracX's OpenAPI document; this one is
written by hand over `urllib` so that it installs anywhere Python 3.9 runs, with no dependency.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from .credentials import Credentials, resolve_credentials
from .errors import MuonError

#: A search condition, DiracX's shape: {"parameter": "Status", "operator": "in", "values": [...]}.
Condition = Dict[str, Any]
FINAL_STATUSES = frozenset({"Done", "Failed", "Killed", "Deleted"})


class Response:
    def __init__(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class SearchPage(list):
    """One page of search rows; `total` is the number of matching jobs (from Content-Range)."""

    total: int = 0


class MuonClient:
    """Talks to one muon API with one token (see `resolve_credentials` for where they come from)."""

    def __init__(
        self,
        api_url: Optional[str] = None,
        token: Optional[str] = None,
        token_file: Optional[str] = None,
        timeout: float = 60.0,
        credentials: Optional[Credentials] = None,
    ) -> None:
        self.credentials = credentials or resolve_credentials(api_url, token, token_file)
        self.api_url = self.credentials.api_url.rstrip("/")
        self.timeout = timeout

    # -- HTTP ----------------------------------------------------------------------------------
    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> Response:
        """One request; any answer, error or not (only an unreachable API raises)."""
        url = self.api_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("accept", "application/json")
        if data is not None:
            request.add_header("content-type", "application/json")
        if self.credentials.token:
            request.add_header("authorization", f"Bearer {self.credentials.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as answer:
                return Response(answer.status, dict(answer.headers), _json(answer.read()))
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers or {}), _json(error.read()))
        except urllib.error.URLError as error:
            raise MuonError(f"Cannot reach the API at {self.api_url}: {error.reason}") from error

    def request(self, method: str, path: str, body: Any = None, **options: Any) -> Response:
        """A successful answer (2xx), or a MuonError carrying the API's `detail`."""
        response = self.send(method, path, body, **options)
        if 200 <= response.status < 300:
            return response
        raise self._refusal(method, path, response)

    def _refusal(self, method: str, path: str, response: Response) -> MuonError:
        detail = response.body.get("detail") if isinstance(response.body, dict) else response.body
        hint = f" ({_token_hint(self.credentials)})" if response.status == 401 else ""
        # A CWL refusal's detail is {"message", "issues"}: its message already lists every issue.
        message = detail.get("message") if isinstance(detail, dict) else None
        text = detail if isinstance(detail, str) else message if isinstance(message, str) else json.dumps(detail)
        return MuonError(f"{method} {path}: {response.status} {text}{hint}", response.status, detail)

    # -- Identity ------------------------------------------------------------------------------
    def whoami(self) -> Dict[str, Any]:
        """DiracX's userinfo: VO, user name, group and properties of the token."""
        return self.request("GET", "/api/auth/userinfo").body

    # -- Submission ----------------------------------------------------------------------------
    def submit_jdl(self, jdl: Union[str, Sequence[str]], idempotency_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """Submits one JDL text or several; a parametric JDL makes several jobs. Returns DiracX's InsertedJob list."""
        texts = [jdl] if isinstance(jdl, str) else list(jdl)
        return self._submit("/api/jobs/jdl", texts, idempotency_key)

    def submit_cwl(
        self,
        workflow: Union[str, Mapping[str, Any]],
        inputs: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        hints: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """Submits a CWL document, one job per input object (muon_client.cwl says what is accepted).

        `workflow` is a document (a dict) or the path of a JSON or single-file YAML document;
        each input is an object or the path of an input file. Local Files among the inputs travel
        in an input sandbox per job.
        """
        from .cwl import prepare_submission

        body = prepare_submission(self, workflow, inputs, hints)
        return self._submit("/api/jobs", body, idempotency_key)

    def _submit(self, path: str, body: Any, idempotency_key: Optional[str]) -> List[Dict[str, Any]]:
        # A retry of a submission whose answer was lost must not make the jobs twice.
        key = idempotency_key or str(uuid.uuid4())
        return self.request("POST", path, body, headers={"Idempotency-Key": key}).body

    # -- Monitoring ----------------------------------------------------------------------------
    def job(self, job_id: int) -> Dict[str, Any]:
        """One job: attributes, description, requirements and history (LoggingInfo)."""
        return self.request("GET", f"/api/jobs/{int(job_id)}").body

    def search(
        self,
        conditions: Iterable[Condition] = (),
        parameters: Optional[Sequence[str]] = None,
        sort: Iterable[Mapping[str, str]] = (),
        page: int = 1,
        per_page: int = 100,
    ) -> SearchPage:
        """One page of the jobs matching every condition (DiracX's search language)."""
        body: Dict[str, Any] = {"search": list(conditions), "sort": list(sort)}
        if parameters is not None:
            body["parameters"] = list(parameters)
        response = self.send("POST", "/api/jobs/search", body, query={"page": page, "per_page": per_page})
        rows = SearchPage()
        if response.status == 416:
            rows.total = _total(response.headers)
            return rows
        if not 200 <= response.status < 300:
            raise self._refusal("POST", "/api/jobs/search", response)
        rows.extend(response.body)
        rows.total = _total(response.headers) if response.status == 206 else len(rows)
        return rows

    def status(self, job_ids: Iterable[int]) -> Dict[int, Dict[str, Any]]:
        """Status, MinorStatus, ApplicationStatus and Site of each job, keyed by job id (`dirac-wms-job-status`)."""
        ids = sorted({int(i) for i in job_ids})
        found: Dict[int, Dict[str, Any]] = {}
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            rows = self.search(
                [{"parameter": "JobID", "operator": "in", "values": chunk}],
                ["JobID", "Status", "MinorStatus", "ApplicationStatus", "Site"],
                per_page=len(chunk),
            )
            for row in rows:
                found[int(row["JobID"])] = row
        return found

    def summary(self, grouping: Sequence[str], conditions: Iterable[Condition] = ()) -> List[Dict[str, Any]]:
        """Job counts grouped by the columns in `grouping` (`muon job summary --group`)."""
        return self.request("POST", "/api/jobs/summary", {"grouping": list(grouping), "search": list(conditions)}).body

    def wait(self, job_ids: Iterable[int], timeout: float = 3600.0) -> Dict[int, str]:
        """Waits until every job has a final status; returns each one's. Long-polls the API (20 s at a time)."""
        deadline = time.monotonic() + timeout
        statuses: Dict[int, str] = {}
        for job_id in sorted({int(i) for i in job_ids}):
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MuonError(f"Job {job_id} had not ended after {timeout:.0f} s.")
                wait = max(0, min(20, int(left)))
                job = self.request("GET", f"/api/jobs/{job_id}", query={"wait": wait}, timeout=wait + 30).body
                if job.get("Status") in FINAL_STATUSES:
                    statuses[job_id] = job["Status"]
                    break
        return statuses

    # -- Control -------------------------------------------------------------------------------
    def kill(self, job_ids: Iterable[int]) -> Dict[str, Any]:
        """Kills jobs. Returns `{"success": {...}, "failed": {...}}` keyed by job id; raises when none could be."""
        return self.request("POST", "/api/jobs/kill", {"job_ids": sorted({int(i) for i in job_ids})}).body

    def delete(self, job_ids: Iterable[int]) -> Dict[str, Any]:
        return self.request("POST", "/api/jobs/delete", {"job_ids": sorted({int(i) for i in job_ids})}).body

    def reschedule(self, job_ids: Iterable[int]) -> Dict[str, Any]:
        return self.request("POST", "/api/jobs/reschedule", {"job_ids": sorted({int(i) for i in job_ids})}).body

    # -- Outputs -------------------------------------------------------------------------------
    def outputs(self, job_id: int) -> Dict[str, Any]:
        """What the job reported: CWLOutput, OutputData, OutputSandbox, MissingFiles."""
        return self.request("GET", f"/api/jobs/{int(job_id)}/outputs").body

    def download_outputs(self, job_id: int, directory: str, data: bool = False) -> Dict[str, Any]:
        """Unpacks the job's output sandboxes into `directory` and writes `cwl.output.json` there
        with local locations; with `data`, also downloads its output data into `directory/outputs/`."""
        from .outputs import download_outputs

        return download_outputs(self, int(job_id), directory, data)


def _token_hint(credentials: Any) -> str:
    """What to do about a token the API refused (401), by where it came from."""
    if not credentials.token:
        return "no token: set MUON_TOKEN or run `muon login`"
    return {
        "argument": "the token given to MuonClient was refused: give a valid one",
        "MUON_TOKEN": "the token in MUON_TOKEN was refused: set a valid one, or unset it to use your `muon login`",
        "token file": "the token in the token file was refused: put a valid one there",
        "muon login": "your login was refused: run `muon login` again",
        "local.json": "the local runtime's development token was refused: is MUON_HOME the running runtime's home?",
    }.get(credentials.source, "the token was refused")


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        return raw.decode("utf-8", "replace")


def _total(headers: Mapping[str, str]) -> int:
    """The total of `Content-Range: jobs 0-99/1234` (or `jobs */1234`)."""
    value = next((v for k, v in headers.items() if k.lower() == "content-range"), "")
    try:
        return int(value.rsplit("/", 1)[1])
    except (IndexError, ValueError):
        return 0
