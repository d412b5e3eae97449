"""Tests of src/{{ cookiecutter.package_name }}/observability/: logs, request ids, the access log."""
