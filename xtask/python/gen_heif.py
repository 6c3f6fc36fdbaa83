"""Generate the HEIF/AVIF fixtures of crates/imageio-heif (fixtures/heif/ + manifest.json).

HEIC and AVIF files are written by pillow-heif 0.21.0 (its wheel bundles libheif 1.19.5 with
x265 and aom, and decodes with libde265 and aom; newer pillow-heif wheels dropped AV1).
The expected arrays are what the same reference library decodes (``<file>.expected.bin``: raw
C-order little-endian samples; 10/12-bit samples stored as native values 0..1023/0..4095).

Run through the venv:  target/pyenv/bin/python xtask/python/gen_heif.py
Deterministic: fixed inputs, and the encoders are deterministic for a given version.
"""

from __future__ import annotations

import io
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import array_sha256, write_manifest  # noqa: E402

import pillow_heif  # noqa: E402
from PIL import Image  # noqa: E402

pillow_heif.register_heif_opener()

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "heif")
H, W = 48, 64


def gradient_rgb(bits: int, h: int = H, w: int = W, seed: int = 0) -> np.ndarray:
    """A smooth RGB test picture with a little deterministic texture, max value 2**bits-1."""
    m = (1 << bits) - 1
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(seed)
    r = x / (w - 1)
    g = y / (h - 1)
    b = 0.5 + 0.5 * np.sin((x + 2 * y) / 7.0)
    a = np.stack([r, g, b], axis=-1) * 0.9 + 0.05 + rng.normal(0, 0.01, (h, w, 3))
    a = np.clip(np.rint(a * m), 0, m)
    return a.astype(np.uint8 if bits == 8 else np.uint16)


def alpha_plane(bits: int) -> np.ndarray:
    m = (1 << bits) - 1
    y, x = np.mgrid[0:H, 0:W]
    a = np.where((x - W / 2) ** 2 + (y - H / 2) ** 2 < (H / 2.5) ** 2, m, m // 3)
    return a.astype(np.uint8 if bits == 8 else np.uint16)[..., None]


def pillow_heif_decode(data: bytes):
    """Every top-level image as pillow-heif returns it, with its info."""
    f = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
    out = []
    for im in f:
        a = np.asarray(im)
        bits = im.info["bit_depth"]
        if bits > 8:
            shift = 16 - bits
            assert a.dtype == np.uint16 and not (a & ((1 << shift) - 1)).any(), "pillow-heif shifts left"
            a = a >> shift  # native values
        out.append((a, im.info, bits))
    return f, out


def nclx_of(info):
    n = info.get("nclx_profile")
    if not n:
        return None
    return {
        "color_primaries": int(n["color_primaries"]),
        "transfer_characteristics": int(n["transfer_characteristics"]),
        "matrix_coefficients": int(n["matrix_coefficients"]),
        "full_range": bool(n["full_range_flag"]),
    }


def chroma_of(info):
    c = info.get("chroma")
    return None if c is None else str(c)


def save(name: str, data: bytes) -> None:
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)


def case(name, index, arr, *, expect_from, note, max_abs_diff, **extra):
    expected = name + (f".{index}" if isinstance(index, int) else "") + ".expected.bin"
    le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    save(expected, np.ascontiguousarray(le).tobytes())
    return {
        "file": name,
        "index": index,
        "shape": [int(n) for n in arr.shape],
        "dtype": str(arr.dtype),
        "sha256": array_sha256(arr),
        "expect_from": expect_from,
        "note": note,
        "expected": expected,
        "max_abs_diff": max_abs_diff,
        **extra,
    }


def single_image_cases(specs, *, fmt: str, seed_base: int, decoder: str):
    """Write each spec (name, bits, alpha, save kwargs, lossless) with pillow-heif as `fmt` and
    record what pillow-heif decodes."""
    cases = []
    for name, bits, alpha, kw, lossless in specs:
        src = gradient_rgb(bits, seed=seed_base + bits)
        if alpha:
            src = np.concatenate([src, alpha_plane(bits)], axis=-1)
        mode = ("RGBA" if alpha else "RGB") + ("" if bits == 8 else ";16")
        data16 = src if bits == 8 else (src.astype(np.uint16) << (16 - bits))
        pillow_heif.options.SAVE_HDR_TO_12_BIT = bits == 12
        im = pillow_heif.from_bytes(mode=mode, size=(W, H), data=data16.tobytes())
        buf = io.BytesIO()
        im.save(buf, format=fmt, **kw)
        pillow_heif.options.SAVE_HDR_TO_12_BIT = False
        data = buf.getvalue()
        save(name, data)
        f, imgs = pillow_heif_decode(data)
        (a, info, got_bits), = imgs
        assert got_bits == bits, (name, got_bits)
        if lossless:
            assert np.array_equal(a, src), f"{name}: pillow-heif lossless round trip is not exact"
        cases.append(
            case(
                name, None, a,
                expect_from=f"pillow-heif decode{decoder}" + (" (== encoder input)" if lossless else ""),
                note=f"pillow-heif save format={fmt} {kw}, {bits}-bit" + (" with alpha" if alpha else ""),
                max_abs_diff=0 if lossless else 1,
                bit_depth=bits, has_alpha=alpha, chroma=chroma_of(info), primary=True,
                nclx_profile=nclx_of(info), n_images=1, primary_index=0,
            )
        )
    return cases


