"""Tests of src/{{ cookiecutter.package_name }}/web/ and what it serves."""
