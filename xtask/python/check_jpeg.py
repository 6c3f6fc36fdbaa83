#!/usr/bin/env python3
"""Read JPEG files with Pillow (the reference), following imageio-rs' conventions.

Usage::

    python check_jpeg.py decode FILE OUT.npy [--mode MODE] [--transpose]
    python check_jpeg.py info FILE [--source SOURCE.npy]
    python check_jpeg.py encode SOURCE.npy OUT.jpg [--quality Q] [--subsampling S] [--progressive] [--optimize]
                                                   [--dpi X Y]

``decode`` writes Pillow's decoded array to OUT.npy and prints ``{"shape", "dtype", "sha256"}``
as one JSON line.  ``info`` prints one JSON line describing how Pillow sees the file:
``{"format", "mode", "size", "progressive", "subsampling", "dpi", "icc_sha256", "icc_len",
"exif_fields", "comment", "psnr"}`` (``psnr`` only with ``--source``: Pillow's decode against the
array we encoded, in dB; ``inf`` for identical).  A Rust test writes JPEGs with our library and
checks these values.  ``encode`` writes SOURCE.npy as a JPEG with Pillow's encoder (libjpeg-turbo)
and the given options, and prints ``{"bytes"}``: the reference for the ``turbo`` build's encoder.

Conventions (shared with gen_jpeg.py):

* the array is ``np.asarray(image)`` after ``convert(mode)`` when a mode is given, else after
  ``convert("RGB")`` for CMYK files (imageio-rs reads CMYK as RGB by default) -- gray files stay
  2-D (H, W) like Pillow's mode "L";
* EXIF fields are the primary image's IFD0 plus its Exif sub-IFD by ``ExifTags.TAGS`` name, IFD
  pointers left out, rationals as floats, bytes as ``{"hex": ...}``, tuples as lists.

Exit status 1 when the file cannot be read (the JSON line then has "error").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
from PIL import ExifTags, Image, ImageOps, JpegImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import array_sha256  # noqa: E402

POINTERS = {0x8769, 0x8825, 0xA005}
SAMPLINGS = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}


def pillow_array(im: Image.Image, mode: str | None = None) -> np.ndarray:
    if mode is not None:
        im = im.convert(mode)
    elif im.mode == "CMYK":
        im = im.convert("RGB")
    return np.asarray(im)


def _json_value(v):
    if isinstance(v, bytes):
        return {"hex": v.hex()}
    if isinstance(v, tuple):
        return [_json_value(x) for x in v]
    if isinstance(v, (int, str)):
        return v
    try:
        f = float(v)  # IFDRational
    except (TypeError, ValueError):
        return str(v)
    return f if math.isfinite(f) else str(f)


def exif_fields(im: Image.Image) -> dict:
    ex = im.getexif()
    out = {}
    items = list(ex.items())
    try:
        items += list(ex.get_ifd(0x8769).items())
    except Exception:  # noqa: BLE001 - broken sub-IFD: report what IFD0 has
        pass
    for tag, value in items:
        if tag in POINTERS or tag not in ExifTags.TAGS:
            continue
        name = ExifTags.TAGS[tag]
        if name not in out:
            out[name] = _json_value(value)
    return out


def decode(path: str, out: str, mode: str | None, transpose: bool) -> dict:
    with Image.open(path) as im:
        if transpose:
            im = ImageOps.exif_transpose(im)
        a = pillow_array(im, mode)
    np.save(out, np.ascontiguousarray(a), allow_pickle=False)
    return {"shape": list(a.shape), "dtype": str(a.dtype), "sha256": array_sha256(a)}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(255.0**2 / mse)


def info(path: str, source: str | None) -> dict:
    with Image.open(path) as im:
        im.load()
        d = {
            "format": im.format,
            "mode": im.mode,
            "size": list(im.size),
            "progressive": bool(im.info.get("progressive", 0)),
            "subsampling": SAMPLINGS.get(JpegImagePlugin.get_sampling(im)) if im.mode != "L" else None,
            "dpi": [float(x) for x in im.info["dpi"]] if "dpi" in im.info else None,
            "icc_sha256": hashlib.sha256(im.info["icc_profile"]).hexdigest() if im.info.get("icc_profile") else None,
            "icc_len": len(im.info.get("icc_profile") or b""),
            "exif_fields": exif_fields(im),
            "comment": im.info["comment"].decode("latin-1") if "comment" in im.info else None,
        }
        if source is not None:
            src = np.load(source, allow_pickle=False)
            a = pillow_array(im)
            if src.ndim == 3 and src.shape[2] == 1:
                src = src[..., 0]
            if a.shape != src.shape:
                raise ValueError(f"Pillow decoded shape {a.shape}, source is {src.shape}")
            p = psnr(a, src)
            d["psnr"] = p if math.isfinite(p) else "inf"
    return d


def encode(source: str, out: str, quality: int, subsampling: str, progressive: bool, optimize: bool,
           dpi: list[float] | None = None) -> dict:
    a = np.load(source, allow_pickle=False)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    im = Image.fromarray(a)
    kw = {"quality": quality, "progressive": progressive, "optimize": optimize}
    if dpi is not None:
        kw["dpi"] = tuple(dpi)
    if im.mode != "L":
        kw["subsampling"] = subsampling
    im.save(out, "JPEG", **kw)
    return {"bytes": os.path.getsize(out)}


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    dp = sub.add_parser("decode")
    dp.add_argument("file")
    dp.add_argument("out")
    dp.add_argument("--mode")
    dp.add_argument("--transpose", action="store_true")
    ip = sub.add_parser("info")
    ip.add_argument("file")
    ip.add_argument("--source")
    ep = sub.add_parser("encode")
    ep.add_argument("source")
    ep.add_argument("out")
    ep.add_argument("--quality", type=int, default=75)
    ep.add_argument("--subsampling", default="4:2:0")
    ep.add_argument("--progressive", action="store_true")
    ep.add_argument("--optimize", action="store_true")
    ep.add_argument("--dpi", type=float, nargs=2)
    args = ap.parse_args()
    try:
        if args.cmd == "decode":
            r = decode(args.file, args.out, args.mode, args.transpose)
        elif args.cmd == "encode":
            r = encode(args.source, args.out, args.quality, args.subsampling, args.progressive, args.optimize,
                       args.dpi)
        else:
            r = info(args.file, args.source)
    except Exception as e:  # noqa: BLE001 - reported to the Rust test
        print(json.dumps({"file": args.file, "error": f"{type(e).__name__}: {e}"}))
        return 1
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
