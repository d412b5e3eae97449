"""The HTTP plumbing: middleware, error answers, the client's address, health and docs."""
