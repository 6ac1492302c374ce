"""The client's local behaviour: where it finds the API and token, archives it refuses, CWL
documents it refuses to send, output objects it rewrites. No API needed."""
import io
import json
import os
import tarfile
import tempfile
import time
import unittest
from pathlib import Path

from muon_client import MuonError
from muon_client.credentials import login_file, resolve_credentials
from muon_client.cwl import prepare_submission, unpacked_runs
from muon_client.outputs import localize
from muon_client.sandbox import pack, unpack


class Credentials(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.home = Path(self.dir.name)
        self.env = {"MUON_HOME": str(self.home / "muon"), "MUON_CREDENTIALS_DIR": str(self.home / "cred")}

    def tearDown(self):
        self.dir.cleanup()

    def write_local(self, url="http://127.0.0.1:1"):
        (self.home / "muon").mkdir()
        (self.home / "muon" / "local.json").write_text(
            json.dumps({"apiUrl": url, "tokens": {"user": "dev-user", "admin": "a", "pilot": "p"}})
        )

    def write_login(self, url, token, expires_in=3600, mode=0o600):
        path = login_file(url, self.env)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"apiUrl": url, "accessToken": token, "expiresAt": (time.time() + expires_in) * 1000}))
        os.chmod(path, mode)

    def test_takes_the_local_runtime_and_its_development_token_when_nothing_else_is_set(self):
        self.write_local()
        found = resolve_credentials(env=self.env)
        self.assertEqual((found.api_url, found.token, found.source), ("http://127.0.0.1:1", "dev-user", "local.json"))

    def test_prefers_muon_token_then_a_token_file_then_the_login_cache(self):
        self.write_local()
        self.write_login("http://127.0.0.1:1", "from-login")
        self.assertEqual(resolve_credentials(env=self.env).token, "from-login")
        token_file = self.home / "token"
        token_file.write_text("from-file\n")
        os.chmod(token_file, 0o600)
        self.assertEqual(resolve_credentials(env={**self.env, "MUON_TOKEN_FILE": str(token_file)}).token, "from-file")
        env = {**self.env, "MUON_TOKEN_FILE": str(token_file), "MUON_TOKEN": "from-env"}
        self.assertEqual(resolve_credentials(env=env).source, "MUON_TOKEN")
        self.assertEqual(resolve_credentials(token="given", env=env).token, "given")

    def test_a_login_is_per_api_url_and_an_expired_one_says_to_log_in_again(self):
        env = {**self.env, "MUON_API_URL": "https://wms.example.org/"}
        self.write_login("https://other.example.org", "other")
        self.assertEqual(resolve_credentials(env=env).source, "none")
        self.write_login("https://wms.example.org", "old", expires_in=-10)
        with self.assertRaisesRegex(MuonError, "muon login"):
            resolve_credentials(env=env)

    def test_refuses_a_token_others_can_read(self):
        env = {**self.env, "MUON_API_URL": "https://wms.example.org"}
        self.write_login("https://wms.example.org", "t", mode=0o644)
        with self.assertRaisesRegex(MuonError, "open to its group or others"):
            resolve_credentials(env=env)

    def test_an_api_url_that_is_not_http_is_refused_naming_where_it_came_from(self):
        for env, named in (({"MUON_API_URL": "notaurl"}, "MUON_API_URL 'notaurl'"), ({"MUON_API_URL": "ftp://h/"}, "MUON_API_URL 'ftp://h/'")):
            with self.assertRaisesRegex(MuonError, f"^{named} is not an http:// or https:// URL"):
                resolve_credentials(env={**self.env, **env})
        with self.assertRaisesRegex(MuonError, "^api_url '127.0.0.1:8080' is not"):
            resolve_credentials(api_url="127.0.0.1:8080", env=self.env)

    def test_without_an_api_says_how_to_name_one(self):
        with self.assertRaisesRegex(MuonError, "MUON_API_URL"):
            resolve_credentials(env=self.env)


