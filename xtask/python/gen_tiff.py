#!/usr/bin/env python3
"""Generate the TIFF fixtures (written by tifffile) and their manifest.

Usage (from the repo root)::

    python xtask/python/gen_tiff.py --out fixtures/tiff --standard /work/shared/fixtures/standard

Every fixture is written by tifffile (imagecodecs for the codecs) from seeded
random data and kept small.  The expected array of each case is what tifffile
reads back: ``TiffFile.series[k].asarray()`` (index k), ``pages[p].asarray()``
(option page), ``series[k].levels[l].asarray()`` (option level), or all series
stacked (index "all").  float16 data are widened to float32, because
imageio-rs has no float16 dtype.  Standard images (``standard:NAME``) are read
the same way.  Rerunning the script gives byte-identical files.
"""

from __future__ import annotations

import argparse
import os
import sys

import uuid

import numpy as np
import tifffile

# OME-XML carries a random UUID: make it fixed so reruns give identical files
uuid.uuid1 = uuid.uuid4 = lambda *a, **k: uuid.UUID(int=0x1234567890ABCDEF)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import _validate_case, array_sha256, package_versions  # noqa: E402


def write_manifest(path, cases, info):
    """Like common.write_manifest, but a case is keyed by (file, index, options)."""
    import json

    seen = set()
    for c in cases:
        _validate_case(c)
        key = (c["file"], json.dumps(c["index"]), json.dumps(c.get("options"), sort_keys=True))
        if key in seen:
            raise ValueError(f"duplicate manifest case {key}")
        seen.add(key)
    doc = dict(info)
    doc["cases"] = cases
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n")

DATETIME = "2015:05:09 09:08:29"


def rng(seed):
    return np.random.default_rng(seed)


def data(shape, dtype, seed=1):
    r = rng(seed)
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return r.integers(0, 2, shape).astype(bool)
    if dt.kind == "f":
        return (r.standard_normal(shape) * 100).astype(dt)
    info = np.iinfo(dt)
    return r.integers(info.min, info.max, shape, dtype=dt, endpoint=True)


def smooth(shape, dtype, seed=1):
    """Compressible data (gradients + a little noise) for codec cases."""
    r = rng(seed)
    grid = np.indices(shape).sum(axis=0).astype(np.float64)
    a = grid * 3 + r.integers(0, 4, shape)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (a / 7.0).astype(dt)
    return (a % (np.iinfo(dt).max if dt.itemsize == 1 else 4000)).astype(dt)


def smooth12(shape, seed=1):
    """12-bit data (0..4095) with gradients and a little noise, for 12-bit JPEG cases."""
    grid = np.indices(shape).sum(axis=0)
    return np.minimum(grid * 30 + rng(seed).integers(0, 16, shape), 4095).astype(np.uint16)


def jpeg_split_dqt(streams):
    """Complete JPEG streams -> (JPEGTables with their DQT segments, abbreviated streams)."""
    tables = None
    out = []
    for s in streams:
        i, tab, rest = 2, b"", b""
        while True:
            marker = s[i:i + 2]
            seg = s[i:i + 4 + int.from_bytes(s[i + 2:i + 4], "big") - 2]
            if marker == b"\xff\xdb":
                tab += seg
            elif marker == b"\xff\xda":
                rest += s[i:]
                break
            elif not 0xE0 <= marker[1] <= 0xEF:  # APPn (JFIF) dropped, like libtiff
                rest += seg
            i += len(seg)
        if tables not in (None, tab):
            raise ValueError("JPEG streams with different quantization tables")
        tables = tab
        out.append(b"\xff\xd8" + rest)
    return b"\xff\xd8" + tables + b"\xff\xd9", out


