"""Operator commands for volunteers: ``flask portal send-reminders`` (for cron) and
``flask portal verify-signatures``."""
