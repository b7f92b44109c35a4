"""Outputs that appear together or not at all: staged under hidden names, then moved into place.

Every output of a command (a results file or store, its summary table, the
figures and the report) is first written to a hidden temporary beside its
target, ``.<name>.<pid>.<random>.part``. Only when every one is complete are
they moved into place, one after the other; a target that already exists is
first moved aside (into a hidden ``.<name>.<pid>.<random>.old`` folder) so that
it can be put back. If any move fails, the outputs already moved are taken out
again and the earlier ones put back: the targets end as they began, and no
hidden name is left behind. An error that names a temporary is raised again
naming its target, the path the user asked for.

A run that was killed (no ``finally`` runs after SIGKILL) leaves its ``.part``
names behind; :func:`remove_leftovers` removes those of given outputs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

TEMPORARY_SUFFIX = ".part"
"""Suffix of a staged output's hidden temporary name."""

ASIDE_SUFFIX = ".old"
"""Suffix of the hidden folder that holds an earlier output while the new one moves in."""


def _process_start() -> float:
    """When this process started [s since the epoch]: from ``/proc`` on Linux, else now
    (the first import of this module, which is close to it)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()


PROCESS_START = _process_start()
"""When this process started; leftovers older than this belong to earlier runs."""


def _move(source: Path, destination: Path) -> None:
    """Rename ``source`` to ``destination`` (one place, so tests can make it fail)."""
    os.replace(source, destination)


def _remove(path: Path) -> None:
    """Remove a file or a folder tree; gone already is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _default_permissions(path: Path, mode: int) -> None:
    """Give ``path`` the permissions a plain write would (``mode`` less the umask):
    mkstemp and mkdtemp make private ones."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def check_target(target: Path, folder: bool = False) -> None:
    """A target that exists as the other kind (a folder where a file goes, or a file
    where a store folder goes) is an error naming it: it is never replaced."""
    if folder and target.exists() and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(target))
    if not folder and target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))


@dataclass
class _Entry:
    temporary: Path
    target: Path
    folder: bool


class Staging:
    """The outputs being staged by one :func:`staged` block."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._asides: list[tuple[Path, Path]] = []
        """Hidden folders holding earlier outputs while the new ones move in → targets."""

    def _prefix(self, target: Path) -> str:
        return f".{target.name}.{os.getpid()}."

    def file(self, target: str | Path) -> Path:
        """A new empty temporary file for ``target`` (made beside it, folders created)."""
        target = Path(target)
        check_target(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=self._prefix(target), suffix=TEMPORARY_SUFFIX, dir=target.parent
        )
        os.close(handle)
        self._entries.append(_Entry(Path(name), target, folder=False))
        return Path(name)

    def folder(self, target: str | Path) -> Path:
        """A new empty temporary folder for ``target`` (a store)."""
        target = Path(target)
        check_target(target, folder=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        name = tempfile.mkdtemp(
            prefix=self._prefix(target), suffix=TEMPORARY_SUFFIX, dir=target.parent
        )
        self._entries.append(_Entry(Path(name), target, folder=True))
        return Path(name)

    def commit(self) -> None:
        """Move every temporary onto its target; on any failure, undo the moves made."""
        moved: list[tuple[_Entry, Path | None]] = []
        try:
            for entry in self._entries:
                check_target(entry.target, entry.folder)
                _default_permissions(entry.temporary, 0o777 if entry.folder else 0o666)
                aside = self._aside(entry.target)
                # Listed before the move: a failed move leaves the earlier output aside.
                moved.append((entry, aside))
                _move(entry.temporary, entry.target)
        except BaseException:
            self._undo(moved)
            raise
        for _, aside in moved:
            if aside is not None:
                _remove(aside.parent)

    def _aside(self, target: Path) -> Path | None:
        """Move an existing ``target`` into a new hidden folder beside it; where it went."""
        if not (target.exists() or target.is_symlink()):
            return None
        holder = Path(
            tempfile.mkdtemp(prefix=self._prefix(target), suffix=ASIDE_SUFFIX, dir=target.parent)
        )
        self._asides.append((holder, target))
        aside = holder / target.name
        try:
            _move(target, aside)
        except BaseException:
            holder.rmdir()
            raise
        return aside

    def _undo(self, moved: list[tuple[_Entry, Path | None]]) -> None:
        """Put the targets back as they were, last move first (best effort)."""
        for entry, aside in reversed(moved):
            with contextlib.suppress(OSError):
                if not entry.temporary.exists() and (
                    entry.target.exists() or entry.target.is_symlink()
                ):
                    _move(entry.target, entry.temporary)  # the new output: removed below
                if aside is not None and (aside.exists() or aside.is_symlink()):
                    _move(aside, entry.target)
                    aside.parent.rmdir()

    def discard(self) -> None:
        """Remove every temporary still there."""
        for entry in self._entries:
            _remove(entry.temporary)

    def renamed(self, error: OSError) -> OSError:
        """``error`` naming the target instead of a temporary (or a file inside one);
        an error that names no file (a write to an open file) names the folder of
        the outputs."""
        reason = " ".join(str(error.strerror or error).split())
        hidden = [(entry.temporary, entry.target) for entry in self._entries] + self._asides
        for name in (error.filename, error.filename2):
            for place, target in hidden:
                if name is not None and _within(Path(os.fsdecode(name)), place):
                    return OSError(error.errno, reason, str(target))
        folders = {entry.target.parent for entry in self._entries}
        if error.filename is None and len(folders) == 1:
            return OSError(error.errno, reason, str(folders.pop()))
        return error


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@contextlib.contextmanager
def staged() -> Iterator[Staging]:
    """Stage outputs (:meth:`Staging.file`, :meth:`Staging.folder`) and write them in
    the block; they are moved into place together when the block ends, or not at all."""
    staging = Staging()
    try:
        yield staging
        staging.commit()
    except OSError as error:
        raise staging.renamed(error) from None
    finally:
        staging.discard()


_LEFTOVER = r"\.{name}\.(?:(?P<pid>\d+)\.)?[a-z0-9_]+(?:{suffixes})"


def leftovers(folder: Path, names: Sequence[str], before: float = PROCESS_START) -> list[Path]:
    """Temporaries of the outputs ``names`` in ``folder`` left by runs that were killed:
    the project's hidden ``.part`` names (and ``.old`` folders whose target is back),
    last changed before ``before`` [s since the epoch], of no process still running."""
    if not folder.is_dir():
        return []
    suffixes = "|".join(re.escape(s) for s in (TEMPORARY_SUFFIX, ASIDE_SUFFIX))
    found = []
    for name in names:
        pattern = re.compile(_LEFTOVER.format(name=re.escape(name), suffixes=suffixes))
        for path in folder.glob(f".{glob_escape(name)}.*"):
            match = pattern.fullmatch(path.name)
            if match is None or not _stale(path, match["pid"], before):
                continue
            if path.name.endswith(ASIDE_SUFFIX) and not (folder / name).exists():
                continue  # an earlier output moved aside, its target gone: keep it
            found.append(path)
    return sorted(found)


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _stale(path: Path, pid: str | None, before: float) -> bool:
    try:
        changed = path.lstat().st_mtime
    except OSError:
        return False
    if changed >= before:
        return False
    return pid is None or not _running(int(pid))


def _running(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (a pid reused since counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no way to tell: leave it
        return True
    return True


def remove_leftovers(
    folder: Path, names: Sequence[str], before: float = PROCESS_START
) -> list[Path]:
    """Remove the :func:`leftovers` of ``names`` in ``folder``; the paths removed."""
    removed = []
    for path in leftovers(folder, names, before):
        _remove(path)
        if not (path.exists() or path.is_symlink()):
            removed.append(path)
    return removed
