"""PostgreSQL: the engine and the request's session, the model base, and the servers and
poolers the service may run against."""
