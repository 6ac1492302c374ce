#!/usr/bin/env cwl-runner
# Count the lines of a file that travels with the job in its input sandbox.
cwlVersion: v1.2
class: CommandLineTool
label: line-count
baseCommand: [wc, -l]
inputs:
  data:
    type: File
    inputBinding:
      position: 1
outputs:
  count:
    type: stdout
stdout: count.txt
