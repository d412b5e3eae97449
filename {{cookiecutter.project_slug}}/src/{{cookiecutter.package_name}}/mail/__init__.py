"""Mail: messages from the project's templates (messages.py), queued in the outbox table in the
transaction of the change that causes them (outbox.py), sent by a background task in every
process (sender.py) over SMTP, or to the log when SMTP_HOST is unset (smtp.py)."""
