//! Decode and encode a 4096×3072 RGB PNG through the plugin API, at default settings.
//!
//! Uses the shared benchmark photo (`/work/shared/bench/data/photo_rgb8.png`, or
//! `$IMAGEIO_BENCH_PNG`) when present; otherwise a deterministic noisy-photo-like image (smooth
//! lighting gradients, mid-frequency texture and σ≈2 noise) made here. Prints the encoded size.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use imageio_core::{Index, Mode, NdArray, OpenArgs, Resource, open};
use imageio_png as _;

const W: usize = 4096;
const H: usize = 3072;

fn synthetic() -> NdArray {
    let mut s = 0x9e37_79b9u32;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s
    };
    let mut data = Vec::with_capacity(W * H * 3);
    for y in 0..H {
        for x in 0..W {
            let (fx, fy) = (x as f32 / W as f32, y as f32 / H as f32);
            let light =
                150.0 + 60.0 * (fx - 0.5) - 80.0 * ((fx - 0.55).powi(2) + (fy - 0.45).powi(2));
            let tex = 12.0 * ((x as f32 * 0.05).sin() * (y as f32 * 0.031).cos())
                + 6.0 * ((x + 2 * y) as f32 * 0.013).sin();
            for c in 0..3 {
                // approximately normal noise: sum of 4 uniforms, σ ≈ 2
                let n: f32 = (0..4)
                    .map(|_| (rnd() & 0xff) as f32 / 255.0 - 0.5)
                    .sum::<f32>()
                    * 3.5;
                let v = light * [1.0, 0.8, 0.6][c] + tex + n;
                data.push(v.clamp(0.0, 255.0) as u8);
            }
        }
    }
    NdArray::from_shape_vec(&[H, W, 3], data).unwrap()
}

fn encode(img: &NdArray) -> Vec<u8> {
    let args = OpenArgs {
        extension: Some(".png".into()),
        ..Default::default()
    };
    let mut w = open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
    w.write(img).unwrap();
    w.close().unwrap().unwrap()
}

fn decode(bytes: &[u8]) -> NdArray {
    open(Resource::from(bytes), Mode::Read, &OpenArgs::default())
        .unwrap()
        .read(Index::Default)
        .unwrap()
}

/// Baseline: the bare `png` crate decoding into a buffer (what image-rs does).
fn png_crate_decode(bytes: &[u8]) -> Vec<u8> {
    let mut r = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    r.next_frame(&mut buf).unwrap();
    buf
}

/// Baseline: the bare `png` crate encoding with `Compression::Fast` (image-rs' default).
fn png_crate_encode(pixels: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    e.set_compression(png::Compression::Fast);
    let mut wr = e.write_header().unwrap();
    wr.write_image_data(pixels).unwrap();
    wr.finish().unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let path = std::env::var("IMAGEIO_BENCH_PNG")
        .unwrap_or_else(|_| "/work/shared/bench/data/photo_rgb8.png".into());
    let (img, source) = match std::fs::read(&path) {
        Ok(bytes) => (decode(&bytes), path),
        Err(_) => (synthetic(), "synthetic 4096×3072 photo-like image".into()),
    };
    let encoded = encode(&img);
    eprintln!(
        "png bench input: {source}; default encode: {:.2} MB",
        encoded.len() as f64 / 1e6
    );
    // Save the encoded file for a size comparison with other encoders (e.g. Pillow's zlib 6).
    if let Some(out) = std::env::var_os("IMAGEIO_BENCH_SAVE") {
        std::fs::write(out, &encoded).unwrap();
    }
    let mut g = c.benchmark_group("png_rgb8_4096x3072");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode(black_box(&encoded))))
    });
    g.bench_function("encode_default", |b| {
        b.iter(|| black_box(encode(black_box(&img))))
    });
    let pixels = img.to_le_bytes();
    let (h, w) = (img.shape()[0] as u32, img.shape()[1] as u32);
    g.bench_function("png_crate_decode_baseline", |b| {
        b.iter(|| black_box(png_crate_decode(black_box(&encoded))))
    });
    g.bench_function("png_crate_encode_fast_baseline", |b| {
        b.iter(|| black_box(png_crate_encode(black_box(&pixels), w, h)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
