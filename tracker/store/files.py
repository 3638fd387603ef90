"""Files the app keeps about people: private to the account the app runs as.

The instance folder and every folder the app makes in it are 0700, every file 0600
(the SQLite database and its ``-wal``/``-shm``, huey's queue, outbox emails, backups), as
the secret key is. Files are created with these modes (``os.open``'s mode, never a
chmod after the data is in them); files an older version left readable are tightened
when the app opens them.

Outbox emails are named by their recipient: ``<hash of the address>-<random>.eml``, so an
account's emails can be found, and removed with the account, without opening every file.
"""
import hashlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Make the folder (and missing parents) if needed, and make it 0700 when it is ours."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tighten(path, PRIVATE_DIR)
    return path


def tighten(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Set ``mode`` on an existing file or folder owned by this process's user (one
    owned by another account, e.g. a read-only deployment, is left as it is)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.geteuid() and info.st_mode & 0o777 != mode:
        path.chmod(mode)


def private_file(path: Path) -> None:
    """Create the file empty and 0600 if it is missing, else make it 0600: SQLite then
    creates the database's ``-wal`` and ``-shm`` with the same mode as the database."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        tighten(path)


def sqlite_files(database: Path) -> list[Path]:
    """The database file and the files SQLite keeps beside it."""
    return [database, *(database.with_name(database.name + suffix)
                        for suffix in ("-wal", "-shm", "-journal"))]


def write_private(path: Path, data: bytes) -> None:
    """Write a new file, 0600 from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def outbox_prefix(address: str) -> str:
    """Whose emails an outbox file holds, without the address in the file name."""
    return hashlib.sha256(address.strip().casefold().encode()).hexdigest()[:32]


def outbox_files(outbox: Path, address: str) -> list[Path]:
    """The outbox emails sent to an address."""
    return sorted(outbox.glob(f"{outbox_prefix(address)}-*.eml"))
