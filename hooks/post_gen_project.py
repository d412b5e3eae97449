"""Finish the new project (hooks/post_gen.py): its secret key, licence, cruft record, git
repository and next steps. Jinja: only the answers are filled in here; the code is a module.
"""

import json
import sys

sys.path.insert(0, {{template_root | tojson}})

from hooks.post_gen import main  # noqa: E402

# Answers from JSON, not `tojson` of each: that writes a character beyond the BMP (an emoji in
# the author's name) as two escapes that Python reads as two lone surrogates. In cookiecutter's
# own key order, which is the order cruft writes to `.cruft.json`.
main(
    json.loads({{cookiecutter | as_json | tojson}}),
    json.loads({{cruft_call | as_json | tojson}}),
    {{template_root | tojson}},
)
