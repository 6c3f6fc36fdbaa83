#!/usr/bin/env python3
"""Generate the JPEG fixtures and their manifest.

Usage (from the repo root)::

    target/pyenv/bin/python xtask/python/gen_jpeg.py --out fixtures/jpeg --standard /work/shared/fixtures/standard

Writes small (64x48 and odd-sized) JPEG files made with Pillow (libjpeg-turbo) into ``--out``,
Pillow's decoded arrays next to them as ``expect/NAME[.VARIANT].npy`` (lossy decoders differ by a
level or two between IDCT implementations, so the Rust test compares with a tolerance, which a
sha256 cannot express), and ``manifest.json``.

Cases
-----
* ``files``: baseline 4:2:0 / 4:2:2 / 4:4:4, progressive, optimized Huffman tables, restart
  intervals (baseline and progressive), gray (baseline and progressive), CMYK (Pillow writes it with
  an Adobe APP14 marker and inverted samples), an odd size with partial MCUs, and one file carrying
  metadata (JFIF dpi, ICC profile, EXIF, comment).  Variants (``mode`` read option) are listed per
  case: Pillow's ``convert("L")`` and, for CMYK, Pillow's raw CMYK array.
* ``orientation``: a gray image made of flat 8x8 blocks at quality 100, so that every decoder
  reproduces it exactly, written with EXIF Orientation 0..9.  The manifest holds the sha256 of
  Pillow's raw decode and of ``ImageOps.exif_transpose`` (0 and 9 are invalid: unchanged).
* ``standard:NAME`` for every JPEG among the standard images: shape, dtype and sha256 of Pillow's
  array (RGB for colour, 2-D for gray), the EXIF fields Pillow reports and the shape after
  ``exif_transpose``.  These arrays are too big to commit; the Rust test decodes them with Pillow
  through ``check_jpeg.py decode`` at test time and checks the hash against this manifest first.

Everything is seeded; running the script twice gives byte-identical output.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import array_sha256, package_versions, write_manifest  # noqa: E402
from check_jpeg import exif_fields, pillow_array  # noqa: E402

from PIL import Image, ImageCms, ImageOps  # noqa: E402

BASE_SEED = 20261121
W, H = 64, 48


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng([BASE_SEED, zlib.crc32(name.encode())])


def photo(name: str, w: int = W, h: int = H) -> np.ndarray:
    """A small photo-like RGB image: smooth gradients, a disc with a hard edge, noise texture."""
    rng = rng_for(name)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / w * 3.1) * np.cos(y / h * 2.3)
    g = 40 + 180 * (x + y) / (w + h)
    b = 200 - 150 * y / h
    disc = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (min(w, h) * 0.25) ** 2
    img = np.stack([r, g, b], axis=-1)
    img[disc] = [230, 40, 60]
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def exif_bytes(tags: dict) -> bytes:
    ex = Image.Exif()
    for k, v in tags.items():
        ex[k] = v
    return ex.tobytes()


def save(path: str, im: Image.Image, **kw) -> None:
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def npy(out: str, rel: str, a: np.ndarray) -> str:
    os.makedirs(os.path.join(out, "expect"), exist_ok=True)
    path = os.path.join(out, rel)
    # np.save is deterministic for a given array and numpy version
    np.save(path, np.ascontiguousarray(a), allow_pickle=False)
    return rel


def case_for(out: str, name: str, note: str, variants=(), extra=None) -> dict:
    path = os.path.join(out, name)
    with Image.open(path) as im:
        a = pillow_array(im)
    stem = os.path.splitext(name)[0]
    c = {
        "file": name,
        "index": None,
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "sha256": array_sha256(a),
        "expect_from": "pillow",
        "note": note,
        "npy": npy(out, f"expect/{stem}.npy", a),
        "variants": [],
    }
    for mode in variants:
        with Image.open(path) as im:
            v = pillow_array(im, mode=mode)
        c["variants"].append({
            "options": {"mode": mode},
            "shape": list(v.shape),
            "dtype": str(v.dtype),
            "sha256": array_sha256(v),
            "npy": npy(out, f"expect/{stem}.{mode}.npy", v),
        })
    if extra:
        c.update(extra)
    return c


def gen_files(out: str) -> list[dict]:
    cases = []
    rgb = Image.fromarray(photo("rgb"))
    specs = [
        ("baseline_420.jpg", dict(quality=90, subsampling="4:2:0"), "baseline 4:2:0 q90"),
        ("baseline_422.jpg", dict(quality=90, subsampling="4:2:2"), "baseline 4:2:2 q90"),
        ("baseline_444.jpg", dict(quality=90, subsampling="4:4:4"), "baseline 4:4:4 q90"),
        ("baseline_q50_420.jpg", dict(quality=50), "baseline q50, Pillow's default subsampling (4:2:0)"),
        ("progressive_420.jpg", dict(quality=85, progressive=True), "progressive 4:2:0"),
        ("progressive_444_opt.jpg", dict(quality=92, progressive=True, optimize=True, subsampling="4:4:4"),
         "progressive 4:4:4, optimized Huffman tables"),
        ("optimize_422.jpg", dict(quality=80, optimize=True, subsampling="4:2:2"), "baseline 4:2:2, optimized Huffman"),
        ("restart_420.jpg", dict(quality=90, restart_marker_blocks=3), "restart interval every 3 MCUs"),
        ("restart_rows_444.jpg", dict(quality=90, subsampling="4:4:4", restart_marker_rows=1),
         "restart interval every MCU row, 4:4:4"),
        ("restart_progressive.jpg", dict(quality=90, progressive=True, restart_marker_blocks=2),
         "progressive with restart interval every 2 MCUs"),
    ]
    for name, kw, note in specs:
        save(os.path.join(out, name), rgb, **kw)
        variants = ["L"] if name == "baseline_420.jpg" else []
        cases.append(case_for(out, name, note, variants))

    odd = Image.fromarray(photo("odd", 61, 37))
    save(os.path.join(out, "odd_61x37_420.jpg"), odd, quality=90)
    cases.append(case_for(out, "odd_61x37_420.jpg", "61x37: partial MCUs at the right and bottom edges", ["L"]))

    # Even widths / heights that are not a multiple of the MCU: the last chroma sample is
    # replicated by libjpeg's fancy upsampling (not blended with the MCU padding); strong colour
    # texture so that a wrong last column or row shows.
    for name, (w, h), ss, kw, amp in [
        ("edge_even_422_46x30.jpg", (46, 30), "4:2:2", {}, 60),
        ("edge_even_420_30x46.jpg", (30, 46), "4:2:0", {}, 60),
        ("edge_even_420_progressive_58x18.jpg", (58, 18), "4:2:0", {"progressive": True}, 60),
        ("edge_even_420_2x2.jpg", (2, 2), "4:2:0", {}, 60),
        # at most 4 pixels wide: libjpeg replicates chroma (no fancy upsampling) when the chroma
        # plane is at most 2 samples wide
        ("narrow_420_1x200.jpg", (1, 200), "4:2:0", {}, 60),
        ("narrow_422_3x200.jpg", (3, 200), "4:2:2", {}, 60),
        ("narrow_420_2x150_progressive.jpg", (2, 150), "4:2:0", {"progressive": True}, 60),
    ]:
        a = photo(name, w, h).astype(np.int16)
        a += rng_for(name + "texture").integers(-amp, amp + 1, a.shape, dtype=np.int16)
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
        save(os.path.join(out, name), im, quality=90, subsampling=ss, **kw)
        cases.append(case_for(out, name, f"{w}x{h} {ss}: even size, partial MCU; libjpeg's edge replication"
                              " in the fancy upsampling", ["L"]))

    # An Adobe APP14 segment with transform 0 (in place of the JFIF APP0, which would say
    # YCbCr): the three components are R, G, B, here subsampled 4:2:0 with an even size that is
    # not a multiple of the MCU.
    buf = io.BytesIO()
    Image.fromarray(photo("adobe_rgb", 30, 22)).save(buf, "JPEG", quality=90, subsampling="4:2:0")
    d = buf.getvalue()
    assert d[2:4] == b"\xff\xe0", "Pillow writes JFIF APP0 first"
    jfif_end = 4 + int.from_bytes(d[4:6], "big")
    app14 = b"Adobe" + (100).to_bytes(2, "big") + bytes([0, 0, 0, 0, 0])
    with open(os.path.join(out, "adobe_rgb_420.jpg"), "wb") as f:
        f.write(d[:2] + b"\xff\xee" + (len(app14) + 2).to_bytes(2, "big") + app14 + d[jfif_end:])
    cases.append(case_for(out, "adobe_rgb_420.jpg", "Adobe transform 0 (RGB components), 4:2:0, 30x22"))

    # Files where libjpeg (and so Pillow) reads YCbCr but a decoder that trusts the Adobe
    # transform or the component ids alone would read RGB: libjpeg's order is JFIF APP0 first
    # (YCbCr), then the Adobe transform, then component ids 'R','G','B' (jdapimin.c).
    def with_app14(d: bytes, transform: int, keep_jfif: bool) -> bytes:
        app14 = b"Adobe" + (100).to_bytes(2, "big") + bytes([0, 0, 0, 0, transform])
        seg = b"\xff\xee" + (len(app14) + 2).to_bytes(2, "big") + app14
        end = 4 + int.from_bytes(d[4:6], "big")
        return d[:end] + seg + d[end:] if keep_jfif else d[:2] + seg + d[end:]

    def with_rgb_ids(d: bytes) -> bytes:
        b = bytearray(d)
        i = 2
        while i + 4 <= len(b):
            assert b[i] == 0xFF
            m, n = b[i + 1], int.from_bytes(b[i + 2:i + 4], "big")
            if m in (0xC0, 0xC1, 0xC2):  # SOF: id, sampling, table per component
                for k in range(b[i + 9]):
                    b[i + 10 + 3 * k] = ord("RGB"[k])
            if m == 0xDA:  # SOS: selector, tables per component; the scan data follow
                for k in range(b[i + 4]):
                    b[i + 5 + 2 * k] = ord("RGB"[k])
                break
            i += 2 + n
        return bytes(b)

    for name, (w, h), ss, make, note in [
        ("jfif_adobe0_420.jpg", (30, 22), "4:2:0", lambda d: with_app14(d, 0, True),
         "JFIF APP0 and Adobe transform 0: libjpeg reads YCbCr (JFIF first)"),
        ("jfif_rgb_ids_422.jpg", (46, 30), "4:2:2", with_rgb_ids,
         "JFIF APP0 and component ids 'R','G','B': libjpeg reads YCbCr"),
        ("adobe1_rgb_ids_444.jpg", (40, 24), "4:4:4", lambda d: with_rgb_ids(with_app14(d, 1, False)),
         "Adobe transform 1 (no JFIF) and component ids 'R','G','B': libjpeg reads YCbCr"),
    ]:
        buf = io.BytesIO()
        Image.fromarray(photo(name, w, h)).save(buf, "JPEG", quality=90, subsampling=ss)
        d = buf.getvalue()
        assert d[2:4] == b"\xff\xe0", "Pillow writes JFIF APP0 first"
        with open(os.path.join(out, name), "wb") as f:
            f.write(make(d))
        cases.append(case_for(out, name, note, ["L"]))

    # Adobe transforms libjpeg does not know: a warning, then YCbCr (three components) or YCCK
    # (four components, also for transform 1).
    buf = io.BytesIO()
    Image.fromarray(photo("adobe_transform5", 40, 24)).save(buf, "JPEG", quality=90, subsampling="4:2:0")
    with open(os.path.join(out, "adobe_transform5_420.jpg"), "wb") as f:
        f.write(with_app14(buf.getvalue(), 5, False))
    cases.append(case_for(out, "adobe_transform5_420.jpg", "Adobe transform 5 (unknown): libjpeg reads YCbCr"))

    # Lossless JPEG (SOF3), which Pillow's libjpeg-turbo reads: written by imagecodecs (libjpeg-
    # turbo 3); not a manifest case (zune-jpeg cannot decode it): tests/pillow.rs reads it.
    import imagecodecs  # noqa: PLC0415 - only this fixture and the YCCK one need it

    with open(os.path.join(out, "lossless_sof3.jpg"), "wb") as f:
        f.write(imagecodecs.jpeg8_encode(photo("lossless", 40, 24), lossless=True))

    gray = Image.fromarray(photo("gray")).convert("L")
    save(os.path.join(out, "gray.jpg"), gray, quality=90)
    cases.append(case_for(out, "gray.jpg", "one component: 2-D (H, W) like Pillow mode L", ["RGB"]))
    save(os.path.join(out, "gray_progressive.jpg"), gray, quality=90, progressive=True)
    cases.append(case_for(out, "gray_progressive.jpg", "one component, progressive"))

    cmyk = Image.fromarray(photo("cmyk")).convert("CMYK")
    # a non-trivial K channel
    c = np.asarray(cmyk).copy()
    c[..., 3] = np.clip(np.arange(W)[None, :] * 2 + np.arange(H)[:, None], 0, 255).astype(np.uint8)
    cmyk = Image.fromarray(c, "CMYK")
    save(os.path.join(out, "cmyk.jpg"), cmyk, quality=95)
    cases.append(case_for(out, "cmyk.jpg",
                          "CMYK (Adobe APP14 transform 0, inverted samples): default read is Pillow's convert('RGB')",
                          ["CMYK", "L"]))
    # the same four components with Adobe transform 1, which libjpeg reads as YCCK (warning)
    d = bytearray(open(os.path.join(out, "cmyk.jpg"), "rb").read())
    at = d.index(b"\xff\xeeAdobe"[:2])
    assert d[at + 4:at + 9] == b"Adobe" and d[at + 15] == 0
    d[at + 15] = 1
    with open(os.path.join(out, "cmyk_adobe_transform1.jpg"), "wb") as f:
        f.write(bytes(d))
    cases.append(case_for(out, "cmyk_adobe_transform1.jpg", "four components, Adobe transform 1: libjpeg reads YCCK",
                          ["CMYK"]))

    # Subsampled four-component files with an even size that is not a multiple of the MCU: the
    # last column (row) of the subsampled components, as for edge_even_* (Pillow writes CMYK
    # with its first component at 2x; imagecodecs writes YCCK with Y and K at 2x2).
    def textured(name: str, w: int, h: int, channels: int) -> np.ndarray:
        a = rng_for(name).integers(0, 256, (h, w, channels), dtype=np.int16)
        return np.clip(a, 0, 255).astype(np.uint8)

    for name, ss in [("cmyk_edge_422_46x30.jpg", "4:2:2"), ("cmyk_edge_420_46x30.jpg", "4:2:0")]:
        save(os.path.join(out, name), Image.fromarray(textured(name, 46, 30, 4), "CMYK"), quality=90,
             subsampling=ss)
        cases.append(case_for(out, name, f"CMYK {ss} 46x30: even size, partial MCU", ["CMYK", "L"]))
    with open(os.path.join(out, "ycck_edge_420_46x30.jpg"), "wb") as f:
        f.write(imagecodecs.jpeg8_encode(textured("ycck_edge", 46, 30, 4), level=90, colorspace="CMYK",
                                         outcolorspace="YCCK", subsampling="420"))
    cases.append(case_for(out, "ycck_edge_420_46x30.jpg", "YCCK (Adobe transform 2) 4:2:0 46x30, by imagecodecs",
                          ["CMYK", "L"]))

    # metadata
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # littleCMS stamps the creation time into the header (bytes 24..36): fix it for determinism
    icc[24:36] = bytes([0x07, 0xEA, 0, 11, 0, 21, 0, 12, 0, 0, 0, 0])
    icc = bytes(icc)
    exif = exif_bytes(
        {
            0x010F: "ImageioCam",  # Make
            0x0110: "Model X",  # Model
            0x0132: "2026:11:21 12:34:56",  # DateTime
            0x0112: 3,  # Orientation
            0x011A: 300.0,  # XResolution
            0x011B: 300.0,  # YResolution
            0x0128: 2,  # ResolutionUnit
            0x0131: "gen_jpeg.py",  # Software
        }
    )
    save(os.path.join(out, "meta.jpg"), rgb, quality=90, dpi=(300, 150), icc_profile=icc, exif=exif,
         comment=b"imageio-rs fixture")
    with Image.open(os.path.join(out, "meta.jpg")) as im:
        info = {
            "dpi": [float(x) for x in im.info["dpi"]],
            "jfif_version": list(im.info["jfif_version"]),
            "jfif_unit": im.info["jfif_unit"],
            "jfif_density": list(im.info["jfif_density"]),
            "comment": im.info["comment"].decode(),
            "icc_len": len(im.info["icc_profile"]),
            "icc_sha256": __import__("hashlib").sha256(im.info["icc_profile"]).hexdigest(),
            "exif_len": len(im.info["exif"]),
            "exif_fields": exif_fields(im),
            "progressive": bool(im.info.get("progressive", 0)),
            "mode": im.mode,
        }
    cases.append(case_for(out, "meta.jpg", "JFIF dpi 300x150, sRGB ICC, EXIF (Orientation 3), comment",
                          extra={"meta": info}))
    return cases


def blocks_image() -> np.ndarray:
    """64x48 gray, flat 8x8 blocks with distinct values (decoders agree exactly on it)."""
    rng = rng_for("blocks")
    vals = rng.integers(16, 240, size=(H // 8, W // 8))
    vals[0, 0] = 255  # marks the top-left corner
    return np.kron(vals, np.ones((8, 8), dtype=np.int64)).astype(np.uint8)


def gen_orientation(out: str) -> list[dict]:
    cases = []
    im = Image.fromarray(blocks_image(), "L")
    for o in range(10):
        name = f"orientation_{o}.jpg"
        save(os.path.join(out, name), im, quality=100, exif=exif_bytes({0x0112: o}))
        with Image.open(os.path.join(out, name)) as f:
            raw = pillow_array(f)
            assert np.array_equal(raw, blocks_image()), "flat-block fixture is not exact"
            tr = np.asarray(ImageOps.exif_transpose(f))
        cases.append({
            "file": name,
            "index": None,
            "shape": list(raw.shape),
            "dtype": str(raw.dtype),
            "sha256": array_sha256(raw),
            "expect_from": "pillow",
            "note": f"EXIF Orientation {o}; flat 8x8 blocks at q100 (exact in every decoder)",
            "orientation": o,
            "transposed": {"shape": list(tr.shape), "sha256": array_sha256(tr)},
            "variants": [],
        })
    return cases


def gen_standard(standard: str) -> list[dict]:
    cases = []
    for name in sorted(os.listdir(standard)):
        if not name.lower().endswith((".jpg", ".jpeg")):
            continue
        with Image.open(os.path.join(standard, name)) as im:
            a = pillow_array(im)
            fields = exif_fields(im)
            tr = np.asarray(ImageOps.exif_transpose(im).convert("RGB" if a.ndim == 3 else "L"))
            meta = {"mode": im.mode, "progressive": bool(im.info.get("progressive", 0)), "exif_fields": fields}
            if "dpi" in im.info:
                meta["dpi"] = [float(x) for x in im.info["dpi"]]
        cases.append({
            "file": f"standard:{name}",
            "index": None,
            "shape": list(a.shape),
            "dtype": str(a.dtype),
            "sha256": array_sha256(a),
            "expect_from": "pillow",
            "note": "standard image; Pillow's array is computed at test time by check_jpeg.py decode",
            "transposed": {"shape": list(tr.shape), "sha256": array_sha256(tr)},
            "meta": meta,
            "variants": [],
        })
    return cases


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="fixtures/jpeg")
    ap.add_argument("--standard", default="/work/shared/fixtures/standard")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cases = gen_files(args.out) + gen_orientation(args.out) + gen_standard(args.standard)
    write_manifest(
        os.path.join(args.out, "manifest.json"),
        cases,
        {"generator": "xtask/python/gen_jpeg.py", "versions": package_versions("numpy", "pillow", "imagecodecs")},
    )
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
