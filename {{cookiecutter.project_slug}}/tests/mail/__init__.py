"""Tests of src/{{ cookiecutter.package_name }}/mail/: the outbox, its sender, the mails."""
