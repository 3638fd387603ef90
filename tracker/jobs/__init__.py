"""Jobs: the huey worker and its tasks, the sending channels (SMTP, web push), therapist
alerts, the CLI, backups and the production server's settings. They use the store and the
domain; nothing but the app factory imports them (tests/test_architecture.py)."""
