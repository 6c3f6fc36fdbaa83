"""Shared helpers for the fixture generators in xtask/python/.

Every generator (PNG, TIFF, HEIF, video, ...) writes a ``manifest.json`` next to
its fixtures.  The Rust tests decode each listed file with our library and
compare the result against ``shape``, ``dtype`` and ``sha256`` of the array that
the reference Python stack produced.

The hash convention is defined by :func:`array_sha256` and must be mirrored
exactly on the Rust side:

* the array is taken in C (row-major) order,
* multi-byte samples are serialised little-endian,
* ``bool`` arrays hash as numpy bool bytes (one byte per element, 0 or 1;
  non-canonical True bytes such as Pillow's 255 are normalised to 1 first).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Iterable, Mapping

import numpy as np

REQUIRED_CASE_KEYS = ("file", "index", "shape", "dtype", "sha256", "expect_from", "note")


def array_sha256(a: Any) -> str:
    """SHA-256 (hex) of the array's C-order, little-endian bytes.

    ``bool`` arrays are hashed as numpy bool bytes (0/1, one byte each).
    """
    a = np.asarray(a)
    if a.dtype.kind == "O":
        raise TypeError("object arrays cannot be hashed")
    if a.dtype == np.bool_:
        # canonicalise: Pillow's mode "1" arrays store True as byte 255
        a = np.ascontiguousarray(a).view(np.uint8) != 0
    le = a.dtype.newbyteorder("<") if a.dtype.itemsize > 1 else a.dtype
    a = np.ascontiguousarray(a.astype(le, copy=False))
    return hashlib.sha256(a.tobytes()).hexdigest()


def bytes_sha256(data: bytes) -> str:
    """SHA-256 (hex) of raw bytes (e.g. an embedded ICC profile)."""
    return hashlib.sha256(bytes(data)).hexdigest()


def array_summary(a: Any) -> dict:
    """``{"shape", "dtype", "sha256"}`` of an array, as used in manifests."""
    a = np.asarray(a)
    return {"shape": [int(n) for n in a.shape], "dtype": str(a.dtype), "sha256": array_sha256(a)}


def _validate_case(case: Mapping[str, Any]) -> None:
    missing = [k for k in REQUIRED_CASE_KEYS if k not in case]
    if missing:
        raise ValueError(f"manifest case {case.get('file')!r} lacks keys {missing}")
    idx = case["index"]
    if not (idx is None or idx == "all" or (isinstance(idx, int) and not isinstance(idx, bool))):
        raise ValueError(f"bad index {idx!r} in case {case['file']!r}")
    sha = case["sha256"]
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        raise ValueError(f"bad sha256 in case {case['file']!r}")


def write_manifest(path: str | os.PathLike, cases: Iterable[Mapping[str, Any]], generator_info: Mapping[str, Any]) -> None:
    """Write ``{**generator_info, "cases": [...]}`` as deterministic, UTF-8 JSON.

    ``generator_info`` normally holds ``"generator"`` (the script path relative to
    the repo root) and ``"versions"`` (package -> version string).  Key order is
    preserved as given, so the output is byte-identical between runs.
    """
    cases = [dict(c) for c in cases]
    for c in cases:
        _validate_case(c)
    seen = set()
    for c in cases:
        key = (c["file"], json.dumps(c["index"]))
        if key in seen:
            raise ValueError(f"duplicate manifest case {key}")
        seen.add(key)
    doc = dict(generator_info)
    doc["cases"] = cases
    text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def package_versions(*names: str) -> dict:
    """Installed versions of the given distributions (for the manifest)."""
    from importlib.metadata import version

    return {n: version(n) for n in names}