class Gen:
    def __init__(self, out, standard):
        self.out = out
        self.standard = standard
        self.cases = []

    def add(self, file, arr, index=None, note="", options=None, meta=None, props=None, expect_from="tifffile"):
        arr = np.asarray(arr)
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
            expect_from = "tifffile (float16 widened to float32)"
        c = {
            "file": file,
            "index": index,
            "shape": [int(n) for n in arr.shape],
            "dtype": str(arr.dtype),
            "sha256": array_sha256(arr),
            "expect_from": expect_from,
            "note": note,
        }
        if options:
            c["options"] = options
        if file.startswith("jpeg12"):
            # 12-bit JPEG: libjpeg-turbo decodes on both sides (imagecodecs here, the `turbo`
            # feature of imageio-tiff there): the pixels must be identical (sha256)
            c["requires"] = "turbo"
        elif file.startswith("jpeg"):
            # lossy: decoders differ by rounding; keep tifffile's pixels for a tolerance check
            raw = file.replace(".tif", f".s{index}.expected.raw")
            with open(os.path.join(self.out, raw), "wb") as f:
                f.write(np.ascontiguousarray(arr).tobytes())
            c["tolerance"] = {"raw": raw, "max_abs": 4, "mean_abs": 0.25}
        if meta:
            c["meta"] = meta
        if props:
            c["props"] = props
        self.cases.append(c)

    def write(self, name, arrays, writer_kw=None, note="", meta_first=None, cases=True, **kw):
        """Write `arrays` (each one write call with its own kwargs) and add a case per series."""
        path = os.path.join(self.out, name)
        with tifffile.TiffWriter(path, **(writer_kw or {})) as tw:
            for a, k in arrays:
                tw.write(a, **{**kw, **k})
        if cases:
            self.add_series_cases(name, path, note, meta_first)
        return path

    def add_series_cases(self, name, path, note, meta_first=None):
        with tifffile.TiffFile(path) as tf:
            for k, s in enumerate(tf.series):
                m = dict(meta_first or {}) if k == 0 else None
                props = {"axes": s.axes}
                self.add(name, s.asarray(), index=k, note=f"{note} (series {k}, {s.kind})", meta=m, props=props)


OME_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"{uuid}>')


def ome_pixels(order, sizes, dtype, tiffdata, name="img"):
    """One Image/Pixels element; sizes is {X, Y, Z, C, T}; tiffdata the TiffData elements."""
    attrs = " ".join(f'Size{k}="{v}"' for k, v in sizes.items())
    chans = "".join(f'<Channel ID="Channel:0:{c}" SamplesPerPixel="1"/>' for c in range(sizes["C"]))
    return (f'<Image ID="Image:0" Name="{name}"><Pixels ID="Pixels:0" DimensionOrder="{order}" '
            f'Type="{dtype}" {attrs}>{chans}{"".join(tiffdata)}</Pixels></Image>')


def ome_planes(g):
    """TCZ = (2, 3, 2) planes of 10x12 uint16, DimensionOrder XYZCT, stored in a scrambled
    page order; every TiffData maps one IFD to its (FirstZ, FirstC, FirstT)."""
    t, c, z = 2, 3, 2
    full = data((t, c, z, 10, 12), "uint16", 21)
    planes = [(ti, ci, zi) for ti in range(t) for ci in range(c) for zi in range(z)]
    order = list(rng(5).permutation(len(planes)))
    tds = []
    for ifd, k in enumerate(order):
        ti, ci, zi = planes[k]
        tds.append(f'<TiffData IFD="{ifd}" FirstZ="{zi}" FirstC="{ci}" FirstT="{ti}" PlaneCount="1"/>')
    xml = OME_HEAD.format(uuid="") + ome_pixels("XYZCT", {"X": 12, "Y": 10, "Z": z, "C": c, "T": t}, "uint16", tds) + "</OME>"
    path = os.path.join(g.out, "ome_planes.ome.tif")
    with tifffile.TiffWriter(path) as tw:
        for ifd, k in enumerate(order):
            ti, ci, zi = planes[k]
            kw = dict(description=xml) if ifd == 0 else {}
            tw.write(full[ti, ci, zi], metadata=None, photometric="minisblack", **kw)
    with tifffile.TiffFile(path) as tf:
        s = tf.series[0]
        got = s.asarray()
        assert s.kind == "ome" and s.axes == "TCZYX" and np.array_equal(got, full), (s.kind, s.axes)
    g.add("ome_planes.ome.tif", full, index=0, note="ome planes out of order (TiffData IFD/FirstZ/FirstC/FirstT)",
          props={"axes": "TCZYX"}, meta={"is_ome": True})


