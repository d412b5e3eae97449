"""The `nox -s bench` benchmark: run inside the rendered project's environment."""
