#!/usr/bin/env python3
"""Read TIFF files written by imageio-rs with tifffile and report what tifffile sees, as JSON.

Usage: check_tiff.py FILE [FILE ...]   (prints {"FILE": report, ...} on stdout)
       check_tiff.py --summary FILE PAGE [PAGE ...]
         flags and series shapes without reading the series, and the sha256 of the given pages
       check_tiff.py --jpeg-reference SPEC.json
         SPEC is a list of {"raw", "shape", "kwargs"}: each raw uint8 image is written by tifffile
         with compression="jpeg" and the kwargs; prints [{"psnr", "size"}, ...].
       check_tiff.py --returnoffset SPEC.json
         SPEC is a list of files, each a list of writes {"shape", "dtype", "kwargs"}; every file is
         written with one tifffile.TiffWriter and what each write returns with returnoffset=True
         is printed: [[offset, bytecount] or null, ...] per file (tifffile's own semantics).
       check_tiff.py --tifffile-write SPEC.json
         SPEC is a list of {"raw", "dtype", "shape", "kwargs", "out"}: each raw little-endian
         array is written by tifffile.imwrite(out, array, **kwargs) (lists become tuples), to be
         compared with our file of the same data and options; prints the list of outputs.
       check_tiff.py --segments OUT.tif RAW DTYPE SHAPE_JSON KWARGS_JSON
         tifffile writes the array to OUT.tif with the kwargs and prints the raw segments of
         its pages as {"offsets", "bytecounts", "jpegtables", "shape", "dtype", "sha256"};
         JPEG segments are also split into shared tables and abbreviated streams:
         "split": {"jpegtables": hex, "segments": [hex, ...]} (what libtiff writes).

A report has, per series, shape, dtype, sha256 (common.array_sha256), axes and kind, the
SubIFD levels, the file flags, the first page's tags (description, software, datetime,
resolution, compression, predictor, ...), every tag code with its value where it is simple,
ImageJ metadata and the OME physical sizes.  With CHECK_TIFF_DUMP=1 in the environment the
pixels of series k are also written to FILE.s{k}.raw (little-endian, C order).  Errors are reported as {"error": "..."}.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import array_sha256, bytes_sha256  # noqa: E402


def simple(v):
    if isinstance(v, (bytes, bytearray)):
        return {"sha256": bytes_sha256(v), "len": len(v)}
    if isinstance(v, np.ndarray):
        return {"sha256": array_sha256(v), "shape": list(v.shape), "dtype": str(v.dtype)}
    if isinstance(v, (list, tuple)):
        return [simple(x) for x in v]
    if isinstance(v, dict):
        return {str(k): simple(x) for k, x in v.items()}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if hasattr(v, "value") and not isinstance(v, (int, float, str)):
        return int(v.value)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


def first_page(p):
    """The tags of a series' first page that per-write options change."""
    return {
        "compression": int(p.compression), "predictor": int(p.predictor), "photometric": int(p.photometric),
        "description": p.description, "software": p.software,
        "datetime": p.tags["DateTime"].value if "DateTime" in p.tags else None,
        "rowsperstrip": int(p.rowsperstrip), "tilewidth": int(p.tilewidth), "tilelength": int(p.tilelength),
        "resolution": list(p.resolution), "subsampling": list(p.subsampling) if p.subsampling else None,
        "jpegtables": simple(p.jpegtables) if p.jpegtables is not None else None,
        "tags": {str(t.code): simple(t.value) for t in p.tags.values() if t.code >= 65000},
    }


