# Step 3: merges the processed files of its task into one file.
cwlVersion: v1.2
class: CommandLineTool
label: merge
baseCommand: [sh, -c]
arguments:
  - |
    cat "$@" > merged_`od -An -N8 -tx8 /dev/urandom | tr -d ' \n'`.txt
  - merge
inputs:
  processed:
    type: File[]
    inputBinding: { position: 1 }
outputs:
  merged:
    type: File
    outputBinding: { glob: "merged_*.txt" }
