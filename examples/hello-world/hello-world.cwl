#!/usr/bin/env cwl-runner
# Echo a message; the job's standard output is its result.
cwlVersion: v1.2
class: CommandLineTool
label: hello-world
baseCommand: echo
inputs:
  message:
    type: string
    default: Hello, world
    inputBinding:
      position: 1
outputs:
  greeting:
    type: stdout
stdout: hello.txt