def report(path):
    out = {}
    with tifffile.TiffFile(path) as tf:
        out["byteorder"] = tf.byteorder
        for flag in ("is_bigtiff", "is_imagej", "is_ome", "is_shaped"):
            out[flag] = bool(getattr(tf, flag))
        out["n_pages"] = len(tf.pages)
        out["series"] = []
        for k, s in enumerate(tf.series):
            a = s.asarray()
            if os.environ.get("CHECK_TIFF_DUMP"):
                # the decoded pixels for the caller's own comparison (e.g. PSNR of lossy data)
                a.astype(a.dtype.newbyteorder("<"), copy=False).tofile(f"{path}.s{k}.raw")
            out["series"].append({
                "shape": list(a.shape), "dtype": str(a.dtype), "sha256": array_sha256(a),
                "axes": s.axes, "kind": s.kind,
                "levels": [{"shape": list(lv.shape), "sha256": array_sha256(lv.asarray())} for lv in s.levels[1:]],
                "page": first_page(s.pages[0]),
            })
        p = tf.pages[0]
        out["page0"] = {
            "description": p.description, "description1": p.description1, "software": p.software,
            "datetime": p.tags["DateTime"].value if "DateTime" in p.tags else None,
            "compression": int(p.compression), "predictor": int(p.predictor), "photometric": int(p.photometric),
            "planarconfig": int(p.planarconfig), "bitspersample": int(p.bitspersample),
            "rowsperstrip": int(p.rowsperstrip), "tilewidth": int(p.tilewidth), "tilelength": int(p.tilelength),
            "imagedepth": int(p.imagedepth), "extrasamples": simple(p.extrasamples), "subfiletype": int(p.subfiletype),
            "resolution": list(p.resolution), "resolutionunit": int(p.resolutionunit),
            "tags": {str(t.code): simple(t.value) for t in p.tags.values()
                     if t.code not in (273, 279, 324, 325, 270, 330)},
        }
        if p.colormap is not None:
            out["page0"]["colormap"] = simple(p.colormap)
        if p.iccprofile is not None:
            out["page0"]["iccprofile"] = simple(p.iccprofile)
        if tf.is_imagej:
            out["imagej"] = simple(tf.imagej_metadata)
        if tf.is_ome:
            import xml.etree.ElementTree as ET
            root = ET.fromstring(tf.ome_metadata)
            ims = []
            for px in root.iter():
                if px.tag.endswith("Pixels"):
                    ims.append({k: px.attrib[k] for k in px.attrib if k.startswith(("Physical", "Size", "Dimension", "Type"))})
            out["ome"] = ims
    return out


def returnoffsets(spec_path):
    import tempfile
    import warnings

    with open(spec_path) as fh:
        spec = json.load(fh)
    out = []
    with tempfile.TemporaryDirectory() as d:
        for k, writes in enumerate(spec):
            got = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with tifffile.TiffWriter(os.path.join(d, f"{k}.tif")) as tw:
                    for w in writes:
                        a = np.ones(w["shape"], dtype=w["dtype"])
                        kw = {k2: tuple(v) if isinstance(v, list) else v for k2, v in w["kwargs"].items()}
                        r = tw.write(a, returnoffset=True, **kw)
                        got.append(None if r is None else [int(r[0]), int(r[1])])
            out.append(got)
    return out


def jpeg_reference(spec_path):
    """PSNR of tifffile's own JPEG TIFF (libjpeg via imagecodecs) for each {"raw", "shape",
    "kwargs"}: the reference our encoder is compared with."""
    import tempfile
    import warnings

    with open(spec_path) as fh:
        spec = json.load(fh)
    out = []
    with tempfile.TemporaryDirectory() as d:
        for k, item in enumerate(spec):
            a = np.fromfile(item["raw"], dtype=np.uint8).reshape(item["shape"])
            kw = {k2: tuple(v) if isinstance(v, list) else v for k2, v in item["kwargs"].items()}
            path = os.path.join(d, f"{k}.tif")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tifffile.imwrite(path, a, compression="jpeg", **kw)
            b = tifffile.imread(path)
            mse = np.mean((a.astype(np.float64) - b) ** 2)
            out.append({"psnr": float(10 * np.log10(255.0**2 / max(mse, 1e-12))), "size": os.path.getsize(path)})
    return out


def tifffile_write(spec_path):
    """tifffile's own files of the given arrays and options (the reference for ours)."""
    import warnings

    with open(spec_path) as fh:
        spec = json.load(fh)
    for item in spec:
        a = np.fromfile(item["raw"], dtype=np.dtype(item["dtype"]).newbyteorder("<")).reshape(item["shape"])
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in item["kwargs"].items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tifffile.imwrite(item["out"], a, **kw)
    return [item["out"] for item in spec]


