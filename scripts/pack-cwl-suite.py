#!/usr/bin/python3
"""A copy of a CWL conformance suite whose every tool is what `cwltool --pack` makes of it.

`npm run conformance -- --packed` runs the suite through muon on this copy: dirac-cwl users and
muon's Python client submit documents packed by cwltool (or cwl_utils.pack) as they are, so muon
must take them as cwltool does. Usage: pack-cwl-suite.py SRC DEST [-j N]. The tests keep their
ids, jobs and expected outputs; a tool cwltool cannot pack is kept as it is and counted.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys

import yaml


def flatten(path, root):
    """The suite's test entries, `$import`ed lists included, with paths relative to `root`."""
    base = os.path.dirname(path)
    with open(path, encoding="utf-8") as f:
        entries = yaml.safe_load(f)
    out = []
    for entry in entries:
        if set(entry) == {"$import"}:
            out.extend(flatten(os.path.join(base, entry["$import"]), root))
            continue
        entry = dict(entry)
        for key in ("tool", "job"):
            if entry.get(key):
                entry[key] = os.path.relpath(os.path.join(base, entry[key]), root)
        output = entry.get("output")
        if isinstance(output, dict) and set(output) == {"$import"}:
            entry["output"] = {"$import": os.path.relpath(os.path.join(base, output["$import"]), root)}
        out.append(entry)
    return out


def pack(root, tool):
    """`tool` packed beside itself (`<tool>.packed.cwl`); None when cwltool cannot pack it."""
    source = os.path.join(root, tool)
    packed = source + ".packed.cwl"
    if not os.path.exists(packed):
        run = subprocess.run(
            ["/usr/bin/python3", "/usr/bin/cwltool", "--pack", source],
            capture_output=True, text=True, cwd=os.path.dirname(source), check=False,
        )
        if run.returncode != 0 or not run.stdout.strip():
            return None
        with open(packed + ".part", "w", encoding="utf-8") as f:
            f.write(run.stdout)
        os.replace(packed + ".part", packed)
    return os.path.relpath(packed, root)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("dest")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    shutil.copytree(args.src, args.dest)
    tests = flatten(os.path.join(args.dest, "conformance_tests.yaml"), args.dest)
    tools = sorted({t["tool"] for t in tests if t.get("tool")})
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        packed = dict(zip(tools, pool.map(lambda tool: pack(args.dest, tool), tools)))
    for test in tests:
        if packed.get(test.get("tool")):
            test["tool"] = packed[test["tool"]]
    # JSON is YAML: the runner reads it as the suite's own list.
    with open(os.path.join(args.dest, "conformance_tests.yaml"), "w", encoding="utf-8") as f:
        json.dump(tests, f, indent=1)
    kept = [tool for tool, done in packed.items() if not done]
    print(f"{len(tools) - len(kept)} of {len(tools)} tools packed by cwltool --pack", file=sys.stderr)
    for tool in kept:
        print(f"  not packed (kept as it is): {tool}", file=sys.stderr)


if __name__ == "__main__":
    main()
