"""The store: the database (peewee) and the services that read and write it. It may use
the domain; it never imports the web or jobs layers (tests/test_architecture.py)."""
