"""Print valid sign-up bodies (a JSON list, each with unique values of their own) for a rendered
project's fields, from its own factories.

    cd PROJECT_DIR && python .../new_sign_up.py PASSWORD [COUNT]

Run by tests/readme_walkthrough.py with the project's Python, in the project's folder.
"""

import importlib
import json
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())  # the project's own `tests` package
    factories = importlib.import_module("tests.factories")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    print(json.dumps([factories.new_sign_up(sys.argv[1]) for _ in range(count)]))
