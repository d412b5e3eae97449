"""`new resource`: code for a new resource, written the way `users/` is.

command.py runs it: resource.py reads NAME and FIELDS, names.py refuses names the project has
already, files.py renders the files from templates/ and writes them. field_spec.py,
field_types.py and field_code.py are the template's own registry of field types, and
resource_code.py fills in a resource's model and schemas: copied in when the project was made,
which wrote the User's with them. The prompts and this command read the same.
"""
