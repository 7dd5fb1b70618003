"""Where a batch writes: temporary files beside the targets, renamed into place when the run is done;
a lock per target; the checks that an output is not the input."""
from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import overload

from reform_rules.basics.errors import BatchError
from reform_rules.caseload.writing import is_stdout


class TargetBusy(BatchError):
    """Another batch is writing to the same output (or errors file)."""

    exit_code = 3


class Targets:
    """The output and errors file of one batch, written safely.

    On entering, each target file is locked (``fcntl.flock`` on ``TARGET.lock`` beside it; a second batch to
    the same target is refused with ``TargetBusy``). The run writes ``TARGET.partial``; ``commit()`` renames
    the errors file and then the output into place, so a target is either a finished run's or absent.
    ``clear()`` removes an older run's output and errors file (called when this run starts writing, so that
    nothing left there can be taken for this run's). Leaving without ``commit()`` removes what was written.
    """

    def __init__(self, out: Path, errors: Path | None):
        self.out, self.errors = out, errors
        self.files = [p for p in (None if is_stdout(out) else out, errors) if p is not None]
        self._locks: list[tuple[int, Path]] = []
        self._moved: list[Path] = []
        self.committed = False

    @overload
    def partial(self, path: Path) -> Path: ...
    @overload
    def partial(self, path: None) -> None: ...

    def partial(self, path: Path | None) -> Path | None:
        return None if path is None else path.with_name(path.name + ".partial")

    @property
    def out_partial(self) -> Path:
        return self.out if is_stdout(self.out) else self.partial(self.out)

    @property
    def errors_partial(self) -> Path | None:
        return self.partial(self.errors)

    def __enter__(self) -> "Targets":
        ACTIVE.append(self)
        try:
            for path in self.files:
                self._locks.append(_lock(path))
        except BaseException:
            self._unlock()
            ACTIVE.remove(self)
            raise
        return self

    def abandon(self) -> None:
        """Remove what this run wrote and its lock files, at once (on a signal, just before the process ends)."""
        paths = [] if self.committed else [self.partial(p) for p in self.files] + self._moved
        for path in paths + [lock for _, lock in self._locks]:
            try:
                remove(path)
            except (OSError, BatchError):
                pass

    def clear(self) -> None:
        for path in self.files:
            for old in (path, self.partial(path)):
                try:
                    remove(old)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise BatchError(f"{old}: cannot remove the older file ({exc.strerror or exc})") from None

    def commit(self) -> None:
        try:
            for path in self.files[::-1]:   # the errors file first: the output, last, says the run is done
                os.replace(self.partial(path), path)
                self._moved.append(path)
        except OSError as exc:
            raise BatchError(f"{self.out}: cannot move the finished file into place ({exc.strerror or exc})") from None
        self.committed = True

    def __exit__(self, *exc) -> None:
        if not self.committed:   # what was written, and a file moved into place by a commit that failed
            for path in [self.partial(p) for p in self.files] + self._moved:
                try:
                    remove(path)
                except OSError:
                    pass
        self._unlock()
        ACTIVE.remove(self)

    def _unlock(self) -> None:
        for fd, lock in reversed(self._locks):
            try:
                lock.unlink()   # while still holding it: a batch that opened it before sees another inode and retries
            except OSError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._locks.clear()


def remove(path: Path) -> None:
    """Remove a file, or a Parquet dataset directory an earlier run wrote (only ``*.parquet`` files in it:
    a directory holding anything else is not ours to remove)."""
    if path.is_dir() and not path.is_symlink():
        others = [p.name for p in path.iterdir() if not (p.is_file() and p.suffix == ".parquet")]
        if others:
            raise BatchError(f"{path}: a directory that holds more than Parquet files ({others[0]} …); "
                             f"it is not replaced: choose another --out")
        shutil.rmtree(path)
    else:
        path.unlink()


ACTIVE: list[Targets] = []   # the targets of the runs in progress (for StopOnSignal)


def _lock(target: Path) -> tuple[int, Path]:
    """Hold ``TARGET.lock`` (``flock``, not waiting): the descriptor and the lock file; ``TargetBusy`` if held."""
    lock = target.with_name(target.name + ".lock")
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BatchError(f"{target}: cannot write here ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", errors="replace").strip()
            os.close(fd)
            by = f" (process {holder})" if holder.isdigit() else ""
            raise TargetBusy(f"{target}: another reform batch{by} is writing this file; wait for it to finish or "
                             f"choose another --out") from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:   # else the holder removed it between our open and our lock: take the new one
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd, lock
        os.close(fd)


def check_paths(inp: Path, out: Path, errors: Path | None) -> None:
    """Refuse an output or errors file that is the input, or one file given as both."""
    def same(a: Path, b: Path) -> bool:
        try:
            return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
        except OSError:
            return False
    targets = [("--out", out)] if not is_stdout(out) else []
    targets += [("--errors", errors)] if errors is not None else []
    for flag, path in targets:
        if same(path, inp):
            raise BatchError(f"{flag} {path}: is the input file; choose another file")
    if len(targets) == 2 and errors is not None and same(out, errors):   # two targets: errors is a file
        raise BatchError(f"--errors {errors}: is the output file too; choose another file")
