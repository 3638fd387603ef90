"""Reminders: which are due (select, pure), the channels that send them, and the worker."""
