"""The User resource: its model, schemas, routes and rules (roles, the last admin)."""
