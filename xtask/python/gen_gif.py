#!/usr/bin/env python3
"""Generates the GIF fixtures in fixtures/gif/ and their manifest.json.

Usage: target/pyenv/bin/python xtask/python/gen_gif.py [--out fixtures/gif]

Every GIF is written byte by byte by the small encoder below (so that each edge case is exactly
what its name says: disposal methods, local palettes, transparency, interlacing, partial frames
at offsets). Deterministic: fixed seeds, no timestamps; rerunning gives identical bytes.

How the expected pixels are computed (``expect_from`` in each case):

* ``"pillow"``: Pillow (default GIF loading strategy), for every frame ``k``: ``im.seek(k)``, then
  the composited frame converted to the crate's layout with ``im.convert("RGBA")`` (files the
  crate reads as RGBA) or ``im.convert("RGB")`` (files it reads as RGB), stacked ``(N, H, W, C)``.
  The layout itself is the crate's documented rule (RGBA iff a frame has a transparent index,
  the first frame leaves the screen partly uncovered, a non-last frame has disposal 2, or the
  first frame of an animation has disposal 3).
  For ``mode="palette"`` cases: Pillow with ``LOADING_STRATEGY = RGB_AFTER_DIFFERENT_PALETTE_ONLY``
  (what imageio sets), which keeps mode "P", and ``np.asarray(frame)``.
* ``"browser-model"``: only for the three cases where Pillow deliberately differs from browsers
  (see the crate docs): the reference compositor ``browser_model`` below. The same model is
  asserted to equal Pillow on every ``"pillow"`` case, so it is cross-checked against Pillow
  wherever the two agree. Pillow's own hash is kept as ``pillow_sha256`` for the record.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys

import numpy as np
from PIL import GifImagePlugin, Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import array_sha256, package_versions, write_manifest  # noqa: E402

# --------------------------------------------------------------------------------------------
# A minimal GIF encoder.


def lzw_uncompressed(indices: np.ndarray, min_code_size: int) -> bytes:
    """LZW data that never grows the code size: a clear code every few literals (valid GIF)."""
    clear = 1 << min_code_size
    eoi = clear + 1
    size = min_code_size + 1
    run = max(1, (1 << min_code_size) - 3)
    codes = []
    for i, v in enumerate(indices.ravel().tolist()):
        if i % run == 0:
            codes.append(clear)
        codes.append(int(v))
    codes.append(eoi)
    acc = 0
    nbits = 0
    out = bytearray()
    for c in codes:
        acc |= c << nbits
        nbits += size
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def sub_blocks(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i : i + 255]
        out.append(len(chunk))
        out += chunk
    out.append(0)
    return bytes(out)


def table_bits(n_colours: int) -> int:
    bits = 1
    while (1 << bits) < n_colours:
        bits += 1
    return bits


def color_table(palette: np.ndarray) -> tuple[bytes, int]:
    bits = table_bits(len(palette))
    p = np.zeros((1 << bits, 3), np.uint8)
    p[: len(palette)] = palette
    return p.tobytes(), bits - 1


def interlace_rows(h: int) -> list[int]:
    return list(range(0, h, 8)) + list(range(4, h, 8)) + list(range(2, h, 4)) + list(range(1, h, 2))


class Frame:
    def __init__(self, indices, left=0, top=0, palette=None, transparency=None, disposal=0,
                 delay=0, interlaced=False, comment=None, gce=True):
        self.indices = np.asarray(indices, np.uint8)
        self.left, self.top = left, top
        self.palette = None if palette is None else np.asarray(palette, np.uint8)
        self.transparency = transparency
        self.disposal = disposal
        self.delay = delay
        self.interlaced = interlaced
        self.comment = comment
        self.gce = gce


def encode_gif(width, height, frames, global_palette=None, background=0, loop=None,
               version=b"GIF89a", comment=None) -> bytes:
    out = bytearray(version)
    flags = 0
    gct = b""
    if global_palette is not None:
        gct, bits = color_table(np.asarray(global_palette, np.uint8))
        flags = 0x80 | (bits << 4) | bits
    out += width.to_bytes(2, "little") + height.to_bytes(2, "little") + bytes([flags, background, 0])
    out += gct
    if loop is not None:
        out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + loop.to_bytes(2, "little") + b"\x00"
    if comment is not None:
        out += b"\x21\xfe" + sub_blocks(comment)
    for f in frames:
        if f.comment is not None:
            out += b"\x21\xfe" + sub_blocks(f.comment)
        if f.gce:
            packed = (f.disposal << 2) | (1 if f.transparency is not None else 0)
            out += bytes([0x21, 0xF9, 4, packed]) + f.delay.to_bytes(2, "little")
            out += bytes([f.transparency or 0, 0])
        h, w = f.indices.shape
        flags = 0
        lct = b""
        if f.palette is not None:
            lct, bits = color_table(f.palette)
            flags |= 0x80 | bits
        if f.interlaced:
            flags |= 0x40
        out += b"\x2c" + f.left.to_bytes(2, "little") + f.top.to_bytes(2, "little")
        out += w.to_bytes(2, "little") + h.to_bytes(2, "little") + bytes([flags]) + lct
        n_colours = len(f.palette) if f.palette is not None else len(global_palette)
        mcs = max(2, table_bits(n_colours))
        rows = interlace_rows(h) if f.interlaced else list(range(h))
        data = f.indices[rows, :]
        out += bytes([mcs]) + sub_blocks(lzw_uncompressed(data, mcs))
    out += b"\x3b"
    return bytes(out)


# --------------------------------------------------------------------------------------------
# The browser compositing model (what the crate implements; see its docs).


def screen_size(width, height, frames):
    """The screen frames are composited on: the logical screen grown to hold the first frame
    (browsers and Pillow do this; later frames are clipped by browsers)."""
    h0, w0 = frames[0].indices.shape
    return max(width, frames[0].left + w0), max(height, frames[0].top + h0)


def auto_rgba(width, height, frames) -> bool:
    width, height = screen_size(width, height, frames)
    f0 = frames[0]
    h0, w0 = f0.indices.shape
    covers = f0.left == 0 and f0.top == 0 and w0 >= width and h0 >= height
    clears = any(f.disposal == 2 for f in frames[:-1])
    return (any(f.transparency is not None for f in frames) or not covers or clears
            or (f0.disposal == 3 and len(frames) > 1))


def browser_model(width, height, frames, global_palette) -> np.ndarray:
    def pal(f):
        p = f.palette if f.palette is not None else np.asarray(global_palette, np.uint8)
        return p

    def rgb(p, i):
        return p[i] if i < len(p) else np.zeros(3, np.uint8)

    width, height = screen_size(width, height, frames)
    canvas = np.zeros((height, width, 4), np.uint8)
    t0 = frames[0].transparency
    if t0 is not None:
        canvas[..., :3] = rgb(pal(frames[0]), t0)
    out = []
    pending = None
    for f in frames:
        if pending is not None:
            kind, (y0, y1, x0, x1), val = pending
            canvas[y0:y1, x0:x1] = val
            pending = None
        h, w = f.indices.shape
        y0, x0 = min(f.top, height), min(f.left, width)
        y1, x1 = min(f.top + h, height), min(f.left + w, width)
        p = pal(f)
        if f.disposal == 2:
            c = rgb(p, f.transparency) if f.transparency is not None else np.zeros(3, np.uint8)
            pending = ("bg", (y0, y1, x0, x1), np.array([*c, 0], np.uint8))
        elif f.disposal == 3:
            pending = ("prev", (y0, y1, x0, x1), canvas[y0:y1, x0:x1].copy())
        sub = f.indices[: y1 - y0, : x1 - x0]
        full = np.zeros((256, 3), np.uint8)
        full[: len(p)] = p
        colours = np.concatenate([full[sub], np.full(sub.shape + (1,), 255, np.uint8)], axis=-1)
        mask = np.ones(sub.shape, bool) if f.transparency is None else sub != f.transparency
        region = canvas[y0:y1, x0:x1]
        region[mask] = colours[mask]
        out.append(canvas.copy())
    return np.stack(out)


# --------------------------------------------------------------------------------------------
# Pillow's view.


def pillow_frames(data: bytes, rgba: bool) -> np.ndarray:
    GifImagePlugin.LOADING_STRATEGY = GifImagePlugin.LoadingStrategy.RGB_AFTER_FIRST
    im = Image.open(io.BytesIO(data))
    frames = []
    for k in range(im.n_frames):
        im.seek(k)
        frames.append(np.asarray(im.convert("RGBA" if rgba else "RGB")))
    return np.stack(frames)


def pillow_palette_frames(data: bytes) -> np.ndarray:
    GifImagePlugin.LOADING_STRATEGY = GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY
    try:
        im = Image.open(io.BytesIO(data))
        frames = []
        for k in range(im.n_frames):
            im.seek(k)
            assert im.mode == "P", im.mode
            frames.append(np.asarray(im))
        return np.stack(frames)
    finally:
        GifImagePlugin.LOADING_STRATEGY = GifImagePlugin.LoadingStrategy.RGB_AFTER_FIRST


# --------------------------------------------------------------------------------------------
# The cases.


def cases():
    rng = np.random.default_rng(20261121)
    W, H = 24, 20
    gpal = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    gpal[3] = (255, 0, 255)  # the transparent index of several cases

    def idx(h, w, n, avoid=None):
        a = rng.integers(0, n, (h, w), dtype=np.uint8)
        if avoid is not None:
            a[a == avoid] = (avoid + 1) % n
        return a

    def with_holes(a, t):
        a = a.copy()
        a[rng.random(a.shape) < 0.3] = t
        return a

    def lpal(n):
        return rng.integers(0, 256, (n, 3), dtype=np.uint8)

    out = []

    out.append(("keep_partial_offsets", dict(width=W, height=H, global_palette=gpal, loop=0, frames=[
        Frame(idx(H, W, 16), disposal=1, delay=10),
        Frame(idx(8, 10, 8), left=5, top=3, palette=lpal(8), disposal=1, delay=20),
        Frame(idx(5, 7, 16), left=17, top=15, disposal=0, delay=30),
        Frame(idx(4, 4, 16), left=0, top=0, disposal=1, delay=40),
    ])))

    out.append(("transparent_keep", dict(width=W, height=H, global_palette=gpal, loop=0, frames=[
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=1, delay=5),
        Frame(with_holes(idx(9, 11, 16), 3), left=4, top=6, transparency=3, disposal=1, delay=5),
        Frame(with_holes(idx(6, 6, 32), 7), left=18, top=2, palette=lpal(32), transparency=7, disposal=1),
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=0),
    ])))

    out.append(("background_transparent", dict(width=W, height=H, global_palette=gpal, loop=0, frames=[
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=2, delay=10),
        Frame(with_holes(idx(10, 10, 16), 5), left=2, top=2, transparency=5, disposal=2, delay=10),
        Frame(with_holes(idx(12, 8, 8), 1), left=14, top=6, palette=lpal(8), transparency=1, disposal=2),
        Frame(with_holes(idx(7, 9, 16), 3), left=9, top=9, transparency=3, disposal=1),
        Frame(idx(5, 5, 16), left=1, top=14, disposal=1),
    ])))

    out.append(("previous", dict(width=W, height=H, global_palette=gpal, loop=0, frames=[
        Frame(idx(H, W, 16), disposal=1, delay=10),
        Frame(idx(9, 9, 16), left=3, top=4, palette=lpal(16), disposal=3),
        Frame(idx(6, 12, 16), left=10, top=10, disposal=1),
        Frame(idx(10, 10, 16), left=6, top=6, disposal=3),
        Frame(idx(3, 3, 16), left=7, top=7, disposal=1),
    ])))

    out.append(("previous_transparent", dict(width=W, height=H, global_palette=gpal, loop=0, frames=[
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=1),
        Frame(with_holes(idx(9, 9, 16), 3), left=3, top=4, transparency=3, disposal=3),
        Frame(with_holes(idx(8, 8, 4), 2), left=12, top=8, palette=lpal(4), transparency=2, disposal=3),
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=1),
    ])))

    out.append(("interlaced", dict(width=W, height=H, global_palette=gpal, frames=[
        Frame(idx(H, W, 16), interlaced=True, disposal=1),
        Frame(idx(13, 9, 16), left=2, top=5, interlaced=True, disposal=1),
        Frame(idx(1, 20, 16), left=4, top=0, interlaced=True, disposal=1),
        Frame(idx(3, 3, 16), left=20, top=16, interlaced=True, disposal=1),
        Frame(with_holes(idx(9, 17, 64), 9), left=1, top=10, palette=lpal(64), interlaced=True, transparency=9, disposal=1),
    ])))

    out.append(("local_palettes_only", dict(width=W, height=H, global_palette=None, frames=[
        Frame(idx(H, W, 256), palette=lpal(256), disposal=1),
        Frame(idx(H, W, 2), palette=lpal(2), disposal=1),
        Frame(idx(10, 10, 128), left=7, top=5, palette=lpal(128), disposal=1),
    ])))

    out.append(("single_transparent", dict(width=W, height=H, global_palette=gpal, frames=[
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=2, delay=100),
    ])))

    out.append(("gif87a", dict(width=W, height=H, global_palette=gpal, version=b"GIF87a", frames=[
        Frame(idx(H, W, 16), gce=False),
    ])))

    out.append(("comments_loop", dict(width=W, height=H, global_palette=gpal, loop=3, background=2,
                                      comment=b"made by gen_gif.py", frames=[
        Frame(idx(H, W, 16), delay=7, disposal=1, comment=b"first frame"),
        Frame(idx(H, W, 16), delay=123, disposal=1),
        Frame(idx(H, W, 16), delay=0, disposal=1, comment=b"third"),
    ])))

    # mode="palette": one global table, one transparent index everywhere (where Pillow's P mode
    # and the crate's index compositing agree).
    out.append(("palette_indices", dict(width=W, height=H, global_palette=gpal, loop=0, mode="palette", frames=[
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=1),
        Frame(with_holes(idx(8, 8, 16), 3), left=3, top=3, transparency=3, disposal=2),
        Frame(with_holes(idx(8, 8, 16), 3), left=10, top=8, transparency=3, disposal=1),
        Frame(with_holes(idx(H, W, 16), 3), transparency=3, disposal=1),
    ])))

    # Where Pillow differs from browsers (expected values from browser_model).
    out.append(("diverge_partial_first_frame", dict(width=W, height=H, global_palette=gpal, diverges=
        "Pillow fills the screen outside the first frame with palette entry 0 (opaque); browsers leave it transparent", frames=[
        Frame(idx(10, 12, 16), left=4, top=5, disposal=1),
        Frame(idx(6, 6, 16), left=0, top=0, disposal=1),
    ])))
    out.append(("diverge_background_opaque", dict(width=W, height=H, global_palette=gpal, background=4, diverges=
        "Pillow restores disposal 2 of a frame without transparent index to the opaque background colour; browsers clear to transparent", frames=[
        Frame(idx(H, W, 16), disposal=1),
        Frame(idx(8, 8, 16), left=4, top=4, disposal=2),
        Frame(idx(4, 4, 16), left=16, top=12, disposal=1),
    ])))
    out.append(("diverge_sticky_disposal", dict(width=W, height=H, global_palette=gpal, diverges=
        "Pillow keeps the last non-zero disposal for frames with disposal 0 (here frame 2 is restored like frame 1)", frames=[
        Frame(idx(H, W, 16), disposal=1),
        Frame(idx(8, 8, 16), left=2, top=2, disposal=3),
        Frame(idx(8, 8, 16), left=12, top=8, disposal=0),
        Frame(idx(4, 4, 16), left=0, top=16, disposal=1),
    ])))

    # A first frame larger than the logical screen grows the screen (browsers and Pillow); a
    # later frame inside the grown screen is composited normally.
    out.append(("first_frame_larger_than_screen", dict(width=10, height=8, global_palette=gpal, loop=0, frames=[
        Frame(idx(H, W, 16), disposal=1, delay=10),
        Frame(idx(6, 5, 16), left=15, top=11, disposal=1, delay=10),
    ])))
    # A 0x0 logical screen (written by some encoders): the first frame sets the size.
    out.append(("zero_size_screen", dict(width=0, height=0, global_palette=gpal, frames=[
        Frame(idx(H, W, 16), disposal=1),
    ])))
    # Frames of zero width or height (written by some encoders) draw nothing; Pillow refuses the
    # file ("tile cannot extend outside image"), so the expected values come from the model.
    out.append(("zero_size_frames", dict(width=W, height=H, global_palette=gpal, loop=0, pillow_fails=True, frames=[
        Frame(idx(H, W, 16), disposal=1, delay=10),
        Frame(np.zeros((0, 0), np.uint8), left=3, top=3, disposal=1, delay=10),
        Frame(idx(5, 6, 16), left=2, top=2, disposal=1, delay=10),
        Frame(np.zeros((5, 0), np.uint8), left=1, top=1, disposal=2, delay=10, interlaced=True),
        Frame(idx(4, 4, 16), left=10, top=10, disposal=1, delay=10),
    ])))
    out.append(("diverge_previous_first_frame", dict(width=W, height=H, global_palette=gpal, diverges=
        "disposal 3 on the first frame: browsers restore the empty (transparent) canvas, Pillow keeps frame 0", frames=[
        Frame(idx(H, W, 16), disposal=3),
        Frame(idx(6, 6, 16), left=4, top=4, disposal=1),
    ])))
    return out


STANDARD_RGBA = {"newtonscradle.gif": False, "imageio_issue245.gif": True}


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap.add_argument("--out", default=os.path.join(root, "fixtures", "gif"))
    ap.add_argument("--standard", default=os.path.join(os.path.dirname(root), "shared", "fixtures", "standard"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest_cases = []

    for name, spec in cases():
        spec = dict(spec)
        frames = spec.pop("frames")
        mode = spec.pop("mode", "auto")
        diverges = spec.pop("diverges", None)
        pillow_fails = spec.pop("pillow_fails", False)
        data = encode_gif(spec["width"], spec["height"], frames, global_palette=spec.get("global_palette"),
                          background=spec.get("background", 0), loop=spec.get("loop"),
                          version=spec.get("version", b"GIF89a"), comment=spec.get("comment"))
        fname = f"{name}.gif"
        with open(os.path.join(args.out, fname), "wb") as f:
            f.write(data)
        rgba = auto_rgba(spec["width"], spec["height"], frames)
        model = browser_model(spec["width"], spec["height"], frames, spec.get("global_palette"))
        model = model if rgba else model[..., :3]
        case = {"file": fname, "index": "all", "mode": mode}
        if mode == "palette":
            expected = pillow_palette_frames(data)
            case.update(expect_from="pillow", note="Pillow RGB_AFTER_DIFFERENT_PALETTE_ONLY, mode P indices")
        elif pillow_fails:
            try:
                pillow_frames(data, rgba)
            except Exception as e:  # noqa: BLE001 - the error is recorded in the manifest
                expected = model
                case.update(expect_from="browser-model", note=f"Pillow 13 cannot read this file: {e}")
            else:
                raise AssertionError(f"{name}: expected Pillow to fail")
        else:
            pil = pillow_frames(data, rgba)
            if diverges is None:
                assert np.array_equal(pil, model), f"{name}: browser model disagrees with Pillow"
                expected = pil
                case.update(expect_from="pillow",
                            note=f"Pillow seek(k) + convert('{'RGBA' if rgba else 'RGB'}') per frame, stacked")
            else:
                assert not np.array_equal(pil, model), f"{name}: expected Pillow to differ"
                expected = model
                case.update(expect_from="browser-model", note=diverges, pillow_sha256=array_sha256(pil))
        case.update(shape=list(expected.shape), dtype=str(expected.dtype), sha256=array_sha256(expected))
        gpal = spec.get("global_palette")
        case["meta"] = {
            "version": spec.get("version", b"GIF89a").decode(),
            "loop": spec.get("loop"),
            "durations": [f.delay * 10 for f in frames],
            "disposals": [f.disposal for f in frames],
            "transparency": [f.transparency for f in frames],
            "background": spec.get("background", 0) if gpal is not None else None,
        }
        if spec.get("comment") or any(f.comment for f in frames):
            case["meta"]["comments"] = [c.decode() for c in [spec.get("comment")] + [f.comment for f in frames] if c]
        manifest_cases.append(case)

    # Standard images: Pillow is the reference.
    for std in ["newtonscradle.gif", "imageio_issue245.gif"]:
        data = open(os.path.join(args.standard, std), "rb").read()
        # The crate's layout rule applied to these two files (checked by hand from their headers):
        # newtonscradle.gif has no transparent index, full-screen frames, disposal 1 -> RGB;
        # imageio_issue245.gif has a transparent index -> RGBA.
        rgba = STANDARD_RGBA[std]
        pil = pillow_frames(data, rgba)
        im = Image.open(io.BytesIO(data))
        case = {"file": f"standard:{std}", "index": "all", "mode": "auto", "expect_from": "pillow",
                "note": f"Pillow seek(k) + convert('{'RGBA' if rgba else 'RGB'}') per frame, stacked",
                "shape": list(pil.shape), "dtype": str(pil.dtype), "sha256": array_sha256(pil),
                "palette_unique_colours": len(im.palette.colors),
                "palette_entries": len(im.palette.palette) // 3}
        manifest_cases.append(case)

    write_manifest(os.path.join(args.out, "manifest.json"), manifest_cases,
                   {"generator": "xtask/python/gen_gif.py", "versions": package_versions("pillow", "numpy")})
    print(f"wrote {len(manifest_cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