def heic_cases():
    cases = []
    specs = [
        # name, bits, alpha, save kwargs, lossless
        ("heic_8bit_420_q85.heic", 8, False, dict(quality=85), False),
        ("heic_8bit_444_lossless.heic", 8, False, dict(quality=-1, chroma=444, matrix_coefficients=0), True),
        ("heic_8bit_alpha_q90.heic", 8, True, dict(quality=90), False),
        ("heic_10bit_420_q85.heic", 10, False, dict(quality=85), False),
        ("heic_10bit_444_lossless.heic", 10, False, dict(quality=-1, chroma=444, matrix_coefficients=0), True),
        ("heic_12bit_444_lossless.heic", 12, False, dict(quality=-1, chroma=444, matrix_coefficients=0), True),
        ("heic_12bit_alpha_q90.heic", 12, True, dict(quality=90, chroma=444), False),
    ]
    cases += single_image_cases(specs, fmt="HEIF", seed_base=0, decoder="")
    # Gray (pillow-heif saves mode L as monochrome)
    g = gradient_rgb(8)[..., 1]
    buf = io.BytesIO()
    Image.fromarray(g, "L").save(buf, format="HEIF", quality=-1)
    save("heic_gray_lossless.heic", buf.getvalue())
    f, ((a, info, bits),) = pillow_heif_decode(buf.getvalue())
    cases.append(
        case("heic_gray_lossless.heic", None, a, expect_from="pillow-heif decode",
             note="Pillow mode L saved by pillow-heif, quality -1", max_abs_diff=0 if np.array_equal(a, g) else 1,
             bit_depth=bits, has_alpha=False, chroma=chroma_of(info), primary=True,
             nclx_profile=nclx_of(info), n_images=1, primary_index=0)
    )
    # EXIF / XMP carried through
    exif = Image.Exif()
    exif[0x010F] = "imageio-rs test"  # Make
    exif_bytes = exif.tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'
    src = gradient_rgb(8, seed=5)
    im = pillow_heif.from_bytes(mode="RGB", size=(W, H), data=src.tobytes())
    buf = io.BytesIO()
    im.save(buf, quality=80, exif=exif_bytes, xmp=xmp)
    save("heic_exif_xmp.heic", buf.getvalue())
    f, ((a, info, bits),) = pillow_heif_decode(buf.getvalue())
    cases.append(
        case("heic_exif_xmp.heic", None, a, expect_from="pillow-heif decode", note="quality 80 with EXIF and XMP",
             max_abs_diff=1, bit_depth=8, has_alpha=False, chroma=chroma_of(info), primary=True,
             nclx_profile=nclx_of(info), n_images=1, primary_index=0,
             exif_hex=bytes(info["exif"]).hex(), xmp_hex=bytes(info["xmp"]).hex())
    )
    # Three images, the second one primary.
    frames = [gradient_rgb(8, seed=10 + i) // (i + 1) for i in range(3)]
    heif = pillow_heif.from_bytes(mode="RGB", size=(W, H), data=frames[0].tobytes())
    for fr in frames[1:]:
        heif.add_frombytes(mode="RGB", size=(W, H), data=fr.tobytes())
    buf = io.BytesIO()
    heif.save(buf, quality=-1, chroma=444, matrix_coefficients=0, primary_index=1)
    save("heic_three_primary1.heic", buf.getvalue())
    f, imgs = pillow_heif_decode(buf.getvalue())
    flags = [bool(info["primary"]) for (_, info, _) in imgs]
    assert flags == [False, True, False], flags
    assert f.primary_index == 1
    for i, (a, info, bits) in enumerate(imgs):
        # pillow-heif applies the NCLX save options (matrix_coefficients=0) to the primary image
        # only: the other two are YCbCr 4:4:4 and come back within 1 level.
        exact = np.array_equal(a, frames[i])
        assert exact == (i == 1) and np.abs(a.astype(int) - frames[i]).max() <= 1, i
        cases.append(
            case("heic_three_primary1.heic", i, a, expect_from="pillow-heif decode",
                 note="3 images, primary_index=1, quality -1, chroma 444, matrix_coefficients 0",
                 max_abs_diff=0 if exact else 1, bit_depth=8, has_alpha=False,
                 chroma=chroma_of(info), primary=flags[i], nclx_profile=nclx_of(info),
                 n_images=3, primary_index=1)
        )
    return cases


def avif_cases():
    """AVIF written and decoded by pillow-heif (0.21.0 is the last release whose wheels carry the
    aom AV1 encoder; later wheels decode/encode HEVC only)."""
    cases = []
    specs = [
        # name, bits, alpha, save kwargs, lossless
        ("avif_8bit_420_q80.avif", 8, False, dict(quality=80), False),
        ("avif_8bit_444_lossless.avif", 8, False, dict(quality=-1, chroma=444, matrix_coefficients=0), True),
        ("avif_8bit_alpha_q85.avif", 8, True, dict(quality=85, chroma=444), False),
        ("avif_10bit_420_q80.avif", 10, False, dict(quality=80), False),
        ("avif_10bit_444_lossless.avif", 10, False, dict(quality=-1, chroma=444, matrix_coefficients=0), True),
        ("avif_12bit_444_lossless.avif", 12, False, dict(quality=-1, chroma=444, matrix_coefficients=0), True),
    ]
    cases += single_image_cases(specs, fmt="AVIF", seed_base=20, decoder=" (aom)")
    return cases


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    cases = heic_cases() + avif_cases()
    info = {
        "generator": "xtask/python/gen_heif.py",
        "versions": {
            "numpy": np.__version__,
            "pillow_heif": pillow_heif.__version__,
            "libheif (pillow-heif wheel)": pillow_heif.libheif_version(),
            "encoders": pillow_heif.libheif_info()["encoders"],
            "decoders": pillow_heif.libheif_info()["decoders"],
        },
    }
    write_manifest(os.path.join(OUT, "manifest.json"), cases, info)
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
