#!/usr/bin/python3
"""Copies the `required` tests of a CWL conformance suite, with only the files they use, into
test/conformance/cwl-v1.2/ for `npm test`'s conformance gate (CI has no copy of the suite).

    /usr/bin/python3 scripts/vendor-cwl-required.py ../shared/cwl-v1.2 test/conformance/cwl-v1.2

The files a test uses are its tool and job, and what cwltool's --print-deps and --print-input-deps
list for them (run: documents, $import/$include, default: files, schemas, input files with their
secondaryFiles and directories), and the files its expected output $imports. A file cwltool cannot
list because the test expects a failure is named in EXTRA. Paths are rewritten relative to the
suite's root, so the copy is one flat conformance_tests.yaml.
"""
import json
import os
import shutil
import subprocess
import sys

from ruamel.yaml import YAML

EXTRA = {'LICENSE.txt', 'tests/loadContents/inp-filelist.txt'}
yaml = YAML(typ='safe', pure=True)
yaml.default_flow_style = False


def entries(path):
    with open(path) as f:
        listed = yaml.load(f)
    base = os.path.dirname(path)
    for entry in listed:
        if '$import' in entry:
            yield from entries(os.path.join(base, entry['$import']))
        else:
            yield base, entry


def locations(value, found):
    if isinstance(value, dict):
        location = value.get('location')
        if isinstance(location, str) and not location.startswith(('http:', 'https:', '_:')):
            found.add(os.path.normpath(location.replace('file://', '')))
        for item in value.values():
            locations(item, found)
    elif isinstance(value, list):
        for item in value:
            locations(item, found)


def references(value, base, suite, found):
    """$import and $include inside an expected output, made relative to the suite's root."""
    if isinstance(value, dict):
        for key in ('$import', '$include'):
            if key in value:
                path = os.path.relpath(os.path.join(base, value[key]), suite)
                found.add(path)
                value[key] = path
        for item in value.values():
            references(item, base, suite, found)
    elif isinstance(value, list):
        for item in value:
            references(item, base, suite, found)


def main(suite, dest):
    suite = os.path.abspath(suite)
    files, tests = set(EXTRA), []
    for base, entry in entries(os.path.join(suite, 'conformance_tests.yaml')):
        if 'required' not in entry.get('tags', []):
            continue
        entry['tool'] = os.path.relpath(os.path.join(base, entry['tool']), suite)
        if entry.get('job'):
            entry['job'] = os.path.relpath(os.path.join(base, entry['job']), suite)
        references(entry.get('output'), base, suite, files)
        tool = entry['tool']
        files.update({tool.split('#')[0], *([entry['job']] if entry.get('job') else [])})
        runs = [('--print-deps', [tool.split('#')[0]])]
        if entry.get('job'):
            runs.append(('--print-input-deps', [tool, entry['job']]))
        for flag, args in runs:
            listed = subprocess.run(
                ['/usr/bin/cwltool', flag, '--relative-deps', 'cwd', *args],
                cwd=suite, capture_output=True, text=True,
            )
            if listed.returncode == 0:
                locations(json.loads(listed.stdout), files)
            else:
                print(f"{entry['id']}: cwltool {flag} failed (expected for a should_fail test)", file=sys.stderr)
        tests.append(entry)
    for name in sorted(files):
        source, target = os.path.join(suite, name), os.path.join(dest, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
    with open(os.path.join(dest, 'conformance_tests.yaml'), 'w') as out:
        out.write(
            f'# The {len(tests)} tests tagged "required" of the CWL v1.2 conformance suite (commit 551d58d of\n'
            '# common-workflow-language/cwl-v1.2, Apache-2.0, LICENSE.txt), with only the files they use.\n'
            '# Made by scripts/vendor-cwl-required.py; see test/conformance/README.md.\n'
        )
        yaml.dump(tests, out)
    print(f'{len(tests)} tests, {len(files)} files')


if __name__ == '__main__':
    main(*sys.argv[1:3])
