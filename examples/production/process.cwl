# Step 2: processes each event file of its task on its own (sorts its numbers), one output per input.
cwlVersion: v1.2
class: CommandLineTool
label: process
baseCommand: [sh, -c]
arguments:
  - |
    for f in "$@"; do sort -n "$f" > processed_`basename "$f"`; done
  - process
inputs:
  events:
    type: File[]
    inputBinding: { position: 1 }
outputs:
  processed:
    type: File[]
    outputBinding: { glob: "processed_*.txt" }
