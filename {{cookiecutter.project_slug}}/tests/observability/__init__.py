"""Tests of the observability package: logs, request ids, the access log, metrics, traces."""
