"""A query's rows within bounded memory: the first pages held, the rest spilled to a temp file."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any


class SpooledRows:
    """The rows of one paged query, in order; iterable more than once, and sized.

    A query is only known to be consistent once its last page is in (see client.py), so its
    rows cannot be handed on page by page. Up to `in_memory` rows are held as parsed; the
    pages after that are pickled to an anonymous temporary file (our own file, read back only
    by us; a third faster than parsing their JSON again, Decimals and all). A month of a large
    account is tens of thousands of rows and a run has a few queries in flight: this keeps
    the memory a run needs the same at any size.
    """

    def __init__(self, in_memory: int) -> None:
        self._limit = in_memory
        self._held: list[dict[str, Any]] = []
        self._file: IO[bytes] | None = None
        self._spilled: list[tuple[int, int]] = []  # (offset, length) of each page in the file
        self._count = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        """One page's rows, as parsed."""
        if self._file is None and len(self._held) + len(rows) <= self._limit:
            self._held.extend(rows)
        else:
            if self._file is None:
                # Lives until close() (or collection): no `with` can span the query.
                self._file = tempfile.TemporaryFile(prefix="teamup-page-")  # noqa: SIM115
            page = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
            offset = self._file.seek(0, 2)
            self._file.write(page)
            self._spilled.append((offset, len(page)))
        self._count += len(rows)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self) -> Iterator[list[dict[str, Any]]]:
        """The rows in lists: those held, then each spilled page."""
        if self._held:
            yield self._held
        for offset, length in self._spilled:
            assert self._file is not None
            self._file.seek(offset)
            yield pickle.loads(self._file.read(length))

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """The rows in lists of about `size` (whole pages), at least one list (maybe empty)."""
        batch: list[dict[str, Any]] = []
        for chunk in self.chunks():
            if batch and len(batch) + len(chunk) > size:
                yield batch
                batch = []
            batch.extend(chunk)
        yield batch

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
