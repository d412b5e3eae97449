"""Who the caller is: passwords, login sessions and their tokens, throttling, admins."""
