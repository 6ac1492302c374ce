"""Where the client finds the API and its token, in the order the `muon` CLI uses (cli/client.ts).

API URL: the `api_url` argument, then MUON_API_URL, then `$MUON_HOME/local.json` (the local runtime).
Token: the `token` argument, then MUON_TOKEN, then the file named by `token_file` or
MUON_TOKEN_FILE (the token alone, as DiracX's DIRACX_CREDENTIALS_PATH holds it), then the login
`muon login` cached for that URL (cli/credentials.ts; refreshed near its end, as the CLI does),
then local.json's development token.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
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


#: A cached token with less than this left is refreshed before it is sent (as the CLI does).
REFRESH_BEFORE_SECONDS = 60


def read_login(api_url: str, env: Mapping[str, str], now: Optional[float] = None) -> Optional[str]:
    """The access token `muon login` cached for this API, refreshed (and written back) when it is
    near its end and the login has a refresh token; None when there is no login.

    An expired login that cannot be refreshed is an error that says to log in again.
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
    current = time.time() if now is None else now
    if isinstance(expires_at, (int, float)) and expires_at <= (current + REFRESH_BEFORE_SECONDS) * 1000:
        if login.get("refreshToken"):
            login = refresh_login(login, current)
            _write_private(path, login)
        elif expires_at <= current * 1000:
            raise MuonError(f"The login for {api_url} has expired: run `muon login` again (or set MUON_TOKEN).")
    return login["accessToken"]


def _secure(url: str) -> bool:
    parsed = urllib.parse.urlparse(url)
    return parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost", "::1"))


def _post_form(url: str, form: Mapping[str, str], timeout: float) -> dict:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode("ascii"), method="POST")
    request.add_header("content-type", "application/x-www-form-urlencoded")
    request.add_header("accept", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        try:
            body = json.loads(error.read().decode("utf-8"))
        except ValueError:
            body = {}
        reason = body.get("error_description") or body.get("error") or f"HTTP {error.code}"
        raise MuonError(f"Refreshing the login failed ({reason}): run `muon login` again.") from error
    except (urllib.error.URLError, ValueError) as error:
        raise MuonError(f"Refreshing the login failed ({error}): run `muon login` again.") from error


def refresh_login(login: dict, now: float, timeout: float = 30.0) -> dict:
    """New tokens for a cached login from its identity provider (OpenID Connect discovery, then the
    refresh-token grant with the CLI's public client), as `muon login` refreshes them."""
    issuer = str(login.get("issuer", "")).rstrip("/")
    if not _secure(issuer):
        raise MuonError(f"The login's issuer {issuer!r} is not an https URL: run `muon login` again.")
    try:
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=timeout) as answer:
            token_endpoint = json.loads(answer.read().decode("utf-8"))["token_endpoint"]
    except (OSError, ValueError, KeyError) as error:
        raise MuonError(f"Cannot read {issuer}'s OpenID configuration ({error}): run `muon login` again.") from error
    if not _secure(token_endpoint):
        raise MuonError(f"{issuer}'s token endpoint {token_endpoint!r} is not an https URL.")
    form = {"grant_type": "refresh_token", "refresh_token": login["refreshToken"], "client_id": login["clientId"]}
    if login.get("resource"):
        form["resource"] = login["resource"]
    tokens = _post_form(token_endpoint, form, timeout)
    if not isinstance(tokens.get("access_token"), str):
        raise MuonError(f"{issuer} answered the refresh without an access token: run `muon login` again.")
    return {
        **login,
        "accessToken": tokens["access_token"],
        "refreshToken": tokens.get("refresh_token") or login["refreshToken"],
        "expiresAt": int((now + float(tokens.get("expires_in") or 3600)) * 1000),
    }


def _write_private(path: Path, login: dict) -> None:
    """Writes the refreshed login back, 0600, replacing the file at once."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(str(temporary), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(login, indent=2) + "\n")
    os.replace(temporary, path)


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
    if urllib.parse.urlsplit(url).scheme not in ("http", "https") or not urllib.parse.urlsplit(url).netloc:
        source = "api_url" if api_url else "MUON_API_URL" if env.get("MUON_API_URL") else "local.json"
        raise MuonError(f"{source} {url!r} is not an http:// or https:// URL, e.g. http://127.0.0.1:8080.")
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
