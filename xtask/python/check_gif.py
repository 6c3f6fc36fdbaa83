#!/usr/bin/env python3
"""Reads GIF files written by imageio-gif back with Pillow and prints what Pillow sees, as JSON.

Usage: python xtask/python/check_gif.py FILE.gif rgb|rgba [FILE.gif rgb|rgba ...]

For each file: one JSON object per line with
  "n_frames", "shape" and "sha256" of the frames stacked (N, H, W, C) after Pillow's
  ``im.seek(k)`` + ``im.convert("RGB"|"RGBA")`` (default loading strategy, composited frames),
  "durations" (ms, ``info["duration"]`` per frame), "loop" (``info.get("loop")``, null when the
  file has no loop extension), "version".
The Rust test compares these with its own decode of the same file.
"""

import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import array_sha256  # noqa: E402


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    for path, mode in zip(argv[0::2], argv[1::2]):
        im = Image.open(path)
        frames, durations = [], []
        loop = im.info.get("loop")
        version = im.info.get("version", b"").decode()
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert(mode.upper())))
            durations.append(im.info.get("duration"))
        a = np.stack(frames)
        print(json.dumps({"file": path, "n_frames": len(frames), "shape": list(a.shape),
                          "sha256": array_sha256(a), "durations": durations, "loop": loop,
                          "version": version}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
