"""Tests of src/{{ cookiecutter.package_name }}/database/ and what it serves."""
