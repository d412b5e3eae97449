"""Tests of src/{{ cookiecutter.package_name }}/users/ and what it serves."""
