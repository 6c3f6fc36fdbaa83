#!/usr/bin/env python3
"""Read PNG/APNG files with the reference Python stack, following imageio-rs' conventions.

Usage::

    python check_readback.py FILE [FILE...]

Prints one JSON object per file and line::

    {"file": ..., "reader": "pillow" | "pypng",
     "png": {"bit_depth", "color_type", "interlaced", "trns", "apng"},
     "frames": [{"shape", "dtype", "sha256"}, ...],
     "info": {"dpi", "gamma", "text", "icc_sha256", "orientation", "loop", "durations", "n_frames", ...}}

(``info`` only holds the keys the file has.)  A Rust test writes a PNG with our
library, runs this script on it and checks that every frame hashes to the same
value as the array it wrote, and that metadata survived.

Reading conventions (the same ones gen_png.py uses to compute the manifest):

* Pillow (the reader imageio uses) is used wherever it keeps the data:
  mode "1" -> bool, "L"/"LA"/"RGB"/"RGBA" -> uint8, "I;16" -> uint16,
  "P" -> ``convert(palette.mode)`` (RGB when there is no tRNS).
* pypng raw samples are used where Pillow loses information:
  16-bit RGB / RGBA / gray+alpha (Pillow reduces them to 8 bits) and any
  gray / RGB / palette image with a tRNS chunk (Pillow drops the alpha; we
  turn tRNS into an alpha channel).
* APNG: Pillow (``ImageSequence``), every frame composited on the full canvas.

The exit status is 1 if any file could not be read (its line then has "error").
"""

from __future__ import annotations

import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import array_summary, bytes_sha256  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

COLOR_GRAY, COLOR_RGB, COLOR_PALETTE, COLOR_GRAY_ALPHA, COLOR_RGBA = 0, 2, 3, 4, 6


# --------------------------------------------------------------------------- #
# Chunk-level header inspection (independent of both readers)
# --------------------------------------------------------------------------- #

def png_header(data: bytes) -> dict:
    """IHDR fields plus which interesting chunks appear (no CRC checks)."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    pos = len(PNG_SIGNATURE)
    hdr = None
    chunks = []
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8].decode("latin-1")
        body = data[pos + 8:pos + 8 + length]
        if ctype == "IHDR":
            w, h, bd, ct, comp, filt, il = struct.unpack(">IIBBBBB", body[:13])
            hdr = {"width": w, "height": h, "bit_depth": bd, "color_type": ct, "interlaced": il == 1}
        chunks.append(ctype)
        pos += 12 + length
        if ctype == "IEND":
            break
    if hdr is None:
        raise ValueError("PNG without IHDR")
    first_idat = chunks.index("IDAT") if "IDAT" in chunks else len(chunks)
    hdr["trns"] = "tRNS" in chunks[:first_idat]
    hdr["apng"] = "acTL" in chunks[:first_idat]
    hdr["chunks"] = chunks
    return hdr


def uses_pypng(hdr: dict) -> bool:
    """True when the conventions need pypng's raw samples for a still PNG."""
    ct, bd = hdr["color_type"], hdr["bit_depth"]
    if bd == 16 and ct in (COLOR_RGB, COLOR_GRAY_ALPHA, COLOR_RGBA):
        return True
    if hdr["trns"] and ct in (COLOR_GRAY, COLOR_RGB, COLOR_PALETTE):
        return True
    return False


# --------------------------------------------------------------------------- #
# pypng: raw samples -> conventional arrays
# --------------------------------------------------------------------------- #