class Sandboxes(unittest.TestCase):
    def test_packs_and_unpacks_files_in_their_directories(self):
        with tempfile.TemporaryDirectory() as src, tempfile.TemporaryDirectory() as dst:
            Path(src, "a").mkdir()
            Path(src, "a", "x.txt").write_text("x")
            Path(src, "y.txt").write_text("y")
            data = pack(["a/x.txt", "y.txt"], src)
            self.assertEqual(data, pack(["y.txt", "a/x.txt"], src))
            self.assertEqual(sorted(unpack(data, dst)), ["a/x.txt", "y.txt"])
            self.assertEqual(Path(dst, "a", "x.txt").read_text(), "x")

    def test_refuses_an_archive_that_writes_outside_its_directory_or_holds_links(self):
        for name, kind in (("../evil", tarfile.REGTYPE), ("/etc/evil", tarfile.REGTYPE), ("link", tarfile.SYMTYPE)):
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
                info = tarfile.TarInfo(name)
                info.type = kind
                info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
                archive.addfile(info, io.BytesIO(b""))
            with tempfile.TemporaryDirectory() as dst, self.subTest(name=name):
                with self.assertRaisesRegex(MuonError, "refused"):
                    unpack(buffer.getvalue(), dst)


class CwlDocuments(unittest.TestCase):
    def test_names_each_step_that_runs_another_file(self):
        workflow = {
            "class": "Workflow",
            "steps": {"a": {"run": "tool.cwl"}, "b": {"run": "#packed"}, "c": {"run": {"class": "CommandLineTool"}}},
        }
        self.assertEqual(unpacked_runs(workflow), ["steps.a.run: tool.cwl"])

    def test_refuses_to_send_an_unpacked_workflow_and_says_how_to_pack_it(self):
        with self.assertRaisesRegex(MuonError, "cwltool --pack"):
            prepare_submission(None, {"class": "Workflow", "steps": [{"id": "s", "run": "t.cwl"}]}, None, None)


class OutputObjects(unittest.TestCase):
    def test_points_sandbox_and_lfn_locations_at_local_files_and_keeps_them_inside(self):
        root = Path(tempfile.gettempdir(), "muon-out").resolve()
        output = {
            "out": {"class": "File", "location": "sandbox:out/a.txt", "basename": "a.txt"},
            "data": [{"class": "File", "location": "lfn:/vo/user/a/b.root"}],
        }
        downloads = {}
        local = localize(output, root, True, downloads)
        self.assertEqual(local["out"]["path"], str(root / "out" / "a.txt"))
        self.assertEqual(local["data"][0]["location"], (root / "outputs" / "b.root").as_uri())
        self.assertEqual(list(downloads), ["/vo/user/a/b.root"])
        self.assertEqual(localize(output, root, False, {})["data"][0]["location"], "lfn:/vo/user/a/b.root")
        with self.assertRaisesRegex(MuonError, "outside"):
            localize({"class": "File", "location": "sandbox:../../etc/passwd"}, root, False, {})


if __name__ == "__main__":
    unittest.main()


