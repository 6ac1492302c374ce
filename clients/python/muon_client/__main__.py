"""`python3 -m muon_client ...`: the client's calls from a shell, for scripts that do not import it.

Each command prints JSON (one document) or, for submissions, one job id per line, as
`muon job submit` does; a refusal prints the API's detail on stderr and exits 1, as does `status`
for a job it does not find (after printing those it found). A file that cannot be read exits with 2,
as argparse's usage errors do, before anything is sent.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, List, Optional

from .client import MuonClient
from .cwl import read_document
from .errors import LocalFileError, MuonError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m muon_client", description="muon's Python client.")
    parser.add_argument("--api-url", help="the API (default: MUON_API_URL, else .muon/local.json)")
    parser.add_argument("--token-file", help="a file holding the token (default: MUON_TOKEN, MUON_TOKEN_FILE, muon login)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("whoami", help="who the token says you are")
    jdl = commands.add_parser("submit-jdl", help="submit JDL files; prints the job ids")
    jdl.add_argument("files", nargs="+")
    cwl = commands.add_parser("submit-cwl", help="submit a packed CWL document (JSON, or YAML with PyYAML)")
    cwl.add_argument("document")
    cwl.add_argument("--inputs", nargs="*", default=[], help="input object files: one job each")
    cwl.add_argument("--hints", help="a file of dirac:Job scheduling hints")
    for name, text in (("status", "status of jobs"), ("kill", "kill jobs"), ("wait", "wait until jobs end")):
        command = commands.add_parser(name, help=text)
        command.add_argument("job_ids", nargs="+", type=int)
    search = commands.add_parser("search", help="search jobs")
    search.add_argument("--status", nargs="*", help="only these statuses")
    search.add_argument("--parameters", nargs="*", help="columns to show")
    search.add_argument("--page", type=int, default=1)
    search.add_argument("--per-page", type=int, default=100)
    summary = commands.add_parser("summary", help="count jobs by columns")
    summary.add_argument("--group", nargs="+", default=["Status"])
    output = commands.add_parser("output", help="download a job's outputs")
    output.add_argument("job_id", type=int)
    output.add_argument("--dir", help="where (default: ./job-<id>)")
    output.add_argument("--data", action="store_true", help="also download its output data")
    return parser


class NotFound(MuonError):
    """Some of the jobs asked for were not found: `result` holds those that were."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


def _read_text(file: str, what: str) -> str:
    try:
        return Path(file).read_text("utf-8")
    except FileNotFoundError:
        raise LocalFileError(f"Cannot read the {what} {file}: no such file.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LocalFileError(f"Cannot read the {what} {file}: {error}.") from None


def run(argv: Optional[List[str]] = None) -> Any:
    args = _parser().parse_args(argv)
    # Local files are read before the client looks for an API and a token.
    texts = [_read_text(f, "JDL") for f in args.files] if args.command == "submit-jdl" else []
    client = MuonClient(api_url=args.api_url, token_file=args.token_file)
    if args.command == "whoami":
        return client.whoami()
    if args.command == "submit-jdl":
        jobs = client.submit_jdl(texts)
        return "\n".join(str(job["JobID"]) for job in jobs)
    if args.command == "submit-cwl":
        hints = read_document(args.hints, "hints file") if args.hints else None
        jobs = client.submit_cwl(args.document, args.inputs or None, hints)
        return "\n".join(str(job["JobID"]) for job in jobs)
    if args.command == "status":
        found = {str(k): v for k, v in client.status(args.job_ids).items()}
        missing = [str(i) for i in args.job_ids if str(i) not in found]
        if missing:
            raise NotFound(f"No job {', '.join(missing)} (or not one you may see).", found)
        return found
    if args.command == "kill":
        return client.kill(args.job_ids)
    if args.command == "wait":
        return {str(k): v for k, v in client.wait(args.job_ids).items()}
    if args.command == "search":
        conditions = [{"parameter": "Status", "operator": "in", "values": args.status}] if args.status else []
        rows = client.search(conditions, args.parameters, page=args.page, per_page=args.per_page)
        return {"total": rows.total, "rows": list(rows)}
    if args.command == "summary":
        return client.summary(args.group)
    if args.command == "output":
        return client.download_outputs(args.job_id, args.dir or f"job-{args.job_id}", data=args.data)
    raise AssertionError(args.command)


def main(argv: Optional[List[str]] = None) -> int:
    try:
        result = run(argv)
    except LocalFileError as error:
        # A command that cannot be carried out as written, as argparse's usage errors: exit 2.
        print(f"muon: {error}", file=sys.stderr)
        return 2
    except NotFound as error:
        if error.result:
            print(json.dumps(error.result, indent=2))
        print(f"muon: {error}", file=sys.stderr)
        return 1
    except MuonError as error:
        print(f"muon: {error}", file=sys.stderr)
        return 1
    print(result if isinstance(result, str) else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
