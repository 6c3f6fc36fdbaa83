"""Expected values for the ffmpeg backend, from PyAV (the reference), for imageio's standard videos.

Writes fixtures/ffmpeg/manifest.json (no video files are committed: the videos are the standard
images cockatoo.mp4, cockatoo_yuv420.mp4 and realshort.mp4). For each video:
- index "all": all frames read as gray (the luma plane: no colour conversion, so any exact
  decoder agrees), the rgb24 stack's shape, frame count (decoded by PyAV), fps, duration, codec,
  profile, pix_fmt;
- index 4: frame time and key_frame (spec section 8 item 28) and the sha256 of that frame (gray).

Run: target/pyenv/bin/python xtask/python/gen_ffmpeg.py [STANDARD_IMAGES_DIR]
"""

import os
import sys

import av
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from common import array_sha256, package_versions, write_manifest  # noqa: E402

VIDEOS = ["cockatoo.mp4", "cockatoo_yuv420.mp4", "realshort.mp4"]


def describe(path, name):
    cases = []
    with av.open(path) as c:
        s = c.streams.video[0]
        gray = []
        frame4 = None
        for i, f in enumerate(c.decode(s)):
            gray.append(f.to_ndarray(format="gray"))
            if i == 4:
                frame4 = {"time": float(f.time), "key_frame": bool(f.key_frame), "sha256": array_sha256(gray[-1])}
        stack = np.stack(gray)
        n, h, w = stack.shape
        cases.append({
            "file": "standard:" + name,
            "index": "all",
            "shape": [n, h, w],
            "dtype": "uint8",
            "sha256": array_sha256(stack),
            "expect_from": "pyav",
            "note": "all frames read with format=gray (the luma plane)",
            "format": "gray",
            "rgb24_shape": [n, h, w, 3],
            "n_frames": n,
            "fps": float(s.guessed_rate),
            "duration": float(s.duration * s.time_base) if s.duration else None,
            "codec": s.codec_context.name,
            "profile": s.profile,
            "pix_fmt": s.codec_context.format.name,
        })
        cases.append({
            "file": "standard:" + name,
            "index": 4,
            "shape": [h, w],
            "dtype": "uint8",
            "sha256": frame4["sha256"],
            "expect_from": "pyav",
            "note": "frame 4 read with format=gray; time and key_frame from PyAV",
            "format": "gray",
            "time": frame4["time"],
            "key_frame": frame4["key_frame"],
        })
    return cases


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "fixtures", "standard")
    cases = []
    for name in VIDEOS:
        cases += describe(os.path.join(src, name), name)
    out = os.path.join(ROOT, "fixtures", "ffmpeg", "manifest.json")
    write_manifest(out, cases, {"generator": "xtask/python/gen_ffmpeg.py", "versions": package_versions("numpy", "av")})


if __name__ == "__main__":
    main()
