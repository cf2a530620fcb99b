"""Compiled templates shared by every app in a process.

Jinja compiles each template once per environment, and every `create_app` makes a new one: a
worker pays it once, but the test suite builds over a thousand apps and spent about a fifth of
its time compiling the same templates again. The compiled code depends on the source (Jinja's
checksum) and on the environment's settings, so both are part of the key.
"""

from __future__ import annotations

import threading
from typing import Any

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache


class SharedBytecodeCache(BytecodeCache):
    """Code objects in memory, keyed by template, source checksum and environment settings."""

    def __init__(self, max_templates: int = 512) -> None:
        self._code: dict[str, tuple[str, Any]] = {}
        self._lock = threading.Lock()
        self.max_templates = max_templates  # our templates number a few dozen; a bound all the same

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            if len(self._code) >= self.max_templates:
                self._code.clear()
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


SHARED = SharedBytecodeCache()


def environment_signature(env: Environment) -> str:
    """What besides the source decides the compiled code: extensions, syntax and autoescaping."""
    autoescape = env.autoescape
    return repr((
        sorted(env.extensions),
        env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
        env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
        env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline, env.optimized,
        autoescape if isinstance(autoescape, bool) else getattr(autoescape, "__qualname__", repr(autoescape)),
        env.finalize is not None, env.is_async,
    ))


class _KeyedBySettings(BytecodeCache):
    """A view of the shared cache whose keys carry one environment's signature."""

    def __init__(self, shared: SharedBytecodeCache, signature: str) -> None:
        self._shared = shared
        self._signature = signature

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self._signature}\0{name}", filename)

    def load_bytecode(self, bucket: Bucket) -> None:
        self._shared.load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._shared.dump_bytecode(bucket)


def share_compiled_templates(env: Environment, shared: SharedBytecodeCache = SHARED) -> None:
    """Call after the environment's extensions are installed (the signature includes them)."""
    env.bytecode_cache = _KeyedBySettings(shared, environment_signature(env))
