"""A local file saved so that it stays the same file to everyone who uses it.

A save writes a new file beside the old one and renames it over (so a crash never leaves
half a workbook). A new file, though, is the saver's: its owner is whoever runs sheetsync
(root, from cron), its permissions are the temporary file's, and other hard links still
name the old contents. So a new workbook gets the permissions the user's umask gives any
new file, and a replaced one gets the old one's mode, owner and group back; where that is
impossible (a hard-linked file, or a file of another user's), nothing is written and the
sentence says why and what to do.
"""

from __future__ import annotations

import glob
import os
import secrets
import time
from pathlib import Path

from sheetsync.backends import WorkbookUnreachable

_NEW_FILE_MODE = 0o666  # what the umask is taken from, as for any file a program creates


_TEMPORARY_SUFFIX = ".sheetsync-tmp"
# A save takes seconds; a temporary file this old is what a killed save (SIGKILL, power cut)
# left behind, never one another run is still writing.
_LEFTOVER_AFTER_SECONDS = 3600


def new_file_beside(target: Path) -> Path:
    """An empty hidden file in `target`'s folder, with the permissions the umask gives."""
    remove_leftovers(target)
    while True:
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}{_TEMPORARY_SUFFIX}")
        try:
            # O_EXCL: never open a file someone else put there; the mode passes the umask.
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE))
        except FileExistsError:
            continue
        return candidate


def remove_leftovers(target: Path) -> None:
    """Delete the temporary files of earlier saves of `target` that were killed mid-way."""
    too_old = time.time() - _LEFTOVER_AFTER_SECONDS
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*{_TEMPORARY_SUFFIX}"):
        try:
            if leftover.lstat().st_mtime < too_old:
                leftover.unlink()
        except OSError:
            pass  # gone already, or not ours to delete: it does no harm where it is


def refuse_if_a_save_would_change_it(path: Path, before: os.stat_result) -> None:
    """Refuse when a file renamed over this one cannot have its links, owner and group."""
    if before.st_nlink > 1:
        raise WorkbookUnreachable(
            f"{path} has another name on disk (a hard link), which would keep the old version "
            "once sheetsync saved this one, so nothing was written; make it a file of its own "
            "(copy it and move the copy over it), and use a symbolic link (ln -s), which "
            "sheetsync follows, wherever it needs a second name."
        )
    if os.name != "posix" or os.geteuid() == 0:
        return  # root can give the new file its owner and group back
    me = account(os.geteuid())
    if before.st_uid != os.geteuid():
        owner = account(before.st_uid)
        raise WorkbookUnreachable(
            f"{path} belongs to {owner}, and a save by {me} would make {me} its owner, so "
            f"nothing was written; run sync as {owner} (or as root, which keeps the owner)."
        )
    if before.st_gid not in {os.getegid(), *os.getgroups()}:
        group = group_name(before.st_gid)
        raise WorkbookUnreachable(
            f"{path} belongs to the group {group}, which {me} is not a member of, so a save would "
            f"move it out of that group and nothing was written; run sync as a member of "
            f"{group}."
        )


def keep_owner_and_mode(temporary: Path, before: os.stat_result) -> None:
    """Give the file that replaces the old one the old one's owner, group and permissions."""
    now = os.stat(temporary)
    if (now.st_uid, now.st_gid) != (before.st_uid, before.st_gid):
        os.chown(temporary, before.st_uid, before.st_gid)  # before chmod: chown clears setuid
    os.chmod(temporary, before.st_mode & 0o7777)


def may_change_mode(before: os.stat_result) -> bool:
    """The running user may change the file's permissions (its owner, or root)."""
    return os.name != "posix" or os.geteuid() in (0, before.st_uid)


def account(uid: int) -> str:
    """The user's name, as `ls -l` shows it."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user {uid}"


def group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