def _scale_low_bits(v: np.ndarray, bit_depth: int) -> np.ndarray:
    """Gray samples of 1/2/4 bits scaled to 0..255 like Pillow's "L" unpackers."""
    maxval = (1 << bit_depth) - 1
    return (v.astype(np.uint32) * 255 // maxval).astype(np.uint8)


def pypng_read(path: str) -> np.ndarray:
    """Decode a still PNG with pypng and apply imageio-rs' conventions.

    Works for every colour type / bit depth (also where Pillow would do), so
    the generator can cross-check the two readers.
    """
    import png

    r = png.Reader(filename=path)
    width, height, rows, info = r.read()
    bd = info["bitdepth"]
    planes = info["planes"]
    raw = np.array([np.asarray(row) for row in rows], dtype=np.uint32)
    raw = raw.reshape(height, width, planes) if height else np.zeros((0, width, planes), np.uint32)
    ct = r.color_type
    out_dtype = np.uint16 if bd == 16 else np.uint8
    full = 65535 if bd == 16 else 255

    if ct == COLOR_PALETTE:
        pal = np.array(r.palette(), dtype=np.uint8)  # (n, 3) or (n, 4) with tRNS
        idx = raw[..., 0]
        if idx.size and idx.max() >= len(pal):
            raise ValueError(f"palette index {idx.max()} out of range ({len(pal)} entries)")
        return pal[idx]

    trns = info.get("transparent")
    if ct == COLOR_GRAY:
        if isinstance(trns, (tuple, list)):
            trns = trns[0]
        g = raw[..., 0]
        if bd < 8:
            gray = _scale_low_bits(g, bd)
            if trns is None:
                return gray.astype(bool) if bd == 1 else gray
            alpha = np.where(g == int(trns), 0, 255).astype(np.uint8)
            return np.stack([gray, alpha], axis=-1)
        gray = g.astype(out_dtype)
        if trns is None:
            return gray
        alpha = np.where(g == int(trns), 0, full).astype(out_dtype)
        return np.stack([gray, alpha], axis=-1)

    if ct == COLOR_RGB:
        rgb = raw.astype(out_dtype)
        if trns is None:
            return rgb
        key = np.array(trns, dtype=np.uint32).reshape(1, 1, 3)
        alpha = np.where((raw == key).all(axis=-1), 0, full).astype(out_dtype)
        return np.concatenate([rgb, alpha[..., None]], axis=-1)

    if ct in (COLOR_GRAY_ALPHA, COLOR_RGBA):
        return raw.astype(out_dtype)

    raise ValueError(f"unknown colour type {ct}")


# --------------------------------------------------------------------------- #
# Pillow: what imageio's pillow plugin returns
# --------------------------------------------------------------------------- #

def pillow_frame_array(im) -> np.ndarray:
    """One Pillow frame as imageio's pillow plugin converts it (no mode= given)."""
    if im.mode == "P":
        im = im.convert(im.palette.mode)
    elif im.mode == "I":
        im = im.convert("I;16")
    a = np.array(im)  # copy: frames of a sequence share the image core
    if im.mode == "I;16B":
        a = a.astype("<u2")
    if a.dtype == np.bool_:
        a = a.view(np.uint8) != 0  # Pillow stores True as 255; make it a canonical bool
    return a


def pillow_info(im) -> dict:
    """Selected metadata of an opened Pillow image (call before iterating frames)."""
    info = {}
    if "dpi" in im.info:
        info["dpi"] = [float(v) for v in im.info["dpi"]]
    if "gamma" in im.info:
        info["gamma"] = float(im.info["gamma"])
    if "chromaticity" in im.info:
        info["chromaticity"] = [float(v) for v in im.info["chromaticity"]]
    if "srgb" in im.info:
        info["srgb"] = int(im.info["srgb"])
    text = {str(k): str(v) for k, v in getattr(im, "text", {}).items()}
    if text:
        info["text"] = text
    if im.info.get("icc_profile"):
        info["icc_sha256"] = bytes_sha256(im.info["icc_profile"])
    if im.info.get("exif"):
        # Pillow adds b"Exif\0\0" to the eXIf payload, which must itself start with II*\0 / MM\0*.
        info["exif_head"] = bytes(im.info["exif"][:10]).hex()
    exif = im.getexif()
    if 0x0112 in exif:
        info["orientation"] = int(exif[0x0112])
    return info


def read_png(path: str) -> dict:
    """Read ``path`` following the conventions; returns reader, header, frames, info."""
    from PIL import Image, ImageSequence

    with open(path, "rb") as f:
        data = f.read()
    hdr = png_header(data)
    warnings = []
    with Image.open(path) as im:
        im.load()
        info = pillow_info(im)
        n_frames = int(getattr(im, "n_frames", 1))
        if hdr["apng"]:
            reader = "pillow"
            frames = []
            durations = []
            for frame in ImageSequence.Iterator(im):
                frames.append(pillow_frame_array(frame))
                durations.append(frame.info.get("duration"))
            info["n_frames"] = n_frames
            info["loop"] = im.info.get("loop")
            info["durations"] = [None if d is None else float(d) for d in durations]
            if uses_pypng(hdr):
                warnings.append("APNG with 16-bit samples or tRNS: Pillow's frames lose data")
        elif uses_pypng(hdr):
            reader = "pypng"
            frames = [pypng_read(path)]
        else:
            reader = "pillow"
            frames = [pillow_frame_array(im)]
    out = {"reader": reader, "header": hdr, "frames": frames, "info": info}
    if warnings:
        out["warnings"] = warnings
    return out


def stacked(frames) -> np.ndarray:
    """All frames stacked on a new axis 0 (imageio ``index=...``)."""
    return np.stack(frames, axis=0)


def readback_record(path: str) -> dict:
    res = read_png(path)
    hdr = res["header"]
    rec = {
        "file": path,
        "reader": res["reader"],
        "png": {k: hdr[k] for k in ("bit_depth", "color_type", "interlaced", "trns", "apng")},
        "frames": [array_summary(a) for a in res["frames"]],
        "info": res["info"],
    }
    if "warnings" in res:
        rec["warnings"] = res["warnings"]
    return rec


def main(argv) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: check_readback.py FILE [FILE...]", file=sys.stderr)
        return 2
    status = 0
    for path in argv:
        try:
            rec = readback_record(path)
        except Exception as e:  # report and go on with the other files
            rec = {"file": path, "error": f"{type(e).__name__}: {e}"}
            status = 1
        print(json.dumps(rec, ensure_ascii=False, allow_nan=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
