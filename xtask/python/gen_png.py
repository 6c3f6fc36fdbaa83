#!/usr/bin/env python3
"""Generate the PNG / APNG fixtures and their manifest.

Usage (from the repo root)::

    python xtask/python/gen_png.py --out fixtures/png --standard /work/shared/fixtures/standard

Writes small, deterministic PNG files into ``--out`` plus ``manifest.json``
describing the array our Rust PNG reader must return for each of them (and for
every PNG among the standard images, referenced as ``standard:NAME``).

How the files are made
----------------------
* Low-level cases (every bit depth x colour type, tRNS, Adam7) are written with
  pypng, which only emits filter type 0.  ``refilter`` then re-encodes the
  image data so that every scanline uses a different filter type (None, Sub,
  Up, Average, Paeth in turn, across Adam7 passes too) and splits the zlib
  stream over several IDAT chunks, so the Rust decoder's unfiltering and
  multi-chunk handling get exercised.
* Metadata cases (pHYs, tEXt/zTXt/iTXt, iCCP, eXIf) and APNGs are written with
  Pillow (its own encoder and adaptive filtering).

How the expected arrays are computed
------------------------------------
Each expected array is computed twice and the generator aborts if they differ:

1. from the source samples, by applying imageio-rs' reading conventions in
   numpy (see ``expect_*``), and
2. by decoding the written file with ``check_readback.read_png`` (Pillow where
   it keeps the data, pypng raw samples otherwise: ``expect_from``).

Still images are also decoded with pypng (``check_readback.pypng_read``), so
Pillow and pypng must agree wherever Pillow is the reference.  APNG frames are
re-composited from the raw fcTL/fdAT chunks by ``composite_apng`` (Pillow's
rules, see there) and must match Pillow's frames.

Everything is seeded; running the script twice gives byte-identical output.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import array_sha256, array_summary, package_versions, write_manifest  # noqa: E402
from check_readback import png_header, pypng_read, read_png  # noqa: E402

import png  # noqa: E402  (pypng)
from PIL import Image, ImageCms, ImageOps, PngImagePlugin  # noqa: E402

BASE_SEED = 20261121
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
MAX_FIXTURE_BYTES = 20 * 1024


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from the case name, so cases don't depend on each other."""
    return np.random.default_rng([BASE_SEED, zlib.crc32(name.encode())])


# --------------------------------------------------------------------------- #
# Low-level chunk tools
# --------------------------------------------------------------------------- #

def iter_chunks(data: bytes):
    """Yield (type, body) for every chunk of a PNG byte string."""
    assert data.startswith(PNG_SIGNATURE)
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        yield ctype, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def make_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def assemble(chunks) -> bytes:
    return PNG_SIGNATURE + b"".join(make_chunk(t, b) for t, b in chunks)


def pass_sizes(width: int, height: int, interlaced: bool):
    """(w, h) of each non-empty reduced image (one for non-interlaced files)."""
    if not interlaced:
        return [(width, height)]
    out = []
    for x0, y0, dx, dy in ADAM7:
        pw = (width - x0 + dx - 1) // dx if width > x0 else 0
        ph = (height - y0 + dy - 1) // dy if height > y0 else 0
        if pw and ph:
            out.append((pw, ph))
    return out


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    if pb <= pc:
        return b
    return c


