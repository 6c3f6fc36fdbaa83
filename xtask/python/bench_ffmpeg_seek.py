"""PyAV random access for comparison with the ffmpeg crate's random_access_frame_150 bench:
av.open, container.seek(target pts, stream), decode until pts >= target, to rgb24.
Usage: python bench_ffmpeg_seek.py VIDEO FRAME [REPS]"""
import sys, time, statistics, av
path = sys.argv[1]; n = int(sys.argv[2]); reps = int(sys.argv[3]) if len(sys.argv) > 3 else 15
def once():
    with av.open(path) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        target = (s.start_time or 0) + int(round(n / s.average_rate / s.time_base))
        c.seek(target, stream=s)  # backward to the keyframe at or before
        for f in c.decode(s):
            if f.pts >= target:
                return f.to_ndarray(format="rgb24"), f.pts, target
once()
ts = []
for _ in range(reps):
    t = time.perf_counter(); a, pts, target = once(); ts.append(time.perf_counter() - t)
print(f"pyav frame {n}: median {statistics.median(ts)*1e3:.1f} ms min {min(ts)*1e3:.1f} ms (pts {pts} target {target}, shape {a.shape})")
