//! Compares x265 presets at one quality: encode time, file size, PSNR, decode time.
//!
//! `cargo run --release -p imageio-heif --example heif_presets -- IMAGE.npy [QUALITY] [PRESET...]`
//! (IMAGE.npy: a C-order uint8 (H, W, 3) array, e.g. the bench's `heif-bench-photo.npy` or the
//! shared bench's `data/ref/photo_rgb8.npy`).

use std::time::Instant;

use imageio_core::{Index, Mode, NdArray, OpenArgs, Resource, open};
use imageio_heif::HeifWriteOptions;

fn read_npy_u8(p: &str) -> NdArray {
    let b = std::fs::read(p).expect("read .npy");
    let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = std::str::from_utf8(&b[10..10 + hl]).unwrap();
    assert!(header.contains("'|u1'"), "uint8 .npy expected");
    let shape_txt = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape: Vec<usize> = shape_txt
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    NdArray::from_shape_vec(&shape, b[10 + hl..].to_vec()).unwrap()
}

/// CPU seconds (user + system, all threads) of this process, from /proc (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn psnr(a: &NdArray, b: &NdArray) -> f64 {
    let (x, y) = (a.to_le_bytes(), b.to_le_bytes());
    let mse: f64 = x
        .iter()
        .zip(&y)
        .map(|(p, q)| (*p as f64 - *q as f64).powi(2))
        .sum::<f64>()
        / x.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("IMAGE.npy");
    let quality: i64 = args.next().map(|q| q.parse().unwrap()).unwrap_or(90);
    let mut presets: Vec<String> = args.collect();
    if presets.is_empty() {
        presets = ["slow", "medium", "fast", "faster", "veryfast"]
            .map(String::from)
            .to_vec();
    }
    let img = read_npy_u8(&path);
    println!("image {:?}, quality {quality}", img.shape());
    println!(
        "| preset | encode s (wall) | encode s (CPU) | MB | PSNR dB | decode s (wall) | decode s (CPU) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for p in presets {
        let a = OpenArgs {
            extension: Some(".heic".into()),
            options: HeifWriteOptions::new().quality(quality).preset(&p).into(),
            ..Default::default()
        };
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut w = open(Resource::ReturnBytes, Mode::Write, &a).unwrap();
        w.write(&img).unwrap();
        let bytes = w.close().unwrap().unwrap();
        let (enc, enc_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        let (t, c) = (Instant::now(), cpu_seconds());
        let back = open(Resource::from(&bytes), Mode::Read, &Default::default())
            .unwrap()
            .read(Index::Default)
            .unwrap();
        let (dec, dec_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        println!(
            "| {p} | {enc:.2} | {enc_cpu:.2} | {:.2} | {:.2} | {dec:.2} | {dec_cpu:.2} |",
            bytes.len() as f64 / 1e6,
            psnr(&img, &back)
        );
    }
}