def jpeg_split(streams):
    """Split complete JPEG streams into shared tables (SOI DQT DHT EOI) and abbreviated streams
    (SOI, the other segments, scan, EOI), like libtiff's JPEGTables layout; the tables of every
    stream must be identical."""
    tables = None
    out = []
    for s in streams:
        assert s[:2] == b"\xff\xd8", "not a JPEG stream"
        i = 2
        tab = b""
        rest = b""
        while True:
            marker = s[i:i + 2]
            n = int.from_bytes(s[i + 2:i + 4], "big")
            seg = s[i:i + 2 + n]
            if marker in (b"\xff\xdb", b"\xff\xc4"):
                tab += seg
            elif marker == b"\xff\xda":
                rest += s[i:]  # the scan to the end (EOI included)
                break
            elif marker[:1] == b"\xff" and 0xE0 <= marker[1] <= 0xEF:
                pass  # APPn (JFIF) markers stay out of abbreviated TIFF streams
            else:
                rest += seg
            i += 2 + n
        if tables is None:
            tables = tab
        elif tables != tab:
            raise ValueError("JPEG streams with different tables")
        out.append(b"\xff\xd8" + rest)
    return b"\xff\xd8" + (tables or b"") + b"\xff\xd9", out


def segments(out, raw, dtype, shape, kwargs):
    """tifffile writes the array; the raw segments of its pages, for copying with `segments`."""
    import warnings

    a = np.fromfile(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(json.loads(shape))
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(kwargs).items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tifffile.imwrite(out, a, **kw)
    with tifffile.TiffFile(out) as tf:
        offsets = [int(o) for p in tf.pages for o in p.dataoffsets]
        counts = [int(c) for p in tf.pages for c in p.databytecounts]
        p0 = tf.pages[0]
        res = {
            "offsets": offsets, "bytecounts": counts,
            "jpegtables": p0.jpegtables.hex() if p0.jpegtables is not None else None,
            "shape": list(tf.series[0].shape), "dtype": str(tf.series[0].dtype),
            "sha256": array_sha256(tf.series[0].asarray()),
        }
        if int(p0.compression) == 7:
            with open(out, "rb") as fh:
                data = fh.read()
            tables, streams = jpeg_split([data[o:o + c] for o, c in zip(offsets, counts)])
            res["split"] = {"jpegtables": tables.hex(), "segments": [s.hex() for s in streams]}
    return res


def summary(path, pages):
    """Flags, series shapes (without reading them) and the sha256 of the given pages only: for
    files too large to read whole."""
    with tifffile.TiffFile(path) as tf:
        return {
            "is_bigtiff": bool(tf.is_bigtiff),
            "byteorder": tf.byteorder,
            "series": [{"shape": list(s.shape), "dtype": str(s.dtype), "axes": s.axes} for s in tf.series],
            "pages": {str(i): array_sha256(tf.pages[i].asarray()) for i in pages},
        }


def main():
    if sys.argv[1:2] == ["--summary"]:
        json.dump(summary(sys.argv[2], [int(i) for i in sys.argv[3:]]), sys.stdout)
        return
    if sys.argv[1:2] == ["--jpeg-reference"]:
        json.dump(jpeg_reference(sys.argv[2]), sys.stdout)
        return
    if sys.argv[1:2] == ["--tifffile-write"]:
        json.dump(tifffile_write(sys.argv[2]), sys.stdout)
        return
    if sys.argv[1:2] == ["--segments"]:
        json.dump(segments(*sys.argv[2:7]), sys.stdout)
        return
    if sys.argv[1:2] == ["--returnoffset"]:
        json.dump(returnoffsets(sys.argv[2]), sys.stdout)
        return
    res = {}
    for f in sys.argv[1:]:
        try:
            res[f] = report(f)
        except Exception as e:  # noqa: BLE001 - report every failure to the Rust test
            res[f] = {"error": f"{type(e).__name__}: {e}"}
    json.dump(res, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
