"""Reads a video with PyAV (the reference) and prints what it finds as JSON.

Used by crates/imageio-ffmpeg/tests/write.rs to check files written by imageio-rs:
frame count, frame shape, frame rate, and the sha256 of all frames stacked as rgb24
(numpy `tobytes()` convention).
"""

import hashlib
import json
import sys

import av
import numpy as np


def main(path):
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        rate = stream.guessed_rate or stream.average_rate
        stack = np.stack(frames)
        print(json.dumps({
            "frames": len(frames),
            "shape": list(frames[0].shape),
            "fps": float(rate),
            "codec": stream.codec_context.name,
            "sha256": hashlib.sha256(stack.tobytes()).hexdigest(),
        }))


if __name__ == "__main__":
    main(sys.argv[1])
