"""`new resource`: code for a new resource, written the way `users/` is.

field_spec.py, field_types.py and field_code.py are the template's own registry of field types,
and resource_code.py fills in a resource's model and schemas from templates/: copied in when the
project was made, which wrote the User's with them. The prompts and this command read the same.
"""
