"""Tests of src/{{ cookiecutter.package_name }}/scaffold/: `new resource`."""
