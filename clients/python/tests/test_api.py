"""The client against a running muon: the vitest test test/integration/python-client.test.ts
starts the embedded runtime and a pilot, and runs these with MUON_API_URL and MUON_TOKEN set
(MUON_CLIENT_API_TESTS=1). Jobs really run: JDL executables and CWL tools through cwltool."""
import json
import os
import tempfile
import unittest
import uuid
from pathlib import Path

from muon_client import MuonClient, MuonError
from muon_client.__main__ import main as cli_main

NEEDS_API = os.environ.get("MUON_CLIENT_API_TESTS") == "1"
# Jobs of one run are told apart from those of other runs on the same runtime.
RUN = uuid.uuid4().hex[:8]


@unittest.skipUnless(NEEDS_API, "set MUON_CLIENT_API_TESTS=1 with MUON_API_URL and MUON_TOKEN of a running muon")
class AgainstTheApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = MuonClient()
        cls.scratch = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def test_the_token_is_the_users(self):
        me = self.client.whoami()
        self.assertEqual(me["vo"], "vo.example.org")
        self.assertIn("NormalUser", me["dirac_properties"])
        self.assertEqual(self.client.credentials.source, "MUON_TOKEN")

    def test_a_parametric_jdl_job_runs_and_its_output_sandbox_comes_back(self):
        jobs = self.client.submit_jdl(
            f'JobName = "py-{RUN}-%n"; Executable = "echo"; Arguments = "hello %s";'
            ' Parameters = {"a", "b"}; OutputSandbox = {"std.out"};'
        )
        ids = [job["JobID"] for job in jobs]
        self.assertEqual(len(ids), 2)
        self.assertEqual(set(self.client.status(ids)), set(ids))
        self.assertEqual(self.client.wait(ids, timeout=120), {i: "Done" for i in ids})
        target = Path(self.scratch.name, "jdl")
        result = self.client.download_outputs(ids[1], str(target))
        self.assertIn("std.out", result["unpacked"])
        self.assertEqual((target / "std.out").read_text().strip(), "hello b")
        history = [entry["Status"] for entry in self.client.job(ids[0])["LoggingInfo"]]
        self.assertEqual(history[-1], "Done")

    def test_search_pages_and_summary_count_the_jobs(self):
        jobs = self.client.submit_jdl([f'JobName = "py-{RUN}-search"; Executable = "true";'] * 3)
        ids = [job["JobID"] for job in jobs]
        named = [{"parameter": "JobName", "operator": "eq", "value": f"py-{RUN}-search"}]
        page = self.client.search(named, ["JobID", "JobName"], per_page=2)
        self.assertEqual((len(page), page.total), (2, 3))
        second = self.client.search(named, ["JobID"], page=2, per_page=2)
        self.assertEqual(sorted(row["JobID"] for row in page + second), ids)
        self.assertEqual(self.client.search(named, page=9, per_page=2).total, 3)
        counts = self.client.summary(["JobName"], named)
        self.assertEqual(counts, [{"JobName": f"py-{RUN}-search", "count": 3}])

    def test_a_cwl_tool_with_a_local_input_file_runs_and_its_output_object_points_at_local_files(self):
        work = Path(self.scratch.name, "cwl")
        (work / "data").mkdir(parents=True)
        (work / "data" / "numbers.txt").write_text("1\n2\n3\n")
        tool = {
            "cwlVersion": "v1.2",
            "class": "CommandLineTool",
            "baseCommand": ["wc", "-l"],
            "inputs": {"data": {"type": "File", "inputBinding": {"position": 1}}},
            "outputs": {"count": {"type": "stdout"}},
            "stdout": "count.txt",
        }
        (work / "tool.json").write_text(json.dumps(tool))
        (work / "inputs.json").write_text(json.dumps({"data": {"class": "File", "location": "data/numbers.txt"}}))
        [job] = self.client.submit_cwl(str(work / "tool.json"), [str(work / "inputs.json")])
        submitted = self.client.job(job["JobID"])
        self.assertRegex(submitted["Description"]["inputs"]["data"]["location"], r"^SB:.*#data/numbers.txt$")
        self.assertEqual(self.client.wait([job["JobID"]], timeout=180), {job["JobID"]: "Done"})
        result = self.client.download_outputs(job["JobID"], str(work / "out"))
        output = json.loads(Path(result["output_object"]).read_text())
        counted = Path(output["count"]["path"])
        self.assertTrue(counted.is_relative_to((work / "out").resolve()), counted)
        self.assertRegex(counted.read_text(), r"^3 ")

    def test_a_killed_job_ends_killed(self):
        [job] = self.client.submit_jdl(f'JobName = "py-{RUN}-kill"; Executable = "sleep"; Arguments = "300";')
        answer = self.client.kill([job["JobID"]])
        self.assertIn(str(job["JobID"]), answer["success"])
        self.assertEqual(self.client.wait([job["JobID"]], timeout=60), {job["JobID"]: "Killed"})
        self.assertIn(str(job["JobID"]), self.client.delete([job["JobID"]])["success"])
        self.assertEqual(self.client.status([job["JobID"]])[job["JobID"]]["Status"], "Deleted")

    def test_a_rescheduled_job_runs_again(self):
        [job] = self.client.submit_jdl(f'JobName = "py-{RUN}-again"; Executable = "true";')
        self.assertEqual(self.client.wait([job["JobID"]], timeout=120), {job["JobID"]: "Done"})
        self.assertIn(str(job["JobID"]), self.client.reschedule([job["JobID"]])["success"])
        self.assertEqual(self.client.wait([job["JobID"]], timeout=120), {job["JobID"]: "Done"})
        self.assertGreaterEqual(int(self.client.job(job["JobID"])["RescheduleCounter"]), 1)

    def test_refusals_carry_the_apis_status_and_detail(self):
        with self.assertRaises(MuonError) as missing:
            self.client.job(999_999_999)
        self.assertEqual(missing.exception.status, 404)
        self.assertIn("999999999", str(missing.exception))
        with self.assertRaises(MuonError) as bad:
            self.client.submit_jdl("Executable = ;")
        self.assertEqual(bad.exception.status, 400)
        with self.assertRaises(MuonError) as none:
            self.client.kill([999_999_999])
        self.assertEqual(none.exception.status, 404)

    def test_the_command_line_submits_and_reports(self):
        jdl = Path(self.scratch.name, "cli.jdl")
        jdl.write_text(f'JobName = "py-{RUN}-cli"; Executable = "true";')
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(cli_main(["submit-jdl", str(jdl)]), 0)
        job_id = int(out.getvalue().strip())
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(cli_main(["status", str(job_id)]), 0)
        self.assertEqual(json.loads(out.getvalue())[str(job_id)]["JobID"], job_id)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(cli_main(["kill", "999999999"]), 1)
        self.assertIn("404", err.getvalue())


if __name__ == "__main__":
    unittest.main()
