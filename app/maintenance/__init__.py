"""Periodic maintenance: what piles up in the database and must be cleared on
a schedule (``manage.py maintain``)."""