def filter_row(ftype: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 0:
            p = 0
        elif ftype == 1:
            p = a
        elif ftype == 2:
            p = b
        elif ftype == 3:
            p = (a + b) // 2
        else:
            p = _paeth(a, b, c)
        out[i] = (x - p) & 0xFF
    return bytes(out)


def refilter(data: bytes, *, idat_size: int = 400, empty_idat: bool = False, first_filter: int = 0) -> bytes:
    """Re-encode a filter-0 PNG so scanlines cycle through all five filter types.

    The zlib stream is split into IDAT chunks of at most ``idat_size`` bytes
    (``empty_idat`` inserts a zero-length IDAT between them).
    """
    chunks = list(iter_chunks(data))
    ihdr = chunks[0][1]
    width, height, bd, ct, _, _, il = struct.unpack(">IIBBBBB", ihdr)
    raw = zlib.decompress(b"".join(b for t, b in chunks if t == b"IDAT"))
    bits_pp = bd * CHANNELS[ct]
    bpp = max(1, bits_pp // 8)
    out = bytearray()
    pos = 0
    counter = first_filter
    for pw, ph in pass_sizes(width, height, il == 1):
        rowbytes = (pw * bits_pp + 7) // 8
        prev = bytes(rowbytes)
        for _ in range(ph):
            if raw[pos] != 0:
                raise ValueError("refilter expects filter type 0 input")
            row = raw[pos + 1:pos + 1 + rowbytes]
            pos += 1 + rowbytes
            ftype = counter % 5
            counter += 1
            out.append(ftype)
            out += filter_row(ftype, row, prev, bpp)
            prev = row
    assert pos == len(raw), "unexpected IDAT length"
    z = zlib.compress(bytes(out), 9)
    pieces = [z[i:i + idat_size] for i in range(0, len(z), idat_size)]
    if empty_idat:
        pieces.insert(1, b"")
    new = []
    done = False
    for t, b in chunks:
        if t == b"IDAT":
            if not done:
                new.extend((b"IDAT", p) for p in pieces)
                done = True
            continue
        new.append((t, b))
    return assemble(new)


def insert_chunk_before(data: bytes, before: bytes, ctype: bytes, body: bytes) -> bytes:
    """Insert a chunk right before the first chunk of type ``before``."""
    new = []
    inserted = False
    for t, b in iter_chunks(data):
        if t == before and not inserted:
            new.append((ctype, body))
            inserted = True
        new.append((t, b))
    assert inserted
    return assemble(new)


def phys_of(path: str):
    with open(path, "rb") as f:
        data = f.read()
    for t, b in iter_chunks(data):
        if t == b"pHYs":
            x, y, unit = struct.unpack(">IIB", b)
            return {"x": x, "y": y, "unit": unit}
        if t == b"IDAT":
            break
    return None


# --------------------------------------------------------------------------- #
# Sample data
# --------------------------------------------------------------------------- #

def make_samples(rng: np.random.Generator, h: int, w: int, planes: int, maxval: int) -> np.ndarray:
    """Random samples with some structure: ramps on the edge rows, extremes in corners."""
    a = rng.integers(0, maxval + 1, size=(h, w, planes), dtype=np.int64)
    ramp = np.round(np.linspace(0, maxval, w)).astype(np.int64)
    a[0, :, :] = ramp[:, None]
    if h > 1:
        a[-1, :, :] = ramp[::-1, None]
    a[0, 0, :] = 0
    a[-1, 0, :] = maxval
    if maxval == 65535 and h > 2 and w > 2:
        # byte-order traps: high and low byte differ in known ways
        a[1, 1, :] = 0x0102
        a[1, 2, :] = 0xFF00
        a[2, 1, :] = 0x00FF
    return a


def make_palette(rng: np.random.Generator, n: int, alphas=None):
    """n distinct-ish colours; the first len(alphas) entries get an alpha (tRNS)."""
    cols = rng.integers(0, 256, size=(n, 3)).tolist()
    cols[0] = [0, 0, 0]
    if n > 1:
        cols[-1] = [255, 255, 255]
    pal = []
    for i, c in enumerate(cols):
        if alphas is not None and i < len(alphas):
            pal.append((c[0], c[1], c[2], int(alphas[i])))
        else:
            pal.append((c[0], c[1], c[2]))
    return pal


def pypng_encode(samples: np.ndarray, *, greyscale: bool, alpha: bool, bitdepth: int,
                 palette=None, transparent=None, interlace: bool = False, gamma=None) -> bytes:
    h, w, planes = samples.shape
    kw = dict(width=w, height=h, bitdepth=bitdepth, interlace=interlace, compression=9)
    if palette is not None:
        kw["palette"] = palette
    else:
        kw["greyscale"] = greyscale
        kw["alpha"] = alpha
    if transparent is not None:
        kw["transparent"] = transparent
    if gamma is not None:
        kw["gamma"] = gamma
    buf = io.BytesIO()
    png.Writer(**kw).write(buf, samples.reshape(h, w * planes).tolist())
    return buf.getvalue()


# --------------------------------------------------------------------------- #
# Expected values straight from the source samples (the conventions in numpy)
# --------------------------------------------------------------------------- #

def expect_gray(g: np.ndarray, bd: int, trns=None) -> np.ndarray:
    g = g[..., 0] if g.ndim == 3 else g
    if bd < 8:
        scaled = (g * 255 // ((1 << bd) - 1)).astype(np.uint8)
        if trns is None:
            return g.astype(bool) if bd == 1 else scaled
        return np.stack([scaled, np.where(g == trns, 0, 255).astype(np.uint8)], axis=-1)
    dt = np.uint16 if bd == 16 else np.uint8
    full = 65535 if bd == 16 else 255
    if trns is None:
        return g.astype(dt)
    return np.stack([g.astype(dt), np.where(g == trns, 0, full).astype(dt)], axis=-1)


def expect_rgb(rgb: np.ndarray, bd: int, trns=None) -> np.ndarray:
    dt = np.uint16 if bd == 16 else np.uint8
    full = 65535 if bd == 16 else 255
    if trns is None:
        return rgb.astype(dt)
    hit = (rgb == np.array(trns).reshape(1, 1, 3)).all(axis=-1)
    return np.concatenate([rgb.astype(dt), np.where(hit, 0, full).astype(dt)[..., None]], axis=-1)


def expect_palette(idx: np.ndarray, pal) -> np.ndarray:
    idx = idx[..., 0] if idx.ndim == 3 else idx
    if any(len(c) == 4 for c in pal):
        table = np.array([tuple(c) + (255,) * (4 - len(c)) for c in pal], dtype=np.uint8)
    else:
        table = np.array(pal, dtype=np.uint8)
    return table[idx]


def expect_direct(samples: np.ndarray, bd: int) -> np.ndarray:
    return samples.astype(np.uint16 if bd == 16 else np.uint8)


# --------------------------------------------------------------------------- #
# APNG re-compositing (independent check of Pillow's frames)
# --------------------------------------------------------------------------- #

def _div255(x: np.ndarray) -> np.ndarray:
    t = x + 128
    return ((t >> 8) + t) >> 8


def composite_apng(path: str):
    """Composite an APNG from its raw chunks with Pillow's rules.

    * The canvas starts as zeros (transparent black; black for RGB).
    * dispose_op of frame i is applied before frame i+1 is drawn:
      NONE keeps the canvas, BACKGROUND zeroes the frame's region,
      PREVIOUS restores the region from the canvas as it was before frame i
      was drawn (PREVIOUS on the first frame acts as BACKGROUND).
    * blend_op SOURCE replaces the region.  blend_op OVER (not on the first
      frame) is Pillow's ``paste(frame, box, mask=frame_alpha)``: **every**
      channel, alpha included, becomes
      ``div255(old * (255 - a) + new * a)`` with ``a`` the new pixel's alpha and
      ``div255(x) = ((x + 128) + ((x + 128) >> 8)) >> 8`` (x/255 rounded).  For
      alpha this is not Porter-Duff "over" (which would be a + old*(1-a)).

    Known Pillow quirk NOT modelled here (and avoided by the fixtures): for a
    frame with blend OVER *and* dispose PREVIOUS, Pillow 13 does not restore
    the region afterwards (its saved "previous" canvas is the one it blended
    into), so the next frame starts from the blended canvas.
    """
    with open(path, "rb") as f:
        data = f.read()
    chunks = list(iter_chunks(data))
    ihdr = chunks[0][1]
    W, H, bd, ct, _, _, il = struct.unpack(">IIBBBBB", ihdr)
    assert bd == 8 and ct in (2, 6), "composite_apng only handles RGB8/RGBA8"
    extra = [(t, b) for t, b in chunks if t in (b"PLTE", b"tRNS")]
    frames_raw = []  # (fctl, bytes)
    cur = None
    for t, b in chunks:
        if t == b"fcTL":
            seq, w, h, x, y, dn, dd, dop, bop = struct.unpack(">IIIIIHHBB", b)
            cur = {"w": w, "h": h, "x": x, "y": y, "dispose": dop, "blend": bop, "data": bytearray()}
            frames_raw.append(cur)
        elif t == b"IDAT" and cur is not None:
            cur["data"] += b
        elif t == b"fdAT":
            cur["data"] += b[4:]
    C = CHANNELS[ct]
    canvas = np.zeros((H, W, C), dtype=np.int64)
    out = []
    saved = None
    for i, fr in enumerate(frames_raw):
        sub_png = assemble([(b"IHDR", struct.pack(">IIBBBBB", fr["w"], fr["h"], bd, ct, 0, 0, il))]
                           + extra + [(b"IDAT", bytes(fr["data"])), (b"IEND", b"")])
        tmp = io.BytesIO(sub_png)
        r = png.Reader(file=tmp)
        w, h, rows, _ = r.read()
        sub = np.array([np.asarray(row) for row in rows], dtype=np.int64).reshape(h, w, C)
        ys, xs = slice(fr["y"], fr["y"] + h), slice(fr["x"], fr["x"] + w)
        saved = canvas.copy()
        if fr["blend"] == 1 and i > 0 and C == 4:
            a = sub[..., 3:4]
            canvas[ys, xs] = _div255(canvas[ys, xs] * (255 - a) + sub * a)
        else:
            canvas[ys, xs] = sub
        out.append(canvas.astype(np.uint8).copy())
        dop = fr["dispose"]
        if dop == 2 and i == 0:
            dop = 1
        if dop == 1:
            canvas[ys, xs] = 0
        elif dop == 2:
            canvas[ys, xs] = saved[ys, xs]
    return out, frames_raw


# --------------------------------------------------------------------------- #
# The generator
# --------------------------------------------------------------------------- #

class Generator:
    def __init__(self, out_dir: str, standard_dir: str | None):
        self.out = out_dir
        self.standard = standard_dir
        self.cases = []
        self.sha_by_file = {}

    # -- helpers ----------------------------------------------------------- #
    def path(self, name: str) -> str:
        return os.path.join(self.out, name)

    def write_bytes(self, name: str, data: bytes) -> str:
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def _meta(self, path: str, info: dict) -> dict:
        meta = {}
        for k in ("gamma", "chromaticity", "dpi", "text", "icc_sha256", "orientation", "srgb"):
            if k in info:
                meta[k] = info[k]
        ph = phys_of(path)
        if ph:
            meta["phys"] = ph
        return meta

    def add_still(self, name: str, path: str, expected: np.ndarray, note: str, *, extra=None,
                  file_key=None, size_limit=True) -> dict:
        """Verify ``path`` decodes to ``expected`` (both readers) and add the manifest case."""
        if size_limit:
            size = os.path.getsize(path)
            assert size <= MAX_FIXTURE_BYTES, f"{name} is {size} bytes"
        res = read_png(path)
        assert not res["header"]["apng"]
        got = res["frames"][0]
        if expected is None:
            expected = got
        check_equal(name, "reference reader", got, expected)
        check_equal(name, "pypng", pypng_read(path), expected)
        hdr = res["header"]
        case = {
            "file": file_key or name,
            "index": None,
            **array_summary(expected),
            "expect_from": res["reader"],
            "note": note,
            "bit_depth": hdr["bit_depth"],
            "color_type": hdr["color_type"],
            "interlaced": hdr["interlaced"],
        }
        case.update(self._meta(path, res["info"]))
        if extra:
            case.update(extra)
        self.cases.append(case)
        self.sha_by_file[case["file"]] = case["sha256"]
        return case

    def lowlevel(self, name: str, samples: np.ndarray, expected: np.ndarray, note: str, *,
                 refilter_kw=None, **enc) -> dict:
        data = pypng_encode(samples, **enc)
        data = refilter(data, **(refilter_kw or {}))
        path = self.write_bytes(name, data)
        return self.add_still(name, path, expected, note)

    # -- the cases ---------------------------------------------------------- #
    def bit_depth_matrix(self):
        """Every legal bit depth x colour type, each also Adam7-interlaced."""
        specs = []
        for bd, (w, h) in zip((1, 2, 4, 8, 16), ((17, 13), (19, 11), (21, 9), (23, 15), (13, 17))):
            specs.append(("gray", bd, w, h))
        specs += [("rgb", 8, 17, 13), ("rgb", 16, 15, 11)]
        for bd, (w, h) in zip((1, 2, 4, 8), ((23, 9), (19, 13), (17, 15), (21, 11))):
            specs.append(("palette", bd, w, h))
        specs += [("graya", 8, 19, 7), ("graya", 16, 11, 9), ("rgba", 8, 13, 11), ("rgba", 16, 17, 9)]

        for kind, bd, w, h in specs:
            base = f"{kind}_{bd}bit"
            rng = rng_for(base)
            maxval = (1 << bd) - 1
            if kind == "gray":
                s = make_samples(rng, h, w, 1, maxval)
                exp = expect_gray(s, bd)
                enc = dict(greyscale=True, alpha=False, bitdepth=bd)
                if bd == 1:
                    conv = "1-bit gray -> bool (Pillow mode '1')"
                elif bd < 8:
                    conv = f"{bd}-bit gray -> uint8 scaled v*255/{maxval} (Pillow mode 'L')"
                elif bd == 8:
                    conv = "8-bit gray -> uint8 (H,W)"
                else:
                    conv = "16-bit gray -> uint16 (H,W) (Pillow I;16)"
            elif kind == "rgb":
                s = make_samples(rng, h, w, 3, maxval)
                exp = expect_rgb(s, bd)
                enc = dict(greyscale=False, alpha=False, bitdepth=bd)
                conv = "RGB8 -> uint8 (H,W,3)" if bd == 8 else "RGB16 -> uint16 raw samples (pypng; Pillow reduces to 8 bits)"
            elif kind == "palette":
                n = {1: 2, 2: 3, 4: 11, 8: 200}[bd]  # not always full: short PLTE
                pal = make_palette(rng, n)
                s = rng.integers(0, n, size=(h, w, 1))
                s[0, 0, 0] = n - 1
                exp = expect_palette(s, pal)
                enc = dict(greyscale=False, alpha=False, bitdepth=bd, palette=pal)
                conv = f"{bd}-bit palette ({n} PLTE entries, no tRNS) -> RGB uint8 (H,W,3)"
            elif kind == "graya":
                s = make_samples(rng, h, w, 2, maxval)
                exp = expect_direct(s, bd)
                enc = dict(greyscale=True, alpha=True, bitdepth=bd)
                conv = "gray+alpha 8 -> uint8 (H,W,2) (Pillow LA)" if bd == 8 else "gray+alpha 16 -> uint16 (H,W,2) raw samples (pypng)"
            else:
                s = make_samples(rng, h, w, 4, maxval)
                exp = expect_direct(s, bd)
                enc = dict(greyscale=False, alpha=True, bitdepth=bd)
                conv = "RGBA8 -> uint8 (H,W,4)" if bd == 8 else "RGBA16 -> uint16 raw samples (pypng)"
            rk = {}
            if base == "gray_8bit":
                rk = dict(idat_size=64, empty_idat=True)
            c1 = self.lowlevel(f"{base}.png", s, exp, f"{conv}; pypng-written, all 5 filter types", refilter_kw=rk, **enc)
            c2 = self.lowlevel(f"{base}_interlaced.png", s, exp,
                               f"{conv}; Adam7 interlaced, same pixels as {base}.png",
                               refilter_kw={"first_filter": 2}, interlace=True, **enc)
            assert c1["sha256"] == c2["sha256"]
        # tiny interlaced images: several Adam7 passes are empty
        for name, (w, h), kind, bd in (("tiny_rgb_8bit_interlaced_3x2.png", (3, 2), "rgb", 8),
                                       ("tiny_gray_1bit_interlaced_5x1.png", (5, 1), "gray", 1),
                                       ("tiny_rgba_16bit_interlaced_1x1.png", (1, 1), "rgba", 16),
                                       ("tiny_palette_2bit_interlaced_2x9.png", (2, 9), "palette", 2)):
            rng = rng_for(name)
            if kind == "rgb":
                s = make_samples(rng, h, w, 3, 255)
                exp, enc = expect_rgb(s, 8), dict(greyscale=False, alpha=False, bitdepth=8)
            elif kind == "gray":
                s = make_samples(rng, h, w, 1, 1)
                exp, enc = expect_gray(s, 1), dict(greyscale=True, alpha=False, bitdepth=1)
            elif kind == "rgba":
                s = np.array([[[0x1234, 0xFEDC, 0x00FF, 0x8001]]], dtype=np.int64)
                exp, enc = expect_direct(s, 16), dict(greyscale=False, alpha=True, bitdepth=16)
            else:
                pal = make_palette(rng, 4)
                s = rng.integers(0, 4, size=(h, w, 1))
                exp, enc = expect_palette(s, pal), dict(greyscale=False, alpha=False, bitdepth=2, palette=pal)
            self.lowlevel(name, s, exp, f"{w}x{h} Adam7 image: some of the 7 passes are empty", interlace=True, **enc)

    def trns_cases(self):
        # palette with a partial alpha table (tRNS shorter than PLTE)
        for bd, n, (w, h) in ((8, 40, (19, 15)), (4, 12, (17, 11)), (1, 2, (15, 7))):
            name = f"palette_{bd}bit_trns.png"
            rng = rng_for(name)
            alphas = {8: [0, 128, 255, 1, 254, 64, 200], 4: [0, 77, 180], 1: [0]}[bd]
            pal = make_palette(rng, n, alphas)
            s = rng.integers(0, n, size=(h, w, 1))
            s[0, : min(w, n), 0] = np.arange(min(w, n))
            exp = expect_palette(s, pal)
            self.lowlevel(name, s, exp,
                          f"{bd}-bit palette, tRNS with {len(alphas)} of {n} entries -> RGBA uint8 (H,W,4); "
                          "alpha from tRNS, 255 past its end (Pillow drops it: raw indices via pypng)",
                          greyscale=False, alpha=False, bitdepth=bd, palette=pal)
        pal_il = make_palette(rng_for("palette_4bit_trns_interlaced.png"), 9, [10, 0, 250])
        s = rng_for("palette_4bit_trns_interlaced.png").integers(0, 9, size=(13, 10, 1))
        self.lowlevel("palette_4bit_trns_interlaced.png", s, expect_palette(s, pal_il),
                      "4-bit palette + partial tRNS, Adam7 -> RGBA uint8 (pypng)",
                      greyscale=False, alpha=False, bitdepth=4, palette=pal_il, interlace=True)

        # gray with tRNS
        for bd, trns, (w, h) in ((8, 77, (17, 13)), (16, 0x1234, (15, 9)), (2, 1, (19, 7)),
                                 (1, 0, (11, 5)), (4, 15, (13, 6))):
            name = f"gray_{bd}bit_trns.png"
            rng = rng_for(name)
            maxval = (1 << bd) - 1
            s = make_samples(rng, h, w, 1, maxval)
            s[1, :3, 0] = trns
            if bd == 16:
                s[2, :3, 0] = [0x1235, 0x1134, 0x3412]  # near misses: must stay opaque
            if bd == 8:
                s[2, :2, 0] = [76, 78]
            exp = expect_gray(s, bd, trns)
            if bd < 8:
                conv = (f"{bd}-bit gray + tRNS {trns} -> uint8 (H,W,2): gray scaled v*255/{maxval}, "
                        "alpha 0 where the raw sample equals the tRNS value else 255")
            elif bd == 8:
                conv = "8-bit gray + tRNS -> uint8 (H,W,2), alpha 0 where sample == tRNS gray else 255"
            else:
                conv = "16-bit gray + tRNS -> uint16 (H,W,2), alpha 0 where sample == tRNS (all 16 bits) else 65535"
            self.lowlevel(name, s, exp, conv + " (Pillow drops tRNS: computed from pypng raw samples)",
                          greyscale=True, alpha=False, bitdepth=bd, transparent=trns)
        # RGB with tRNS
        for bd, trns, (w, h) in ((8, (10, 200, 30), (17, 11)), (16, (0x0102, 0xFFFE, 0x8000), (13, 10))):
            name = f"rgb_{bd}bit_trns.png"
            rng = rng_for(name)
            s = make_samples(rng, h, w, 3, (1 << bd) - 1)
            s[1, :4] = trns
            s[2, 0] = (trns[0] + 1, trns[1], trns[2])
            s[2, 1] = (trns[0], trns[1] - 1, trns[2])
            s[2, 2] = (trns[0], trns[1], trns[2] + 1)
            exp = expect_rgb(s, bd, trns)
            full = 65535 if bd == 16 else 255
            self.lowlevel(name, s, exp,
                          f"RGB{bd} + tRNS -> RGBA (H,W,4) {exp.dtype}, alpha 0 where all 3 samples equal the "
                          f"tRNS colour else {full} (computed from pypng raw samples)",
                          greyscale=False, alpha=False, bitdepth=bd, transparent=trns)
        s = make_samples(rng_for("rgb_8bit_trns_interlaced.png"), 9, 14, 3, 255)
        s[::3, ::2] = (1, 2, 3)
        self.lowlevel("rgb_8bit_trns_interlaced.png", s, expect_rgb(s, 8, (1, 2, 3)),
                      "RGB8 + tRNS, Adam7 -> RGBA uint8 (pypng)",
                      greyscale=False, alpha=False, bitdepth=8, transparent=(1, 2, 3), interlace=True)

        # tRNS values out of range for the bit depth (high byte set; the specification forbids
        # it, libpng warns and keeps the value): no sample can equal it, every pixel is opaque
        for name, ct_kw, trns_body, chunk_trns in (
                ("gray_8bit_trns_out_of_range.png", dict(greyscale=True), 5, b"\x01\x05"),
                ("rgb_8bit_trns_out_of_range.png", dict(greyscale=False), (10, 200, 30),
                 b"\x01\x0a\x00\xc8\x00\x1e")):
            rng = rng_for(name)
            planes = 1 if ct_kw["greyscale"] else 3
            smp = make_samples(rng, 7, 9, planes, 255)
            smp[1, :3] = trns_body
            data = pypng_encode(smp, alpha=False, bitdepth=8, transparent=trns_body, **ct_kw)
            data = assemble([(t, chunk_trns if t == b"tRNS" else b) for t, b in iter_chunks(data)])
            path = self.write_bytes(name, data)
            full = struct.unpack(">%dH" % (len(chunk_trns) // 2), chunk_trns)
            exp = expect_gray(smp, 8, full[0]) if planes == 1 else expect_rgb(smp, 8, full)
            assert (exp[..., -1] == 255).all()
            self.add_still(name, path, exp, f"8-bit {'gray' if planes == 1 else 'RGB'} with tRNS "
                           f"{chunk_trns.hex()} (high byte set, out of range): alpha channel, every pixel "
                           "opaque (the low byte alone must not make matching pixels transparent)")

    def metadata_cases(self):
        # gAMA (pypng writes it)
        name = "meta_gamma.png"
        s = make_samples(rng_for(name), 11, 17, 3, 255)
        c = self.lowlevel(name, s, expect_rgb(s, 8), "RGB8 with gAMA 45455 (gamma 0.45455); pixels are NOT gamma-corrected",
                          greyscale=False, alpha=False, bitdepth=8, gamma=0.45455)
        assert c["gamma"] == 0.45455

        # cHRM (Pillow reads it as "chromaticity"; pypng cannot write it: inserted by hand)
        name = "meta_chrm.png"
        s = make_samples(rng_for(name), 5, 7, 3, 255)
        data = refilter(pypng_encode(s, greyscale=False, alpha=False, bitdepth=8))
        chrm = struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)
        data = insert_chunk_before(data, b"IDAT", b"cHRM", chrm)
        c = self.add_still(name, self.write_bytes(name, data), expect_rgb(s, 8), "RGB8 with a cHRM chunk (sRGB primaries)")
        assert c["chromaticity"] == [0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06], c["chromaticity"]

        # pHYs with different x/y resolution (Pillow writes round(dpi / 0.0254))
        name = "meta_dpi.png"
        a = make_samples(rng_for(name), 13, 19, 3, 255).astype(np.uint8)
        Image.fromarray(a, "RGB").save(self.path(name), dpi=(300, 150))
        c = self.add_still(name, self.path(name), a,
                           "RGB8 (Pillow-written) with pHYs 11811 x 5906 px/m, unit metre; "
                           "dpi as Pillow reports it = px_per_metre * 0.0254")
        assert c["phys"] == {"x": 11811, "y": 5906, "unit": 1}, c["phys"]

        # text chunks
        name = "meta_text.png"
        a = make_samples(rng_for(name), 9, 15, 1, 255)[..., 0].astype(np.uint8)
        info = PngImagePlugin.PngInfo()
        info.add_text("Title", "imageio-rs text fixture")
        info.add_text("Author", "Caf\u00e9 \u00d8rsted")  # Latin-1 tEXt
        info.add_text("Comment", "compressed zTXt comment " * 8, zip=True)
        info.add_itxt("Description", "Gr\u00fc\u00dfe \u2014 \u03b1\u03b2\u03b3 \u2713", lang="de", tkey="Beschreibung")
        info.add_itxt("Software", "imageio-rs fixture generator (compressed iTXt) " * 4, lang="en", tkey="", zip=True)
        Image.fromarray(a, "L").save(self.path(name), pnginfo=info)
        c = self.add_still(name, self.path(name), a,
                           "gray8 with tEXt (Title, Author in Latin-1), zTXt (Comment), iTXt (Description "
                           "UTF-8 uncompressed, Software compressed); text = keyword -> value")
        assert set(c["text"]) == {"Title", "Author", "Comment", "Description", "Software"}, c["text"]
        chunk_types = png_header(open(self.path(name), "rb").read())["chunks"]
        assert {"tEXt", "zTXt", "iTXt"} <= set(chunk_types)

        # a tEXt chunk after IDAT
        name = "meta_text_after_idat.png"
        s = make_samples(rng_for(name), 7, 9, 3, 255)
        data = refilter(pypng_encode(s, greyscale=False, alpha=False, bitdepth=8))
        data = insert_chunk_before(data, b"IEND", b"tEXt", b"Comment\x00written after IDAT")
        path = self.write_bytes(name, data)
        c = self.add_still(name, path, expect_rgb(s, 8), "RGB8 with a tEXt chunk between the last IDAT and IEND")
        assert c["text"] == {"Comment": "written after IDAT"}

        # iCCP
        name = "meta_icc.png"
        icc = deterministic_srgb_icc()
        a = make_samples(rng_for(name), 12, 16, 3, 255).astype(np.uint8)
        Image.fromarray(a, "RGB").save(self.path(name), icc_profile=icc)
        self.add_still(name, self.path(name), a,
                       f"RGB8 with an iCCP chunk (LittleCMS sRGB profile, {len(icc)} bytes, date fixed); "
                       "icc_sha256 = sha256 of the decompressed profile",
                       extra={"icc_len": len(icc)})

        # eXIf with orientation 6
        name = "meta_exif_orientation6.png"
        a = make_samples(rng_for(name), 11, 18, 3, 255).astype(np.uint8)
        a[:3, :4] = (255, 0, 0)  # red marker in the top-left corner of the stored image
        exif = Image.Exif()
        exif[0x0112] = 6
        exif[0x0131] = "imageio-rs"
        Image.fromarray(a, "RGB").save(self.path(name), exif=exif)
        with Image.open(self.path(name)) as im:
            rotated = np.asarray(ImageOps.exif_transpose(im))
        assert np.array_equal(rotated, np.rot90(a, k=3)), "Orientation 6 must be a 90 degree clockwise turn"
        c = self.add_still(name, self.path(name), a,
                           "RGB8 with an eXIf chunk, Orientation 6: the default read is NOT rotated; "
                           "rotated_* = Pillow ImageOps.exif_transpose = np.rot90(k=3) (90 deg clockwise)",
                           extra={"rotated_shape": list(rotated.shape), "rotated_sha256": array_sha256(rotated)})
        assert c["orientation"] == 6

        # several still-image indices on one plain file
        base = next(c for c in self.cases if c["file"] == "rgb_8bit.png")
        a = pypng_read(self.path("rgb_8bit.png"))
        for index, arr, note in ((0, a, "index 0 of a still PNG = the image"),
                                 ("all", a[None], "index 'all' of a still PNG = the image stacked (1,H,W,C)")):
            case = {"file": "rgb_8bit.png", "index": index, **array_summary(arr),
                    "expect_from": base["expect_from"], "note": note}
            self.cases.append(case)

    def apng_cases(self):
        D = PngImagePlugin.Disposal
        B = PngImagePlugin.Blend

        # 1. RGB, 4 frames, squares moving over a gradient
        W, H = 32, 24
        yy, xx = np.mgrid[0:H, 0:W]
        bg = np.stack([xx * 8, yy * 10, np.full_like(xx, 60)], axis=-1).astype(np.uint8)
        colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
        frames = []
        for i, col in enumerate(colours):
            f = bg.copy()
            f[3 + 2 * i:11 + 2 * i, 2 + 6 * i:10 + 6 * i] = col
            f[H - 3:, :i + 1] = (255, 255, 255)
            frames.append(f)
        self.apng("apng_rgb.png", frames, "RGB", dict(duration=[100, 150, 200, 250], loop=0),
                  "RGB APNG, 4 frames (Pillow-written: frames 1.. are sub-rectangles), dispose NONE / blend SOURCE",
                  expect_equal_input=True)

        # 2. RGBA with default disposal/blend
        W, H = 31, 23
        frames = []
        for i in range(4):
            f = np.zeros((H, W, 4), np.uint8)
            f[..., 3] = 0
            f[2:8, :, :] = (0, 0, 128, 255)  # opaque band
            f[4 + 3 * i:12 + 3 * i, 3 + 5 * i:11 + 5 * i] = (200, 50 * i, 20, 128 + 40 * i)
            f[H - 2:, W - 2 - i:] = (255, 255, 255, 255)
            frames.append(f)
        self.apng("apng_rgba.png", frames, "RGBA", dict(duration=80, loop=3),
                  "RGBA APNG, 4 frames with semi-transparent squares, default dispose NONE / blend SOURCE",
                  expect_equal_input=True)

        # 3. RGBA exercising the dispose / blend ops
        W, H = 29, 19
        frames = []
        base = np.zeros((H, W, 4), np.uint8)
        base[:, :, :] = (30, 60, 90, 255)
        base[H // 2:, :, 3] = 100
        frames.append(base.copy())
        f = base.copy()
        f[2:9, 3:12] = (250, 10, 10, 128)
        frames.append(f)
        f = base.copy()
        f[5:14, 10:20] = (10, 250, 10, 255)
        frames.append(f)
        f = base.copy()
        f[8:17, 15:27] = (10, 10, 250, 60)
        frames.append(f)
        f = base.copy()
        f[0:4, 0:4] = (255, 255, 255, 255)
        frames.append(f)
        disposal = [D.OP_PREVIOUS, D.OP_NONE, D.OP_PREVIOUS, D.OP_BACKGROUND, D.OP_NONE]
        blend = [B.OP_SOURCE, B.OP_OVER, B.OP_SOURCE, B.OP_OVER, B.OP_SOURCE]
        self.apng("apng_rgba_ops.png", frames, "RGBA",
                  dict(duration=[40, 50, 60, 70, 80], loop=0, disposal=disposal, blend=blend),
                  "RGBA APNG, 5 frames, dispose [PREVIOUS(first frame: acts as BACKGROUND), NONE, PREVIOUS, "
                  "BACKGROUND, NONE], blend [SOURCE, OVER, SOURCE, OVER, SOURCE]; OVER follows Pillow: "
                  "every channel incl. alpha = div255(old*(255-a) + new*a), div255(x) = ((x+128) + ((x+128)>>8)) >> 8",
                  expect_equal_input=False)

    def apng(self, name, frames, mode, save_kw, note, expect_equal_input):
        path = self.path(name)
        ims = [Image.fromarray(f, mode) for f in frames]
        ims[0].save(path, save_all=True, append_images=ims[1:], **save_kw)
        assert os.path.getsize(path) <= MAX_FIXTURE_BYTES
        res = read_png(path)
        assert res["header"]["apng"] and res["reader"] == "pillow"
        got = res["frames"]
        assert len(got) == len(frames), (name, len(got))
        ours, fctl = composite_apng(path)
        for i, (g, o) in enumerate(zip(got, ours)):
            check_equal(name, f"composite_apng frame {i}", g, o)
        if expect_equal_input:
            for i, (g, f) in enumerate(zip(got, frames)):
                check_equal(name, f"input frame {i}", g, f)
        info = res["info"]
        ops = [{"x": f["x"], "y": f["y"], "w": f["w"], "h": f["h"], "dispose": f["dispose"], "blend": f["blend"]}
               for f in fctl]
        common_meta = {"n_frames": info["n_frames"], "loop": info["loop"], "durations": info["durations"]}
        stack = np.stack(got)
        last = len(got) - 1
        for index, arr, what in ((None, stack, "default read = all frames stacked (N,H,W,C)"),
                                 ("all", stack, "all frames stacked (N,H,W,C)"),
                                 (0, got[0], "frame 0"),
                                 (last, got[last], f"last frame ({last})")):
            case = {"file": name, "index": index, **array_summary(arr), "expect_from": "pillow",
                    "note": f"{note}; {what}; frames composited on the full canvas as Pillow's APNG reader does",
                    "bit_depth": res["header"]["bit_depth"], "color_type": res["header"]["color_type"],
                    "interlaced": res["header"]["interlaced"], **common_meta}
            if index is None:
                case["fctl"] = ops
                case["frame_sha256"] = [array_sha256(g) for g in got]
            self.cases.append(case)

    def apng_lowbit_interlaced_cases(self):
        """Adam7-interlaced APNGs with 1- and 2-bit samples, assembled from pypng-encoded frames
        (Pillow cannot decode interlaced APNG frames, so the expected frames come from the
        samples: full-canvas frames, dispose NONE / blend SOURCE)."""
        for name, bd, pal in (("apng_palette_2bit_interlaced.png", 2,
                               [(0, 0, 0), (250, 20, 20), (20, 250, 20), (20, 20, 250)]),
                              ("apng_gray_1bit_interlaced.png", 1, None)):
            rng = rng_for(name)
            H, W, N = 11, 13, 3
            samples = [rng.integers(0, 1 << bd, size=(H, W, 1)).astype(np.uint8) for _ in range(N)]
            encoded = [pypng_encode(f, greyscale=pal is None, alpha=False, bitdepth=bd, palette=pal,
                                    interlace=True) for f in samples]
            head = [(t, b) for t, b in iter_chunks(encoded[0]) if t not in (b"IDAT", b"IEND")]
            chunks = head[:1] + [(b"acTL", struct.pack(">II", N, 0))] + head[1:]
            seq = 0
            for i, data in enumerate(encoded):
                chunks.append((b"fcTL", struct.pack(">IIIIIHHBB", seq, W, H, 0, 0, 1, 10, 0, 0)))
                seq += 1
                for t, b in iter_chunks(data):
                    if t != b"IDAT":
                        continue
                    if i == 0:
                        chunks.append((b"IDAT", b))
                    else:
                        chunks.append((b"fdAT", struct.pack(">I", seq) + b))
                        seq += 1
            chunks.append((b"IEND", b""))
            self.write_bytes(name, assemble(chunks))
            if pal is None:
                frames = [f[..., 0].astype(bool) for f in samples]
            else:
                frames = [expect_palette(f, pal) for f in samples]
            stack = np.stack(frames)
            meta = {"n_frames": N, "loop": 0, "durations": [100.0] * N}
            note = (f"Adam7-interlaced {bd}-bit APNG, {N} full frames (dispose NONE, blend SOURCE); "
                    "expected from the samples")
            self.cases.append({"file": name, "index": None, **array_summary(stack), "expect_from": "samples",
                               "note": note + "; all frames stacked", "bit_depth": bd,
                               "color_type": 3 if pal else 0, "interlaced": True, **meta,
                               "frame_sha256": [array_sha256(f) for f in frames]})
            for i, f in enumerate(frames):
                self.cases.append({"file": name, "index": i, **array_summary(f), "expect_from": "samples",
                                   "note": f"{note}; frame {i}", **meta})

    def standard_cases(self):
        if not self.standard:
            return
        for fname in sorted(os.listdir(self.standard)):
            if not fname.lower().endswith(".png"):
                continue
            path = os.path.join(self.standard, fname)
            res = read_png(path)
            hdr = res["header"]
            assert not hdr["apng"]
            desc = f"{hdr['bit_depth']}-bit colour type {hdr['color_type']}"
            if res["reader"] == "pypng":
                note = f"standard image, {desc} with tRNS -> conventions need raw samples (pypng); Pillow drops the alpha"
            else:
                note = f"standard image, {desc}; Pillow read"
            self.add_still(fname, path, None, note, file_key=f"standard:{fname}", size_limit=False)

    def run(self):
        os.makedirs(self.out, exist_ok=True)
        self.bit_depth_matrix()
        self.trns_cases()
        self.metadata_cases()
        self.apng_cases()
        self.apng_lowbit_interlaced_cases()
        self.standard_cases()
        # every generated file must be in the manifest, nothing else may be lying around
        listed = {c["file"] for c in self.cases if not c["file"].startswith("standard:")}
        present = {f for f in os.listdir(self.out) if f.endswith(".png")}
        stale = present - listed
        for f in sorted(stale):
            os.remove(self.path(f))
        assert listed <= present
        info = {
            "generator": "xtask/python/gen_png.py",
            "versions": package_versions("numpy", "pillow", "pypng"),
        }
        write_manifest(self.path("manifest.json"), self.cases, info)
        return self.cases


def deterministic_srgb_icc() -> bytes:
    """LittleCMS' built-in sRGB profile with the creation date fixed to 2026-01-01."""
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
    if icc[8] >= 4:  # v4 profile: recompute the profile ID (MD5 with flags/intent/ID zeroed)
        tmp = bytearray(icc)
        tmp[44:48] = b"\0" * 4
        tmp[64:68] = b"\0" * 4
        tmp[84:100] = b"\0" * 16
        if any(icc[84:100]):
            icc[84:100] = hashlib.md5(bytes(tmp)).digest()
    return bytes(icc)


def check_equal(name: str, what: str, got: np.ndarray, expected: np.ndarray) -> None:
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.dtype != expected.dtype or got.shape != expected.shape or not np.array_equal(got, expected):
        raise AssertionError(
            f"{name}: {what} gives {got.dtype}{list(got.shape)}, expected {expected.dtype}{list(expected.shape)}"
            + ("" if got.shape != expected.shape else f" ({int((got != expected).sum())} values differ)"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder, e.g. fixtures/png")
    ap.add_argument("--standard", help="folder of the standard images (adds standard:NAME cases)")
    args = ap.parse_args(argv)
    cases = Generator(args.out, args.standard).run()
    print(f"wrote {len(cases)} cases to {os.path.join(args.out, 'manifest.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
