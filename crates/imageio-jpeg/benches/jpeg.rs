//! Decode and encode a 4096×3072 q90 photo.
//!
//! Uses the bench data set's `photo_q90.jpg` (libjpeg-turbo, q90, 4:2:0) when
//! `/work/shared/bench/data/photo_q90.jpg` (or `$IMAGEIO_BENCH_DATA/photo_q90.jpg`) exists, else a
//! generated photo-like image encoded by this crate at q90 4:2:0.

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use common::{decode, encode};
use criterion::{Criterion, criterion_group, criterion_main};
use imageio_core::{NdArray, Options};
use imageio_jpeg::JpegWriteOptions;

fn bench_file() -> Option<PathBuf> {
    let dir = std::env::var_os("IMAGEIO_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/bench/data"));
    let p = dir.join("photo_q90.jpg");
    p.exists().then_some(p)
}

/// A photo-like 4096×3072 RGB image: gradients, edges, texture and noise (not flat, not pure noise).
fn synthetic(h: usize, w: usize) -> NdArray {
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut v = Vec::with_capacity(h * w * 3);
    for y in 0..h {
        for x in 0..w {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let n = (state % 9) as f32 - 4.0;
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let tex = ((x as f32 * 0.37).sin() * (y as f32 * 0.23).cos()) * 18.0;
            let disc = if (fx - 0.5).powi(2) + (fy - 0.5).powi(2) < 0.05 {
                50.0
            } else {
                0.0
            };
            for c in [
                110.0 + 80.0 * (fx * 6.0).sin() * (fy * 4.0).cos() + tex + disc,
                90.0 + 100.0 * fy + tex * 0.5 - disc,
                150.0 - 90.0 * fx + tex * 0.8,
            ] {
                v.push((c + n).clamp(0.0, 255.0) as u8);
            }
        }
    }
    NdArray::from_shape_vec(&[h, w, 3], v).unwrap()
}

fn benches(c: &mut Criterion) {
    let (data, source) = match bench_file() {
        Some(p) => (std::fs::read(&p).unwrap(), format!("{}", p.display())),
        None => {
            let img = synthetic(3072, 4096);
            (
                encode(&img, JpegWriteOptions::new().quality(90).into()),
                "synthetic (encoded by jpeg-encoder)".into(),
            )
        }
    };
    eprintln!("bench input: {source}, {} bytes", data.len());
    let img = decode(&data);
    assert_eq!(img.shape(), &[3072, 4096, 3]);

    let mut g = c.benchmark_group("jpeg_4096x3072");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("decode_q90", |b| b.iter(|| decode(black_box(&data))));
    let q90: Options = JpegWriteOptions::new().quality(90).into();
    g.bench_function("encode_q90_420", |b| {
        b.iter(|| encode(black_box(&img), q90.clone()))
    });
    let q90_444: Options = JpegWriteOptions::new()
        .quality(90)
        .subsampling("4:4:4")
        .into();
    g.bench_function("encode_q90_444", |b| {
        b.iter(|| encode(black_box(&img), q90_444.clone()))
    });
    let q90_opt: Options = JpegWriteOptions::new().quality(90).optimize(true).into();
    g.bench_function("encode_q90_420_optimize", |b| {
        b.iter(|| encode(black_box(&img), q90_opt.clone()))
    });
    // jpeg-encoder alone, one thread, the same settings (what the plugin does without strips)
    let raw = img.to_le_bytes();
    for (name, method) in [
        (
            "jpeg_encoder_1thread_q90_420_average",
            jpeg_encoder::ChromaSubsamplingMethod::Average,
        ),
        (
            "jpeg_encoder_1thread_q90_420_nearest",
            jpeg_encoder::ChromaSubsamplingMethod::Nearest,
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(8 << 20);
                let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
                enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
                enc.set_chroma_subsampling_method(method);
                enc.encode(black_box(&raw), 4096, 3072, jpeg_encoder::ColorType::Rgb)
                    .unwrap();
                out
            })
        });
    }
    g.finish();
}

criterion_group!(jpeg, benches);
criterion_main!(jpeg);
