"""Read a HEIF/AVIF file written by imageio-rs with the reference Python stack; print JSON.

Usage: check_heif.py FILE

HEIC/HEIF and AVIF files are read with pillow-heif 0.21.0 (libheif 1.19.5 with libde265 and aom
from its wheel). The NCLX colour
boxes, bit depths and the primary item are also parsed straight from the ISOBMFF boxes, without
libheif.

Output: {"reader", "n_images", "primary_index", "images": [{"shape", "dtype", "bit_depth",
"primary", "nclx_profile", "sha256", "exif_hex", "xmp_hex", "icc_sha256"}], "boxes": {...}}.
10/12-bit pixels are hashed as native values (pillow-heif's left shift undone).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import array_sha256  # noqa: E402


def boxes(data: bytes, start: int, end: int):
    i = start
    while i + 8 <= end:
        size, typ = struct.unpack(">I4s", data[i : i + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", data[i + 8 : i + 16])[0]
            hdr = 16
        elif size == 0:
            size = end - i
        if size < hdr or i + size > end:
            raise ValueError(f"bad box {typ!r} at {i}")
        yield typ.decode("latin1"), i + hdr, i + size
        i += size


def parse_boxes(data: bytes) -> dict:
    """Primary item, top-level image items in order, and their nclx/pixi properties."""
    top = {t: (s, e) for t, s, e in boxes(data, 0, len(data))}
    brand = data[8:12].decode("latin1") if "ftyp" in top else None
    ms, me = top["meta"]
    meta = {t: (s, e) for t, s, e in boxes(data, ms + 4, me)}
    s, _ = meta["pitm"]
    version = data[s]
    primary = struct.unpack(">H" if version == 0 else ">I", data[s + 4 : s + 6 if version == 0 else s + 8])[0]
    # iinf
    s, e = meta["iinf"]
    v = data[s]
    off = s + 4 + (2 if v == 0 else 4)
    items = []
    for t, bs, be in boxes(data, off, e):
        if t != "infe":
            continue
        iv = data[bs]
        if iv >= 2:
            if iv == 2:
                iid = struct.unpack(">H", data[bs + 4 : bs + 6])[0]
                ityp = data[bs + 8 : bs + 12].decode("latin1")
            else:
                iid = struct.unpack(">I", data[bs + 4 : bs + 8])[0]
                ityp = data[bs + 10 : bs + 14].decode("latin1")
            items.append((iid, ityp))
    # iref: items that are thumbnails/aux/derived-from are not top-level
    hidden = set()
    if "iref" in meta:
        s, e = meta["iref"]
        v = data[s]
        w = 2 if v == 0 else 4
        fmt = ">H" if w == 2 else ">I"
        for t, bs, be in boxes(data, s + 4, e):
            frm = struct.unpack(fmt, data[bs : bs + w])[0]
            n = struct.unpack(">H", data[bs + w : bs + w + 2])[0]
            tos = [struct.unpack(fmt, data[bs + w + 2 + k * w : bs + w + 4 + k * w])[0] for k in range(n)]
            if t in ("thmb", "auxl"):
                hidden.add(frm)
            if t in ("dimg", "base"):
                hidden.update(tos)
    # iprp: ipco properties + ipma associations
    s, e = meta["iprp"]
    iprp = {t: (bs, be) for t, bs, be in boxes(data, s, e)}
    props = []
    for t, bs, be in boxes(data, *iprp["ipco"]):
        p = {"type": t}
        if t == "colr" and data[bs : bs + 4] == b"nclx":
            cp, tc, mc = struct.unpack(">HHH", data[bs + 4 : bs + 10])
            p["nclx"] = {
                "color_primaries": cp,
                "transfer_characteristics": tc,
                "matrix_coefficients": mc,
                "full_range": bool(data[bs + 10] >> 7),
            }
        if t == "pixi":
            n = data[bs + 4]
            p["bits"] = list(data[bs + 5 : bs + 5 + n])
        props.append(p)
    s, e = iprp["ipma"]
    v, flags = data[s], int.from_bytes(data[s + 1 : s + 4], "big")
    n = struct.unpack(">I", data[s + 4 : s + 8])[0]
    off = s + 8
    assoc = {}
    for _ in range(n):
        if v < 1:
            iid = struct.unpack(">H", data[off : off + 2])[0]
            off += 2
        else:
            iid = struct.unpack(">I", data[off : off + 4])[0]
            off += 4
        cnt = data[off]
        off += 1
        lst = []
        for _ in range(cnt):
            if flags & 1:
                idx = struct.unpack(">H", data[off : off + 2])[0] & 0x7FFF
                off += 2
            else:
                idx = data[off] & 0x7F
                off += 1
            lst.append(idx)
        assoc[iid] = lst
    images = []
    for iid, ityp in items:
        if ityp not in ("hvc1", "av01", "grid", "iden") or iid in hidden:
            continue
        info = {"item_id": iid, "type": ityp, "nclx_profile": None, "bits": None}
        for idx in assoc.get(iid, []):
            if 1 <= idx <= len(props):
                p = props[idx - 1]
                if "nclx" in p:
                    info["nclx_profile"] = p["nclx"]
                if "bits" in p:
                    info["bits"] = p["bits"]
        images.append(info)
    ids = [im["item_id"] for im in images]
    return {
        "brand": brand,
        "primary_item": primary,
        "primary_index": ids.index(primary) if primary in ids else None,
        "images": images,
    }


def with_pillow_heif(data: bytes) -> dict:
    import pillow_heif

    f = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
    images = []
    for im in f:
        a = np.asarray(im)
        bits = im.info["bit_depth"]
        if bits > 8:
            a = a >> (16 - bits)
        n = im.info.get("nclx_profile")
        images.append(
            {
                "shape": list(a.shape),
                "dtype": str(a.dtype),
                "bit_depth": bits,
                "primary": bool(im.info["primary"]),
                "mode": im.mode,
                "chroma": im.info.get("chroma"),
                "nclx_profile": None
                if not n
                else {
                    "color_primaries": n["color_primaries"],
                    "transfer_characteristics": n["transfer_characteristics"],
                    "matrix_coefficients": n["matrix_coefficients"],
                    "full_range": bool(n["full_range_flag"]),
                },
                "sha256": array_sha256(a),
                "exif_hex": bytes(im.info["exif"]).hex() if im.info.get("exif") else None,
                "xmp_hex": bytes(im.info["xmp"]).hex() if im.info.get("xmp") else None,
                "icc_sha256": hashlib.sha256(bytes(im.info["icc_profile"])).hexdigest()
                if im.info.get("icc_profile")
                else None,
            }
        )
    return {
        "reader": f"pillow_heif {pillow_heif.__version__} (libheif {pillow_heif.libheif_version()})",
        "n_images": len(images),
        "primary_index": int(f.primary_index),
        "images": images,
    }


def main() -> None:
    data = open(sys.argv[1], "rb").read()
    parsed = parse_boxes(data)
    out = with_pillow_heif(data)
    out["boxes"] = parsed
    print(json.dumps(out))


if __name__ == "__main__":
    main()
