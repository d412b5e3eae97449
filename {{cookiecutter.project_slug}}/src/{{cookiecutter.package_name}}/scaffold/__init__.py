"""`new resource`: code for a new resource, written the way `users/` is.

field_spec.py, field_types.py and field_code.py are the template's own registry of field types,
copied in when the project was made: the `user_fields` prompt and this command read the same.
"""
