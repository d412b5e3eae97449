"""Tests of src/{{ cookiecutter.package_name }}/auth/ and what it serves."""
