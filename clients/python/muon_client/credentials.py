"""Where the client finds the API and its token, in the order the `muon` CLI uses (cli/client.ts).

API URL: the `api_url` argument, then MUON_API_URL, then `$MUON_HOME/local.json` (the local runtime).
Token: the `token` argument, then MUON_TOKEN, then the file named by `token_file` or
MUON_TOKEN_FILE (the token alone, as DiracX's DIRACX_CREDENTIALS_PATH holds it), then the login
`muon login` cached for that URL (cli/credentials.ts), then local.json's development token.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from .errors import MuonError


@dataclass(frozen=True)
class Credentials:
    api_url: str
    token: Optional[str]
    #: Where the token came from: "argument", "MUON_TOKEN", "token file", "muon login", "local.json", "none".
    source: str


def normalize_api_url(url: str) -> str:
    """The URL without trailing slashes, as `muon login` keys its cache."""
    return url.rstrip("/")


def muon_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("MUON_HOME") or ".muon").resolve()


def read_local_file(env: Mapping[str, str]) -> Optional[dict]:
    path = muon_home(env) / "local.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise MuonError(f"Cannot read {path}: {error}") from error


def credentials_dir(env: Mapping[str, str]) -> Path:
    if env.get("MUON_CREDENTIALS_DIR"):
        return Path(env["MUON_CREDENTIALS_DIR"])
    config = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "muon" / "credentials"


def login_file(api_url: str, env: Mapping[str, str]) -> Path:
    digest = hashlib.sha256(normalize_api_url(api_url).encode("utf-8")).hexdigest()[:24]
    return credentials_dir(env) / f"{digest}.json"


def _private(path: Path) -> None:
    """A token file others can read is a leaked token: refuse it rather than send it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise MuonError(f"{path} is open to its group or others (mode {mode:o}): chmod 600 it, or log in again.")


def read_login(api_url: str, env: Mapping[str, str], now: Optional[float] = None) -> Optional[str]:
    """The access token `muon login` cached for this API, or None when there is none.

    An expired one is an error that says to log in again: refreshing it needs the identity
    provider's client, which is the CLI's business (`muon login`).
    """
    path = login_file(api_url, env)
    if not path.exists():
        return None
    _private(path)
    try:
        login = json.loads(path.read_text("utf-8"))
    except ValueError as error:
        raise MuonError(f"{path} is not JSON: {error}") from error
    if login.get("apiUrl") != normalize_api_url(api_url) or not isinstance(login.get("accessToken"), str):
        return None
    expires_at = login.get("expiresAt")
    current_ms = (time.time() if now is None else now) * 1000
    if isinstance(expires_at, (int, float)) and expires_at <= current_ms:
        raise MuonError(f"The login for {api_url} has expired: run `muon login` again (or set MUON_TOKEN).")
    return login["accessToken"]


def read_token_file(path: str) -> str:
    file = Path(path).expanduser()
    try:
        _private(file)
        text = file.read_text("utf-8").strip()
    except FileNotFoundError as error:
        raise MuonError(f"The token file {file} does not exist.") from error
    # DiracX's credentials file is JSON with an access_token; a plain file is the token itself.
    if text.startswith("{"):
        try:
            text = json.loads(text).get("access_token", "")
        except ValueError as error:
            raise MuonError(f"The token file {file} is not JSON: {error}") from error
    if not text:
        raise MuonError(f"The token file {file} holds no token.")
    return text


def resolve_credentials(
    api_url: Optional[str] = None,
    token: Optional[str] = None,
    token_file: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Credentials:
    env = os.environ if env is None else env
    local = read_local_file(env)
    url = api_url or env.get("MUON_API_URL") or (local or {}).get("apiUrl")
    if not url:
        raise MuonError(
            "No API to talk to: pass api_url, set MUON_API_URL, or start the local runtime (`npm start`)."
        )
    if token:
        return Credentials(url, token, "argument")
    if env.get("MUON_TOKEN"):
        return Credentials(url, env["MUON_TOKEN"], "MUON_TOKEN")
    file = token_file or env.get("MUON_TOKEN_FILE")
    if file:
        return Credentials(url, read_token_file(file), "token file")
    from_login = read_login(url, env)
    if from_login:
        return Credentials(url, from_login, "muon login")
    development = ((local or {}).get("tokens") or {}).get("user")
    if development and normalize_api_url((local or {}).get("apiUrl", "")) == normalize_api_url(url):
        return Credentials(url, development, "local.json")
    return Credentials(url, None, "none")
