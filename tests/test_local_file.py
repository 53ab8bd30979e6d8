"""A workbook stays the same file to everyone: permissions, owner, group and hard links.

The suite runs as root, as cron often does. A file of another user's is made with chown; a
run by another user is a forked child that gives up root (setuid) before it syncs, so the
operating system refuses what it would refuse that user.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from workbooks import TODAY, baseline_grids, write_xlsx

from sheetsync import api
from sheetsync.backends import WorkbookUnreachable, local_file
from sheetsync.backends.local_file import account, group_name

SHEETSYNC = str(Path(sys.executable).with_name("sheetsync"))
OWNER, GROUP = 4242, 4343  # a colleague's account and the team's group
OTHER = 5151  # someone else on the machine


@pytest.fixture
def shared_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder every user may enter and write to (pytest's own is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-shared-"))
    folder.chmod(0o777)
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "user-data"))  # the state store
    yield folder
    shutil.rmtree(folder)


def workbook(folder: Path, uid: int = 0, gid: int = 0, mode: int = 0o644) -> Path:
    path = folder / "marketing.xlsx"
    write_xlsx(path, baseline_grids())
    os.chown(path, uid, gid)
    path.chmod(mode)
    return path


def sync_as(uid: int, gid: int, groups: list[int], action: Callable[[], object]) -> str:
    """What `action` says when run by another user: "written", or its one-sentence refusal."""
    account(0), group_name(0)  # their modules are loaded before the child loses root
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reading)
        try:
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            action()
            outcome = "written"
        except WorkbookUnreachable as error:
            outcome = str(error)
        except BaseException as error:  # the parent fails the test with it
            outcome = f"{type(error).__name__}: {error}"
        os.write(writing, outcome.encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(child, 0)
    return outcome


def test_init_makes_the_file_with_the_permissions_of_the_umask(tmp_path: Path) -> None:
    for umask, mode in [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)]:
        path = tmp_path / f"marketing-{umask:o}.xlsx"
        result = subprocess.run(
            [SHEETSYNC, "init", "--path", str(path)], capture_output=True, umask=umask
        )
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE(path.stat().st_mode) == mode
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_init_by_the_library_gives_no_one_more_than_the_umask_allows(tmp_path: Path) -> None:
    # In this process, so a change to how the file is made is seen (the CLI runs installed).
    old = os.umask(0o022)
    try:
        made = api.init(str(tmp_path / "marketing.xlsx"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(made.stat().st_mode) == 0o644  # not executable: 0o666 less the umask


def test_sync_by_root_keeps_the_owner_group_and_mode(shared_folder: Path) -> None:
    path = workbook(shared_folder, OWNER, GROUP, 0o640)
    before = path.stat()

    assert api.sync(str(path), today=TODAY).written

    after = path.stat()
    assert after.st_ino != before.st_ino  # a new file was renamed over the old one ...
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (OWNER, GROUP, 0o640)


def test_hard_linked_file_is_not_split_from_its_other_name(shared_folder: Path) -> None:
    path = workbook(shared_folder)
    other_name = shared_folder / "plan-for-the-team.xlsx"
    os.link(path, other_name)
    before = path.read_bytes()

    with pytest.raises(WorkbookUnreachable) as error:
        api.sync(str(path), today=TODAY)

    assert str(error.value) == (
        f"{path} has another name on disk (a hard link), which would keep the old version once "
        "sheetsync saved this one, so nothing was written; make it a file of its own (copy it "
        "and move the copy over it), and use a symbolic link (ln -s), which sheetsync follows, "
        "wherever it needs a second name."
    )
    assert path.read_bytes() == before and path.stat().st_ino == other_name.stat().st_ino


def test_sync_by_a_colleague_who_may_write_but_not_own_it_is_refused(
    shared_folder: Path,
) -> None:
    path = workbook(shared_folder, OWNER, GROUP, 0o664)  # the team may write it
    before = path.read_bytes()

    outcome = sync_as(OTHER, GROUP, [GROUP], lambda: api.sync(str(path), today=TODAY))

    assert outcome == (
        f"{path} belongs to user {OWNER}, and a save by user {OTHER} would make user {OTHER} "
        f"its owner, so nothing was written; run sync as user {OWNER} (or as root, which keeps "
        "the owner)."
    )
    assert path.read_bytes() == before and path.stat().st_uid == OWNER


def test_file_in_a_group_the_user_is_not_in_is_refused(shared_folder: Path) -> None:
    path = workbook(shared_folder, OTHER, GROUP, 0o664)  # theirs, but the team's group
    before = path.read_bytes()

    outcome = sync_as(OTHER, OTHER, [], lambda: api.sync(str(path), today=TODAY))

    assert outcome == (
        f"{path} belongs to the group {GROUP}, which user {OTHER} is not a member of, so a "
        "save would move it out of that group and nothing was written; run sync as a member "
        f"of {GROUP}."
    )
    assert path.read_bytes() == before


def test_file_another_user_has_not_shared_is_not_answered_with_chmod(
    shared_folder: Path,
) -> None:
    path = workbook(shared_folder, OWNER, GROUP, 0o644)
    before = path.read_bytes()

    outcome = sync_as(OTHER, OTHER, [], lambda: api.sync(str(path), today=TODAY))

    assert outcome == (
        f"{path} belongs to user {OWNER}, who has not let user {OTHER} write to it; ask user "
        f"{OWNER} for write access (or run sync as user {OWNER}); nothing was written."
    )
    assert path.read_bytes() == before


def test_own_read_only_file_is_answered_with_chmod(shared_folder: Path) -> None:
    path = workbook(shared_folder, OTHER, OTHER, 0o444)

    outcome = sync_as(OTHER, OTHER, [], lambda: api.sync(str(path), today=TODAY))

    assert f"chmod u+w {path}" in outcome and "nothing was written" in outcome


def test_read_only_file_of_a_colleagues_is_answered_with_chmod_when_root_syncs_it(
    shared_folder: Path,
) -> None:
    # Read-only, if executable (as files copied from some shares are): root may change its mode.
    path = workbook(shared_folder, OWNER, GROUP, 0o555)

    with pytest.raises(WorkbookUnreachable) as error:
        api.sync(str(path), today=TODAY)

    assert str(error.value) == (
        f"{path} is read-only; allow writing to it (clear Read-only in its properties, or "
        f"chmod u+w {path}) and run sync again; nothing was written."
    )


def test_a_file_already_at_the_temporary_name_is_left_alone_and_another_name_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone else's file (or a link planted there) must never be opened and written through.
    path = tmp_path / "marketing.xlsx"
    write_xlsx(path, baseline_grids())
    planted = tmp_path / ".marketing.xlsx.0badf00d.sheetsync-tmp"
    planted.write_bytes(b"not sheetsync's")
    names = iter(["0badf00d", "1234abcd"])
    monkeypatch.setattr(local_file.secrets, "token_hex", lambda _: next(names))

    assert api.sync(str(path), today=TODAY).written

    assert planted.read_bytes() == b"not sheetsync's"
    assert next(names, "both names were tried") == "both names were tried"
    temporaries = [p.name for p in tmp_path.iterdir() if p.name.endswith(".sheetsync-tmp")]
    assert temporaries == [planted.name]  # the other was renamed over the workbook


def test_a_temporary_file_is_left_until_it_is_more_than_an_hour_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "marketing.xlsx"
    now = 1_800_000_000.0
    hour_old = tmp_path / ".marketing.xlsx.00000001.sheetsync-tmp"
    older = tmp_path / ".marketing.xlsx.00000002.sheetsync-tmp"
    for leftover, age in ((hour_old, 3600), (older, 3601)):
        leftover.write_bytes(b"half a workbook")
        os.utime(leftover, (now - age, now - age))
    monkeypatch.setattr(local_file.time, "time", lambda: now)

    local_file.remove_leftovers(path)

    assert hour_old.exists() and not older.exists()


def test_macro_enabled_workbook_is_made_synced_and_kept_macro_enabled(tmp_path: Path) -> None:
    path = tmp_path / "marketing.xlsm"
    result = subprocess.run(
        [SHEETSYNC, "init", "--path", str(path), "--example"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert macro_enabled(path)

    result = subprocess.run(
        [SHEETSYNC, "sync", "--workbook", str(path)], capture_output=True, text=True
    )

    assert result.stdout.startswith("Wrote "), result.stderr
    assert macro_enabled(path)


def macro_enabled(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
    return "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types


def test_a_save_killed_mid_way_leaves_no_temporary_file_behind_for_long(tmp_path: Path) -> None:
    path = tmp_path / "marketing.xlsx"
    write_xlsx(path, baseline_grids())
    killed = tmp_path / ".marketing.xlsx.0badf00d.sheetsync-tmp"  # a sync killed with SIGKILL
    running = tmp_path / ".marketing.xlsx.1234abcd.sheetsync-tmp"  # another save, under way
    other = tmp_path / ".budget.xlsx.0badf00d.sheetsync-tmp"  # another workbook's
    for leftover in (killed, running, other):
        leftover.write_bytes(b"half a workbook")
    two_hours_ago = killed.stat().st_mtime - 7200
    for old in (killed, other):
        os.utime(old, (two_hours_ago, two_hours_ago))

    assert api.sync(str(path), today=TODAY).written

    assert not killed.exists()
    assert running.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".sheetsync-tmp")) == [
        other.name,
        running.name,
    ]
