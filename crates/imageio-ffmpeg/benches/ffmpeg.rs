//! 1280×720 H.264, 300 frames: decode all to RGB, encode 300 frames with libx264 (PyAV's
//! defaults: preset medium, crf 23, yuv420p), and random access to a middle frame.
//!
//! Data: /work/shared/bench/data/video_h264.mp4 (or `$IMAGEIO_BENCH_DATA/video_h264.mp4`) when
//! present, else a testsrc2 clip made with the ffmpeg CLI (libx264 medium crf 23 yuv420p).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use imageio_core::{Index, Mode, NdArray, OpenArgs, Options};
use imageio_ffmpeg::WriteOptions;

fn data() -> PathBuf {
    let dir = std::env::var_os("IMAGEIO_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/bench/data"));
    let p = dir.join("video_h264.mp4");
    if p.exists() {
        return p;
    }
    let out = std::env::temp_dir().join("imageio_ffmpeg_bench_720p.mp4");
    if !out.exists() {
        let ok = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-nostdin",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1280x720:rate=30",
            ])
            .args([
                "-frames:v",
                "300",
                "-c:v",
                "libx264",
                "-preset",
                "medium",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
            ])
            .arg(&out)
            .status()
            .expect("ffmpeg CLI")
            .success();
        assert!(ok, "ffmpeg could not make the bench video");
    }
    out
}

fn args(options: Options) -> OpenArgs {
    OpenArgs {
        plugin: Some("ffmpeg".into()),
        options,
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let path = data();
    let mut g = c.benchmark_group("ffmpeg_720p_h264_300");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("decode_all_rgb24", |b| {
        b.iter(|| {
            let mut f =
                imageio_core::open(path.as_path().into(), Mode::Read, &args(Options::new()))
                    .unwrap();
            black_box(f.read(Index::All).unwrap())
        })
    });
    g.bench_function("iterate_all_rgb24", |b| {
        b.iter(|| {
            let mut f =
                imageio_core::open(path.as_path().into(), Mode::Read, &args(Options::new()))
                    .unwrap();
            let mut n = 0;
            for fr in f.iter() {
                black_box(fr.unwrap());
                n += 1;
            }
            n
        })
    });
    g.bench_function("open_and_count", |b| {
        b.iter(|| {
            let mut f =
                imageio_core::open(path.as_path().into(), Mode::Read, &args(Options::new()))
                    .unwrap();
            black_box(f.properties(Index::All).unwrap().n_images)
        })
    });
    g.bench_function("random_access_frame_150", |b| {
        b.iter(|| {
            let mut f =
                imageio_core::open(path.as_path().into(), Mode::Read, &args(Options::new()))
                    .unwrap();
            black_box(f.read(Index::At(150)).unwrap())
        })
    });
    let frames: NdArray =
        imageio_core::open(path.as_path().into(), Mode::Read, &args(Options::new()))
            .unwrap()
            .read(Index::All)
            .unwrap();
    let out = std::env::temp_dir().join("imageio_ffmpeg_bench_out.mp4");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("encode_libx264_300", |b| {
        b.iter(|| {
            let mut w = imageio_core::open(
                out.as_path().into(),
                Mode::Write,
                &args(WriteOptions::new().fps(30.0).into()),
            )
            .unwrap();
            w.write(&frames).unwrap();
            w.close().unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