def ome_multifile(g):
    t, c = 4, 2
    full = data((t, c, 8, 9), "uint8", 22)
    u_master = "urn:uuid:00000000-0000-0000-0000-00000000000a"
    u_comp = "urn:uuid:00000000-0000-0000-0000-00000000000b"
    u_missing = "urn:uuid:00000000-0000-0000-0000-00000000000c"
    tds = [
        # T=0: the master's own IFDs 0..1 (C=0, 1)
        f'<TiffData IFD="0" FirstT="0" FirstC="0" PlaneCount="2"><UUID FileName="ome_multi_master.ome.tif">{u_master}</UUID></TiffData>',
        # T=1, T=2: the companion's IFDs 2..3 then 0..1 (so its pages are used out of order too)
        f'<TiffData IFD="2" FirstT="1" FirstC="0" PlaneCount="2"><UUID FileName="ome_multi_companion.tif">{u_comp}</UUID></TiffData>',
        f'<TiffData IFD="0" FirstT="2" FirstC="0" PlaneCount="2"><UUID FileName="ome_multi_companion.tif">{u_comp}</UUID></TiffData>',
        # T=3: a missing file
        f'<TiffData IFD="0" FirstT="3" FirstC="0" PlaneCount="2"><UUID FileName="ome_multi_missing.tif">{u_missing}</UUID></TiffData>',
    ]
    xml = (OME_HEAD.format(uuid=f' UUID="{u_master}"')
           + ome_pixels("XYCZT", {"X": 9, "Y": 8, "Z": 1, "C": c, "T": t}, "uint8", tds) + "</OME>")
    master = os.path.join(g.out, "ome_multi_master.ome.tif")
    with tifffile.TiffWriter(master) as tw:
        tw.write(full[0, 0], description=xml, metadata=None, photometric="minisblack")
        tw.write(full[0, 1], metadata=None, photometric="minisblack")
    comp = os.path.join(g.out, "ome_multi_companion.tif")
    with tifffile.TiffWriter(comp) as tw:
        for ti, ci in [(2, 0), (2, 1), (1, 0), (1, 1)]:
            tw.write(full[ti, ci], metadata=None, photometric="minisblack")
    expected = full.copy()
    expected[3] = 0  # the planes of the missing file are zero (tifffile)
    import logging
    logging.getLogger("tifffile").setLevel(logging.ERROR)
    with tifffile.TiffFile(master) as tf:
        s = tf.series[0]
        got = s.asarray()
        assert s.axes == "TCYX" and np.array_equal(got, expected), (s.axes, got.shape)
    g.add("ome_multi_master.ome.tif", expected, index=0, note="multi-file OME (UUID FileName), one file missing",
          props={"axes": "TCYX"}, meta={"is_ome": True})


def rename_tag(path, code, new_code):
    """Give tag `code` of the first IFD (classic little-endian TIFF) the unknown code `new_code`
    (a file without that tag; IFD order stays sorted when new_code is larger than the rest)."""
    import struct

    raw = bytearray(open(path, "rb").read())
    assert raw[:4] == b"II*\0"
    ifd = struct.unpack("<I", raw[4:8])[0]
    (n,) = struct.unpack("<H", raw[ifd:ifd + 2])
    for i in range(n):
        e = ifd + 2 + 12 * i
        if struct.unpack("<H", raw[e:e + 2])[0] == code:
            raw[e:e + 2] = struct.pack("<H", new_code)
    # keep the entries sorted by code
    entries = sorted((bytes(raw[ifd + 2 + 12 * i: ifd + 14 + 12 * i]) for i in range(n)),
                     key=lambda b: struct.unpack("<H", b[:2])[0])
    raw[ifd + 2: ifd + 2 + 12 * n] = b"".join(entries)
    open(path, "wb").write(bytes(raw))


def missing_bytecounts_cases(g):
    """Uncompressed pages without StripByteCounts/TileByteCounts (tifffile and libtiff take each
    segment as exactly its pixels)."""
    from PIL import Image

    a = data((13, 19), "uint8", 41)
    for name, arr, kw, code, expect_from in (
        ("no_stripbytecounts.tif", a, {}, 279, "tifffile"),
        # tifffile takes the whole image for the first tile's size and fails; Pillow/libtiff read it
        ("no_tilebytecounts.tif", a, dict(tile=(16, 16)), 325, "pillow"),
        # tifffile reads only the first strip here (the rest zero-filled); Pillow/libtiff read all
        ("no_stripbytecounts_strips.tif", a, dict(rowsperstrip=5), 279, "pillow"),
    ):
        path = os.path.join(g.out, name)
        tifffile.imwrite(path, arr, metadata=None, software=False, **kw)
        rename_tag(path, code, 65000)
        if expect_from == "tifffile":
            got = tifffile.imread(path)
        else:
            got = np.asarray(Image.open(path))
        assert np.array_equal(got, arr), name
        g.add(name, arr, index=0, expect_from=expect_from,
              note=f"uncompressed, tag {code} missing (renamed to 65000): segments hold exactly their pixels")


