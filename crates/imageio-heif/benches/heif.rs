//! Decode and encode of a 4096×3072 HEIC at quality 90.
//!
//! Uses `/work/shared/bench/data/photo_q90.heic` and `data/ref/photo_rgb8.npy` when the shared
//! bench data set exists (`IMAGEIO_BENCH_DATA` overrides the folder); otherwise a deterministic
//! synthetic photo-like image (gradients, texture and noise) that is also saved as
//! `<target>/heif-bench-photo.npy` so that other tools can be timed on the same pixels.
//! The encoder speed preset is the plugin default ([`imageio_heif::DEFAULT_X265_PRESET`]) unless
//! `HEIF_BENCH_PRESET` names another one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use imageio_core::{Index, Mode, NdArray, OpenArgs, Resource, open};
use imageio_heif::HeifWriteOptions;

const H: usize = 3072;
const W: usize = 4096;

fn data_dir() -> PathBuf {
    std::env::var_os("IMAGEIO_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/work/shared/bench/data".into())
}

/// Minimal reader for a C-order uint8 .npy file.
fn read_npy_u8(p: &Path) -> Option<NdArray> {
    let b = std::fs::read(p).ok()?;
    let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = std::str::from_utf8(&b[10..10 + hl]).ok()?;
    if !header.contains("'|u1'") || header.contains("'fortran_order': True") {
        return None;
    }
    let shape_txt = header.split("'shape': (").nth(1)?.split(')').next()?;
    let shape: Vec<usize> = shape_txt
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    NdArray::from_shape_vec(&shape, b[10 + hl..].to_vec()).ok()
}

fn write_npy_u8(p: &Path, a: &NdArray) {
    let s = a.shape();
    let mut header = format!(
        "{{'descr': '|u1', 'fortran_order': False, 'shape': ({}, {}, {}), }}",
        s[0], s[1], s[2]
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&a.to_le_bytes());
    std::fs::write(p, out).unwrap();
}

/// Photo-like content: smooth light, a few edges, texture and σ≈2 noise (xorshift, fixed seed).
fn synthetic() -> NdArray {
    let mut v = Vec::with_capacity(H * W * 3);
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 40) & 0xffff) as f32 / 65535.0
    };
    for y in 0..H {
        for x in 0..W {
            let (fx, fy) = (x as f32 / W as f32, y as f32 / H as f32);
            let light = 60.0 + 120.0 * fx * (1.0 - 0.5 * fy);
            let tex = 18.0 * ((x as f32 * 0.07).sin() * (y as f32 * 0.05).cos())
                + 10.0 * ((x + 3 * y) as f32 * 0.013).sin();
            let edge = if ((x / 512) + (y / 384)) % 2 == 0 {
                25.0
            } else {
                -10.0
            };
            let n = (rnd() + rnd() + rnd() - 1.5) * 4.0;
            for (c, k) in [1.0f32, 0.85, 0.7].iter().enumerate() {
                let val = (light * k + tex * (1.0 - 0.2 * c as f32) + edge + n).clamp(0.0, 255.0);
                v.push(val as u8);
            }
        }
    }
    NdArray::from_shape_vec(&[H, W, 3], v).unwrap()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn encode(img: &NdArray, preset: &str) -> Vec<u8> {
    let args = OpenArgs {
        extension: Some(".heic".into()),
        options: HeifWriteOptions::new().quality(90).preset(preset).into(),
        ..Default::default()
    };
    let mut w = open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
    w.write(img).unwrap();
    w.close().unwrap().unwrap()
}

fn bench(c: &mut Criterion) {
    let preset = std::env::var("HEIF_BENCH_PRESET")
        .unwrap_or_else(|_| imageio_heif::DEFAULT_X265_PRESET.to_owned());
    let dir = data_dir();
    let (img, heic, origin) = match (
        read_npy_u8(&dir.join("ref/photo_rgb8.npy")),
        std::fs::read(dir.join("photo_q90.heic")),
    ) {
        (Some(img), Ok(heic)) => (img, heic, "shared bench data (pillow-heif q90 file)"),
        _ => {
            let img = synthetic();
            let npy = target_dir().join("heif-bench-photo.npy");
            write_npy_u8(&npy, &img);
            let cached = target_dir().join("heif-bench-photo-q90.heic");
            let heic = std::fs::read(&cached).unwrap_or_else(|_| {
                let h = encode(&img, "slow");
                std::fs::write(&cached, &h).unwrap();
                h
            });
            (
                img,
                heic,
                "synthetic photo (saved beside the target dir), q90 HEIC encoded with x265 preset slow",
            )
        }
    };
    eprintln!(
        "heif bench: {origin}; encode preset `{preset}`; HEIC {} bytes",
        heic.len()
    );
    let mut g = c.benchmark_group("heif_4096x3072");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("decode_q90_heic", |b| {
        b.iter(|| {
            let mut r = open(
                Resource::from(heic.as_slice()),
                Mode::Read,
                &Default::default(),
            )
            .unwrap();
            r.read(Index::Default).unwrap()
        })
    });
    g.bench_function(format!("encode_q90_heic_{preset}"), |b| {
        b.iter(|| encode(&img, &preset))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
