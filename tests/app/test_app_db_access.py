"""A database path the app may not use stops the start naming the path, the uid and the fix.

Root may write any folder, and the suite runs as root, so these cases use paths no user can
write (a file where the folder should be); the case of a volume owned by another user runs
on the real image as uid 10001 (tests/images/test_app_image.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.db import DatabaseAccessError, access_problem, check_existing


def test_a_folder_that_is_a_file_names_path_uid_and_fix(tmp_path: Path) -> None:
    """The database's folder is not a writable folder: path, uid, owner and chown named."""
    folder = tmp_path / "data"
    folder.write_text("not a folder")
    folder.chmod(0o644)
    database = folder / "myfoodbudget.db"
    with pytest.raises(DatabaseAccessError) as info:
        check_existing(str(database))
    message = info.value.format_message()
    uid = os.getuid()
    assert f"cannot use the database {database} as uid {uid} (gid {os.getgid()})" in message
    assert f"its folder {folder} is not writable: owned by uid {uid}" in message
    assert "mode 644" in message
    assert f"chown -R {uid}:{os.getgid()}" in message


def test_a_folder_below_a_file_cannot_be_read(tmp_path: Path) -> None:
    """A path through a file: the folder cannot even be looked at."""
    (tmp_path / "file").write_text("")
    problem = access_problem(tmp_path / "file" / "data" / "myfoodbudget.db")
    assert problem is not None
    assert problem.startswith(f"its folder {tmp_path / 'file' / 'data'} cannot be read")


def test_a_usable_or_missing_folder_is_no_problem(tmp_path: Path) -> None:
    """The folder `flask db upgrade` will create, and one the app may write, pass."""
    assert access_problem(tmp_path / "missing" / "myfoodbudget.db") is None
    (tmp_path / "myfoodbudget.db").write_bytes(b"")
    assert access_problem(tmp_path / "myfoodbudget.db") is None
    check_existing(str(tmp_path / "myfoodbudget.db"))
