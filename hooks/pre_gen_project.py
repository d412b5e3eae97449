"""Refuse bad answers before anything is rendered; cookiecutter then removes the new folder."""

import json
import sys

sys.path.insert(0, {{ cookiecutter._repo_dir | tojson }})

from hooks.answers import problems  # noqa: E402

ANSWERS = json.loads({{ cookiecutter | tojson | tojson }})

found = problems(ANSWERS)
if found:
    print("\nThe template cannot be rendered with these answers:", file=sys.stderr)
    for line in found:
        print(f"  - {line}", file=sys.stderr)
    print("Nothing was written. Run cookiecutter again with corrected answers.\n", file=sys.stderr)
    sys.exit(1)
