# Step 1 of the example production: simulates one batch of events, one small file per event
# (16 random numbers each). A generation task has no input files; every task runs this once.
cwlVersion: v1.2
class: CommandLineTool
label: generate
baseCommand: [sh, -c]
arguments:
  # Unique names: every task of the transformation writes its own files.
  - |
    i=0
    while [ $i -lt "$1" ]; do
      od -An -N32 -tu2 /dev/urandom > event_`od -An -N8 -tx8 /dev/urandom | tr -d ' \n'`.txt
      i=`expr $i + 1`
    done
  - generate
inputs:
  events:
    type: int
    inputBinding: { position: 1 }
outputs:
  events_out:
    type: File[]
    outputBinding: { glob: "event_*.txt" }