def text_encoding_cases(g):
    """ASCII tags holding non-ASCII bytes: UTF-8, and Windows-1252 as older software writes it
    (tifffile decodes both)."""
    for name, desc in (("desc_utf8.tif", "Grüße ✓".encode()), ("desc_cp1252.tif", b"Caf\xe9 \x80 \x99 \xa9")):
        path = os.path.join(g.out, name)
        a = data((5, 6), "uint8", 60)
        tifffile.imwrite(path, a, description=b"x" * len(desc), metadata=None, software=False)
        raw = bytearray(open(path, "rb").read())
        i = raw.find(b"x" * len(desc))
        raw[i:i + len(desc)] = desc
        open(path, "wb").write(bytes(raw))
        with tifffile.TiffFile(path) as tf:
            text = tf.pages[0].description
        assert text and "x" not in text, text
        g.add(name, a, index=0, note=f"ImageDescription bytes {desc!r}: tifffile reads {text!r}",
              meta={"description": text})


def pillow_cases(g):
    """TIFFs written by Pillow with its compressions; expected values from tifffile."""
    from PIL import Image

    yy, xx = np.mgrid[0:32, 0:40]
    r = rng(31)
    # smooth channels that stay in range (no wrap-around edges: JPEG cases compare with tolerance)
    rgba = np.stack([xx * 5 + 20, yy * 6 + 10, 200 - xx * 3 - yy, 60 + (xx + yy) * 3], axis=-1)
    rgba = (rgba + r.integers(0, 3, rgba.shape)).astype(np.uint8)
    cases = [
        # RGB + alpha as a 4-component JPEG without a colour transform (libtiff's way)
        ("jpeg_pillow_rgba.tif", Image.fromarray(rgba), "jpeg"),
        ("jpeg_pillow_rgb.tif", Image.fromarray(np.ascontiguousarray(rgba[..., :3])), "jpeg"),
        ("jpeg_pillow_cmyk.tif", Image.fromarray(rgba).convert("RGB").convert("CMYK"), "jpeg"),
        ("pillow_rgba_lzw.tif", Image.fromarray(rgba), "tiff_lzw"),
        ("pillow_la_adobe_deflate.tif", Image.fromarray(np.ascontiguousarray(rgba[..., 2:])), "tiff_adobe_deflate"),
        ("pillow_i16_packbits.tif", Image.fromarray(rgba[..., 0].astype(np.uint16) * 250), "packbits"),
        ("pillow_bilevel_deflate.tif", Image.fromarray(r.integers(0, 2, (32, 40)).astype(bool)), "tiff_deflate"),
        ("pillow_palette.tif", Image.fromarray(np.ascontiguousarray(rgba[..., :3])).quantize(16), None),
    ]
    for name, im, comp in cases:
        path = os.path.join(g.out, name)
        if comp:
            im.save(path, compression=comp)
        else:
            im.save(path)
        with tifffile.TiffFile(path) as tf:
            g.add(name, tf.series[0].asarray(), index=0, note=f"written by Pillow, mode {im.mode}, compression {comp}")

    # CCITT bilevel (what scanners and Pillow's group3/group4 write), also with FillOrder 2 and
    # several strips; tifffile (imagecodecs) and Pillow read the same pixels
    bits = np.kron(r.integers(0, 2, (9, 11)), np.ones((5, 7), np.uint8)).astype(bool)
    bits[::3, ::2] ^= True
    bits[:, -3:] = True
    im = Image.fromarray(bits)
    for name, kw in (("pillow_group4.tif", dict(compression="group4")),
                     ("pillow_group3.tif", dict(compression="group3")),
                     ("pillow_group4_fillorder2.tif", dict(compression="group4", tiffinfo={266: 2})),
                     ("pillow_group3_fillorder2_strips.tif", dict(compression="group3", tiffinfo={266: 2, 278: 8}))):
        path = os.path.join(g.out, name)
        im.save(path, **kw)
        with tifffile.TiffFile(path) as tf:
            got = tf.series[0].asarray()
        assert np.array_equal(got, bits) and np.array_equal(np.asarray(Image.open(path)), bits), name
        g.add(name, got, index=0, note=f"1-bit written by Pillow with {kw}")

    # FillOrder 2 (LSB first): libtiff and tifffile reverse the stored bytes before decompressing
    from PIL import TiffImagePlugin

    gray = smooth((21, 30), "uint8", 6)
    for name, arr, comp in (("pillow_fillorder2_lzw_1bit.tif", bits, "tiff_lzw"),
                            ("pillow_fillorder2_deflate_1bit.tif", bits, "tiff_adobe_deflate"),
                            ("pillow_fillorder2_packbits_1bit.tif", bits, "packbits"),
                            ("pillow_fillorder2_lzw.tif", gray, "tiff_lzw"),
                            ("pillow_fillorder2_none.tif", gray, None)):
        path = os.path.join(g.out, name)
        TiffImagePlugin.WRITE_LIBTIFF = True
        try:
            Image.fromarray(arr).save(path, compression=comp, tiffinfo={266: 2})
        finally:
            TiffImagePlugin.WRITE_LIBTIFF = False
        with tifffile.TiffFile(path) as tf:
            assert tf.pages[0].fillorder == 2, name
            got = tf.series[0].asarray()
        assert np.array_equal(got, arr) and np.array_equal(np.asarray(Image.open(path)), arr), name
        g.add(name, got, index=0, note=f"written by Pillow (libtiff) with FillOrder 2, compression {comp}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="fixtures/tiff")
    ap.add_argument("--standard", default="/work/shared/fixtures/standard")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):
        if f.endswith((".tif", ".tiff", ".btf", ".raw")):
            os.remove(os.path.join(args.out, f))
    g = Gen(args.out, args.standard)
    W = dict(datetime=DATETIME)

    # every dtype, both byte orders
    for dt in ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "bool"]:
        a = data((5, 7), dt, seed=len(dt))
        g.write(f"dtype_{dt}.tif", [(a, {})], note=f"{dt} gray", **W)
        g.write(f"dtype_{dt}_be.tif", [(a, {})], writer_kw=dict(byteorder=">"), note=f"{dt} big endian", **W)

    # compression x predictor, strips (several) and tiles
    codecs = ["none", "lzw", "zlib", "zstd", "packbits"]
    for comp in codecs:
        for dt, pred in [("uint8", None), ("uint8", 2), ("uint16", None), ("uint16", 2), ("int32", 2), ("float32", None), ("float32", 3), ("float64", 3)]:
            if comp in ("none", "packbits") and pred:
                continue
            a = smooth((40, 34, 3) if dt == "uint8" else (40, 34), dt, seed=3)
            kw = dict(compression=None if comp == "none" else comp, predictor=pred, rowsperstrip=8)
            if a.ndim == 3:
                kw["photometric"] = "rgb"
            g.write(f"comp_{comp}_{dt}_p{pred or 1}.tif", [(a, {})], note=f"{comp} predictor {pred} strips", **kw)
            g.write(f"comp_{comp}_{dt}_p{pred or 1}_tiled.tif", [(a, {})], note=f"{comp} predictor {pred} tiles",
                    **{**kw, "rowsperstrip": None, "tile": (16, 16)})
    # big-endian compressed with predictor
    g.write("comp_zlib_uint16_p2_be.tif", [(smooth((33, 20), "uint16"), {})], writer_kw=dict(byteorder=">"),
            compression="zlib", predictor=2, rowsperstrip=5, note="big endian deflate predictor")
    g.write("comp_lzw_float32_p3_be.tif", [(smooth((33, 20), "float32"), {})], writer_kw=dict(byteorder=">"),
            compression="lzw", predictor=3, tile=(16, 16), note="big endian float predictor tiles")
    # JPEG: gray and RGB (YCbCr subsampled by default in tifffile)
    g.write("jpeg_gray.tif", [(smooth((48, 40), "uint8"), {})], compression="jpeg", rowsperstrip=16, note="jpeg gray")
    g.write("jpeg_rgb.tif", [(smooth((48, 64, 3), "uint8"), {})], compression="jpeg", photometric="rgb", rowsperstrip=16, note="jpeg ycbcr")
    g.write("jpeg_rgb_tiled.tif", [(smooth((48, 64, 3), "uint8"), {})], compression="jpeg", photometric="rgb", tile=(32, 32), note="jpeg tiles")
    # 12-bit JPEG (uint16 + bitspersample=12, libjpeg-turbo 3 in imagecodecs): gray and RGB
    # (YCbCr 2x2 and 2x1), strips and tiles, and tiles with shared JPEGTables
    j12 = dict(compression="jpeg", bitspersample=12)
    g12 = smooth12((48, 40), seed=11)
    c12 = smooth12((48, 64, 3), seed=12)
    g.write("jpeg12_gray.tif", [(g12, {})], rowsperstrip=16, note="12-bit jpeg gray strips", **j12)
    g.write("jpeg12_gray_tiled.tif", [(g12, {})], tile=(32, 32), note="12-bit jpeg gray tiles", **j12)
    g.write("jpeg12_rgb.tif", [(c12, {})], photometric="rgb", rowsperstrip=16, note="12-bit jpeg ycbcr 2x2 strips", **j12)
    g.write("jpeg12_rgb_422.tif", [(c12, {})], photometric="rgb", subsampling=(2, 1), rowsperstrip=16,
            note="12-bit jpeg ycbcr 2x1 strips", **j12)
    p = g.write("jpeg12_rgb_tiled.tif", [(c12, {})], photometric="rgb", tile=(32, 32), note="12-bit jpeg ycbcr tiles", **j12)
    with tifffile.TiffFile(p) as tf:
        pg = tf.pages[0]
        with open(p, "rb") as fh:
            raw = fh.read()
        tables, streams = jpeg_split_dqt([raw[o:o + n] for o, n in zip(pg.dataoffsets, pg.databytecounts)])
    # the same tiles as abbreviated streams + JPEGTables (the quantization tables; the Huffman
    # tables are optimized per tile by imagecodecs, so they stay in the streams)
    g.write("jpeg12_rgb_tables.tif", [(iter(streams), {})], shape=c12.shape, dtype="uint16", photometric="ycbcr",
            subsampling=(2, 2), tile=(32, 32), jpegtables=tables, note="12-bit jpeg tiles with JPEGTables", **j12)

    # photometric variants
    g.write("rgb.tif", [(data((9, 11, 3), "uint8"), {})], photometric="rgb", note="rgb contig")
    g.write("rgba.tif", [(data((9, 11, 4), "uint8"), {})], photometric="rgb", extrasamples=["unassalpha"], note="rgba")
    g.write("rgb_planar.tif", [(data((3, 9, 11), "uint16"), {})], photometric="rgb", planarconfig="separate", note="planar")
    g.write("rgb_planar_lzw_tiled.tif", [(smooth((3, 40, 36), "uint16"), {})], photometric="rgb", planarconfig="separate",
            compression="lzw", tile=(16, 16), note="planar tiles")
    g.write("miniswhite.tif", [(data((9, 11), "uint8"), {})], photometric="miniswhite", note="miniswhite raw values")
    g.write("cmyk.tif", [(data((9, 11, 4), "uint8"), {})], photometric="separated", note="cmyk")
    cmap = (np.arange(3 * 256, dtype=np.uint16).reshape(3, 256) * 77) % 65535
    pal = data((9, 11), "uint8")
    g.write("palette.tif", [(pal, {})], photometric="palette", colormap=cmap, note="palette indices")
    g.add("palette.tif", np.moveaxis(cmap[:, pal], 0, -1), index=0, options={"apply_colormap": True}, note="palette applied")
    g.write("packed4.tif", [(data((9, 11), "uint8") % 16, {})], bitspersample=4, note="4-bit packed")
    g.write("packed12.tif", [(data((9, 11), "uint16") % 4096, {})], bitspersample=12, note="12-bit packed")
    g.write("bilevel.tif", [(data((13, 21), "bool"), {})], note="1 bit")

    # BigTIFF, volumetric, tiles with depth
    g.write("bigtiff.tif", [(data((3, 10, 12), "uint16"), {})], writer_kw=dict(bigtiff=True), photometric="minisblack", note="bigtiff volume")
    g.write("bigtiff_be_tiled.tif", [(smooth((40, 40), "int16"), {})], writer_kw=dict(bigtiff=True, byteorder=">"),
            tile=(16, 16), compression="zlib", note="bigtiff be tiled")
    g.write("volumetric.tif", [(data((4, 20, 18), "uint8"), {})], volumetric=True, photometric="minisblack", note="ImageDepth")
    g.write("volumetric_tiled.tif", [(smooth((4, 40, 36), "uint16"), {})], volumetric=True, tile=(2, 16, 16), photometric="minisblack",
            compression="zlib", note="tile depth")

    # shaped N-d, multiple series, truncated, contiguous
    g.write("shaped_nd.tif", [(data((2, 3, 4, 8, 10), "uint16"), {})], note="shaped 5-d",
            meta_first={"is_shaped": True})
    g.write("shaped_rgb_stack.tif", [(data((6, 12, 14, 3), "uint8"), {})], photometric="rgb", note="shaped rgb volume")
    g.write("three_series.tif", [(data((4, 25, 25, 3), "uint8", 1), {}), (data((25, 25, 3), "uint8", 2), {}),
                                 (data((12, 7, 3), "uint8", 3), {})], photometric="rgb", note="three writes")
    path = os.path.join(g.out, "three_series.tif")
    with tifffile.TiffFile(path) as tf:
        for p in range(len(tf.pages)):
            g.add("three_series.tif", tf.pages[p].asarray(), index="all", options={"page": p}, note=f"flat page {p}")
        g.add("three_series.tif", tf.series[0].pages[1].asarray(), index=0, options={"page": 1}, note="page 1 of series 0")
    g.write("truncated.tif", [(data((5, 16, 12), "uint16"), {})], truncate=True, note="truncated shaped series")
    with tifffile.TiffWriter(os.path.join(g.out, "contiguous.tif")) as tw:
        tw.write(data((16, 12), "uint8", 1), contiguous=True)
        tw.write(data((16, 12), "uint8", 2), contiguous=True)
        tw.write(data((16, 12), "uint8", 3), contiguous=True)
    g.add_series_cases("contiguous.tif", os.path.join(g.out, "contiguous.tif"), "contiguous series")
    g.write("generic_pages.tif", [(data((10, 12), "uint8", i), {"metadata": None}) for i in range(3)]
            + [(data((7, 5), "uint16", 9), {"metadata": None})], note="no metadata: generic series")
    with tifffile.TiffFile(os.path.join(g.out, "generic_pages.tif")) as tf:
        g.add("generic_pages.tif", tf.pages[3].asarray(), index="all", options={"page": 3}, note="flat page 3")
    # generic series group pages by tifffile's page.hash: storage (compression, rows per strip,
    # predictor) splits pages of one shape into several series; equal pages need not be adjacent
    storage = [dict(compression=None), dict(compression="zlib"), dict(compression="zlib"),
               dict(compression=None), dict(compression="zlib", rowsperstrip=4),
               dict(compression="zlib", predictor=True), dict(compression="lzw")]
    g.write("generic_storage.tif", [(data((10, 12), "uint8", 50 + i), {"metadata": None, **kw})
                                    for i, kw in enumerate(storage)],
            note="no metadata, pages differing in storage: generic series by tifffile's page.hash")
    with tifffile.TiffFile(os.path.join(g.out, "generic_storage.tif")) as tf:
        assert [len(s.pages) for s in tf.series] == [2, 2, 1, 1, 1], [len(s.pages) for s in tf.series]
    g.write("stack_all.tif", [(data((6, 7), "int16", i), {}) for i in range(3)], note="equal series")
    with tifffile.TiffFile(os.path.join(g.out, "stack_all.tif")) as tf:
        g.add("stack_all.tif", np.stack([s.asarray() for s in tf.series]), index="all", note="all series stacked")

    # ImageJ hyperstacks
    ij = data((2, 3, 2, 10, 12), "uint16", 5)
    g.write("imagej_tzcyx.tif", [(ij, {})], writer_kw=dict(imagej=True), resolution=(2.0, 2.0),
            metadata={"axes": "TZCYX", "spacing": 3.5, "unit": "um", "finterval": 0.25,
                      "Labels": [f"l{i}" for i in range(12)], "Ranges": (0.0, 1000.0, 5.0, 900.0),
                      "LUTs": [np.tile(np.arange(256, dtype=np.uint8), (3, 1)), np.zeros((3, 256), np.uint8)]},
            note="imagej TZCYX", meta_first={"is_imagej": True})
    g.write("imagej_rgb.tif", [(data((3, 10, 12, 3), "uint8", 6), {})], writer_kw=dict(imagej=True), photometric="rgb",
            metadata={"axes": "ZYXS"}, note="imagej rgb")
    g.write("imagej_float.tif", [(data((4, 10, 12), "float32", 7), {})], writer_kw=dict(imagej=True), metadata={"axes": "TYX"}, note="imagej float")

    # OME-TIFF with two series
    path = os.path.join(g.out, "ome_two.ome.tif")
    with tifffile.TiffWriter(path, ome=True) as tw:
        tw.write(data((2, 3, 10, 12), "uint16", 8), metadata={"axes": "ZCYX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.25,
                                                               "PhysicalSizeZ": 2.0, "Name": "first"})
        tw.write(data((4, 8, 6, 3), "uint8", 9), photometric="rgb", metadata={"axes": "TYXS", "Name": "second"})
    g.add_series_cases("ome_two.ome.tif", path, "ome", {"is_ome": True})

    # OME-TIFF written by hand: planes stored out of order and mapped by TiffData IFD/First*
    ome_planes(g)
    # multi-file OME-TIFF: the master holds T=0, the companion (UUID FileName) T=1 and T=2;
    # a third TiffData names a file that does not exist (tifffile zero-fills those planes)
    ome_multifile(g)

    # SubIFD pyramid
    path = os.path.join(g.out, "pyramid.tif")
    base = smooth((64, 48), "uint8", 4)
    with tifffile.TiffWriter(path) as tw:
        tw.write(base, subifds=2, tile=(16, 16), compression="zlib")
        tw.write(base[::2, ::2], subfiletype=1, tile=(16, 16), compression="zlib")
        tw.write(base[::4, ::4], subfiletype=1, tile=(16, 16), compression="zlib")
    with tifffile.TiffFile(path) as tf:
        s = tf.series[0]
        g.add("pyramid.tif", s.asarray(), index=0, note="pyramid level 0")
        for lv in range(1, len(s.levels)):
            g.add("pyramid.tif", s.levels[lv].asarray(), index=0, options={"level": lv}, note=f"pyramid level {lv}")

    # Files written by Pillow (libtiff underneath): what most users' TIFFs come from
    pillow_cases(g)
    missing_bytecounts_cases(g)
    text_encoding_cases(g)

    # metadata case (upstream test_metadata_reading)
    g.write("meta.tif", [(data((2, 3, 10, 10), "uint8"), {})], description="shape=(2,3,10,10)", software="tifffile.py",
            resolution=(72.0, 36.0), resolutionunit="inch", metadata=None, datetime=DATETIME,
            note="description, datetime, software, resolution",
            meta_first={"description": "shape=(2,3,10,10)", "software": "tifffile.py",
                        "datetime": "2015-05-09T09:08:29", "resolution": [72.0, 36.0], "resolution_unit": 2})

    # standard images
    for name in ["multipage.tif", "multipage_rgb.tif", "calcium_imaging.tif", "fei-sem-rbc.tif", "geotiff.tif"]:
        p = os.path.join(args.standard, name)
        with tifffile.TiffFile(p) as tf:
            for k, s in enumerate(tf.series):
                g.add(f"standard:{name}", s.asarray(), index=k, note=f"standard image, series {k} ({s.kind})", props={"axes": s.axes})
            if len(tf.pages) > 1:
                g.add(f"standard:{name}", tf.pages[1].asarray(), index=0, options={"page": 1}, note="page 1")

    write_manifest(os.path.join(args.out, "manifest.json"), g.cases,
                   {"generator": "xtask/python/gen_tiff.py", "versions": package_versions("numpy", "tifffile", "imagecodecs", "pillow")})
    print(f"{len(g.cases)} cases")


if __name__ == "__main__":
    main()
