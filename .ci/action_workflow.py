"""action.yml (a composite action) as a reusable workflow, so that actionlint, which lints
workflows, checks its steps: their syntax, expressions, contexts (`inputs.*` as workflow_call
inputs, `github.action_path`, `steps.*`) and `if`s.

    python .ci/action_workflow.py action.yml > target/action-workflow.yml

The output is JSON, which is YAML. Needs ruamel.yaml (check-jsonschema's, in target/ci-venv).
"""

import json
import sys

from ruamel.yaml import YAML

action = YAML(typ="safe").load(open(sys.argv[1], encoding="utf-8"))
if action["runs"]["using"] != "composite":
    sys.exit(f"{sys.argv[1]}: runs.using is {action['runs']['using']}, not composite")
inputs = {
    name: {"description": spec.get("description", ""), "type": "string", "required": False}
    for name, spec in action.get("inputs", {}).items()
}
workflow = {
    "name": f"{sys.argv[1]} as a workflow",
    "on": {"workflow_call": {"inputs": inputs}},
    "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
}
json.dump(workflow, sys.stdout, indent=2)
