"""muon's Python client: submit JDL and CWL jobs, follow them, kill them, fetch their outputs.

    from muon_client import MuonClient
    client = MuonClient()                      # MUON_API_URL/MUON_TOKEN, `muon login`, or .muon/local.json
    [job] = client.submit_jdl('Executable = "echo"; Arguments = "hi"; OutputSandbox = {"std.out"};')
    client.wait([job["JobID"]])
    client.download_outputs(job["JobID"], "job-output")

Standard library only, Python 3.9 or newer. See clients/python/README.md.
"""
from .client import FINAL_STATUSES, MuonClient, SearchPage
from .credentials import Credentials, resolve_credentials
from .errors import LocalFileError, MuonError

__all__ = [
    "FINAL_STATUSES",
    "Credentials",
    "LocalFileError",
    "MuonClient",
    "MuonError",
    "SearchPage",
    "resolve_credentials",
]
__version__ = "0.1.0"
