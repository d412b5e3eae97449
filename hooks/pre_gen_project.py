"""Refuse bad answers before anything is rendered; cookiecutter then removes the new folder.

The same check already ran when the last prompt was answered; this one guards `--replay`, whose
answers come from a file.
"""

import json
import sys

sys.path.insert(0, {{ template_root | tojson }})

from hooks.answers import problems, report  # noqa: E402

ANSWERS = json.loads({{ cookiecutter | tojson | tojson }})

found = problems(ANSWERS)
if found:
    print(report(found), file=sys.stderr)
    sys.exit(1)
