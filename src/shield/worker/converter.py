"""The worker's converter process: Docling runs apart from the worker, under a deadline.

Docling is imported once, in one long-lived child process, and every conversion goes to it. A
conversion that overruns `SHIELD_CONVERT_TIMEOUT` gets its process killed and replaced (a thread
cannot be stopped; a process can), and a parser that crashes on a hostile file takes down only
that process. Either way the document fails with a clear reason and the worker carries on.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from shield.documents.conversion import ConversionResult, ConvertedDocument, ConvertOptions
from shield.logging import get_logger

log = get_logger(__name__)


class ConverterError(Exception):
    """A document could not be converted; the message says why, for people."""


def _start(options: ConvertOptions, log_level: str, log_format: str) -> None:
    from shield.documents.convert import warm_up
    from shield.logging import configure_logging

    configure_logging(log_level, log_format, service="shield-converter")
    try:
        warm_up(options)
    except Exception:
        log.exception("converter_warm_up_failed")


def _convert(data: bytes, name: str, fmt: str, options: ConvertOptions) -> ConversionResult:
    from shield.documents.convert import ConversionFailed, convert

    try:
        return ConversionResult(document=convert(data, name, fmt, options))
    except ConversionFailed as exc:
        return ConversionResult(error=str(exc))


class ConverterProcess:
    def __init__(
        self,
        options: ConvertOptions,
        timeout: float,
        log_level: str = "INFO",
        log_format: str = "json",
    ) -> None:
        self.options = options
        self.timeout = timeout
        self.log_settings = (log_level, log_format)
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None

    def _pool_started(self) -> ProcessPool:
        if self._pool is None:
            # spawn, not fork: the worker has threads (heartbeat, torch) a fork would copy mid-lock.
            self._pool = ProcessPool(
                max_workers=1,
                initializer=_start,
                initargs=(self.options, *self.log_settings),
                context=multiprocessing.get_context("spawn"),
            )
        return self._pool

    def convert(
        self, data: bytes, name: str, fmt: str, budget_seconds: float | None = None
    ) -> ConvertedDocument:
        """The converted document; ConverterError saying why when it cannot be read, or when
        it was stopped after
        SHIELD_CONVERT_TIMEOUT, or sooner when the document's time budget (`budget_seconds`
        left of SHIELD_MAX_DOCUMENT_SECONDS) runs out first."""
        timeout = self.timeout if budget_seconds is None else min(self.timeout, budget_seconds)
        limit = (
            "SHIELD_CONVERT_TIMEOUT" if timeout == self.timeout else "SHIELD_MAX_DOCUMENT_SECONDS"
        )
        with self._lock:
            pool = self._pool_started()
            # The first call also waits for the process to import Docling: a few seconds more.
            future = pool.schedule(_convert, args=(data, name, fmt, self.options), timeout=timeout)
            try:
                result: ConversionResult = future.result()
            except FutureTimeout:
                log.warning("conversion_timeout", document=name, timeout=timeout)
                raise ConverterError(
                    f"{name} took longer than {timeout:g} s to convert ({limit}); the "
                    "conversion was stopped"
                ) from None
            except ProcessExpired as exc:
                log.warning("converter_crashed", document=name, exitcode=exc.exitcode)
                raise ConverterError(
                    f"the converter process died reading {name} (exit code {exc.exitcode}); "
                    "the file is probably damaged or too large"
                ) from None
        if result.document is None:
            raise ConverterError(result.error or f"{name} could not be converted")
        return result.document

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=10)
            self._pool = None
