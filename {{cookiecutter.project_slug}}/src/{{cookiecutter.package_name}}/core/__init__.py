"""What every domain shares: the settings and the audit log."""