class CommandLine(unittest.TestCase):
    """`python3 -m muon_client`: exit codes and what is left behind, with a client that answers offline."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = Path(self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def run_main(self, argv, client=None):
        from unittest import mock

        from muon_client import __main__ as cli

        out, err = io.StringIO(), io.StringIO()
        with mock.patch.object(cli, "MuonClient", lambda **_: client), mock.patch("sys.stdout", out), mock.patch(
            "sys.stderr", err
        ):
            code = cli.main(argv)
        return code, out.getvalue(), err.getvalue()

    def test_a_jdl_file_that_is_not_there_is_a_usage_error_without_a_traceback(self):
        code, out, err = self.run_main(["submit-jdl", str(self.root / "nope.jdl")])
        self.assertEqual((code, out), (2, ""))
        self.assertEqual(err, f"muon: Cannot read the JDL {self.root / 'nope.jdl'}: no such file.\n")

    def test_a_cwl_document_input_object_or_input_file_that_is_not_there_exits_2(self):
        document = self.root / "tool.json"
        document.write_text(json.dumps({"cwlVersion": "v1.2", "class": "CommandLineTool", "baseCommand": "cat",
                                        "inputs": {"f": "File"}, "outputs": {}}))
        (self.root / "in.json").write_text(json.dumps({"f": {"class": "File", "path": "nope.txt"}}))
        from muon_client import MuonClient

        offline = MuonClient(api_url="http://127.0.0.1:1", token="t")  # never asked: the files come first
        code, _, err = self.run_main(["submit-cwl", str(self.root / "nope.cwl")], offline)
        self.assertEqual((code, err.startswith("muon: Cannot read the document")), (2, True))
        code, _, err = self.run_main(["submit-cwl", str(document), "--inputs", str(self.root / "in.json")], offline)
        self.assertEqual((code, err), (2, f"muon: The input file {self.root / 'nope.txt'} does not exist.\n"))

    def test_status_of_a_job_not_found_prints_those_found_and_exits_1(self):
        class Client:
            def status(self, ids):
                return {1: {"JobID": 1, "Status": "Done"}}

        code, out, err = self.run_main(["status", "1", "999999"], Client())
        self.assertEqual(code, 1)
        self.assertEqual(json.loads(out), {"1": {"JobID": 1, "Status": "Done"}})
        self.assertEqual(err, "muon: No job 999999 (or not one you may see).\n")

    def test_output_of_a_job_that_is_not_there_leaves_no_directory(self):
        from muon_client.outputs import download_outputs

        class Client:
            def request(self, method, path, body=None, **options):
                raise MuonError(f"{method} {path}: 404 Job 99999 does not exist.", 404)

            def download_outputs(self, job_id, directory, data=False):
                return download_outputs(self, job_id, directory, data)

        code, _, err = self.run_main(["output", "99999", "--dir", str(self.root / "job-99999")], Client())
        self.assertEqual(code, 1)
        self.assertIn("404 Job 99999 does not exist.", err)
        self.assertFalse((self.root / "job-99999").exists())


class RefusedToken(unittest.TestCase):
    """A 401 says what to do about the token, by where it came from."""

    def test_names_muon_token_and_the_login_it_hides(self):
        import http.server
        import threading

        from muon_client import MuonClient

        class Refuse(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b'{"detail": "The token has expired."}'
                self.send_response(401)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Refuse)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            with tempfile.TemporaryDirectory() as home:
                env = {"MUON_HOME": home, "MUON_CREDENTIALS_DIR": home, "MUON_API_URL": url, "MUON_TOKEN": "old"}
                from unittest import mock

                with mock.patch.dict(os.environ, env, clear=True):
                    client = MuonClient()
                with self.assertRaises(MuonError) as caught:
                    client.whoami()
            self.assertEqual(
                str(caught.exception),
                "GET /api/auth/userinfo: 401 The token has expired. (the token in MUON_TOKEN was refused: "
                "set a valid one, or unset it to use your `muon login`)",
            )
        finally:
            server.shutdown()
            server.server_close()

    def test_a_cwl_refusal_shows_its_message_not_json(self):
        from muon_client import MuonClient
        from muon_client.client import Response

        client = MuonClient(api_url="http://127.0.0.1:1", token="t")
        detail = {"message": "The CWL document is invalid:\n  inputs.f: bad", "issues": [{"path": "inputs.f", "message": "bad"}]}
        error = client._refusal("POST", "/api/jobs", Response(422, {}, {"detail": detail}))
        self.assertEqual(str(error), "POST /api/jobs: 422 The CWL document is invalid:\n  inputs.f: bad")
        self.assertEqual(error.detail, detail)
