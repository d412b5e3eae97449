"""The operator's view: structured logs, request ids, the access log."""
