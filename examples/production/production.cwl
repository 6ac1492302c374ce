# The example production: generate -> process -> merge. Each top-level step becomes a
# transformation; steps.yaml says how many generation tasks, the group sizes and the metadata
# that carries files from one step to the next.
cwlVersion: v1.2
class: Workflow
label: demo
$namespaces:
  dirac: https://diracgrid.org/cwl#
hints:
  # Every step inherits these job hints: its outputs go to the local storage element.
  dirac:Job:
    outputSE: [LOCAL-DISK]
inputs:
  events_per_task:
    type: int
    default: 10
outputs:
  merged:
    type: File
    outputSource: merge/merged
steps:
  generate:
    run: generate.cwl
    in:
      events: events_per_task
    out: [events_out]
  process:
    run: process.cwl
    in:
      events: generate/events_out
    out: [processed]
  merge:
    run: merge.cwl
    in:
      processed: process/processed
    out: [merged]
