//! GIF decode of a 100 × 256 × 256 animation and encode of 100 RGB frames of 256 × 256.
//!
//! Decode input: `/work/shared/bench/data/anim.gif` (or `$IMAGEIO_BENCH_DATA/anim.gif`) when
//! present, else an animation generated here: a pan over a synthetic photo-like image, written by
//! this crate (per-frame palettes). Encode inputs: (a) the decoded animation (≤ 256 colours per
//! frame, like the bench dataset's `gif_rgb8.npy`: the exact-palette path), (b) the pan itself
//! (thousands of colours per frame: the quantiser path). PSNR against the source is printed.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use imageio_core::ndarray::{Array4, ArrayD, IxDyn};
use imageio_core::{Index, Mode, NdArray, OpenArgs, Options, Resource};
use imageio_gif::{GifWriteOptions, Quantizer};

const N: usize = 100;
const S: usize = 256;

/// A deterministic photo-like 1024 × 768 RGB image: smooth shapes, texture and noise.
fn photo() -> Vec<u8> {
    let (w, h) = (1024usize, 768usize);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
            let base = [
                120.0 + 90.0 * (fx * 5.0 + (fy * 3.0).sin()).sin(),
                100.0 + 70.0 * (fy * 7.0 - fx * 2.0).cos(),
                90.0 + 60.0 * ((fx - 0.5).hypot(fy - 0.4) * 18.0).sin(),
            ];
            let tex = 12.0 * ((x as f64 * 0.31).sin() * (y as f64 * 0.27).cos());
            for b in base {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let noise = (state % 9) as f64 - 4.0;
                out.push((b + tex + noise).clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

fn pan() -> Array4<u8> {
    let img = photo();
    let (w, h) = (1024usize, 768usize);
    Array4::from_shape_fn((N, S, S, 3), |(k, y, x, c)| {
        let t = k as f64 / (N - 1) as f64;
        let x0 = (t * (w - S) as f64).round() as usize;
        let y0 = ((0.5 - 0.5 * (std::f64::consts::PI * t).cos()) * (h - S) as f64).round() as usize;
        img[((y0 + y) * w + x0 + x) * 3 + c]
    })
}

fn encode(frames: &ArrayD<u8>, opts: Options) -> Vec<u8> {
    let args = OpenArgs {
        extension: Some(".gif".into()),
        options: opts,
        ..Default::default()
    };
    let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
    w.write_with(frames, Some(true)).unwrap();
    w.close().unwrap().unwrap()
}

fn decode(bytes: &[u8]) -> NdArray {
    let mut f = imageio_core::open(bytes.into(), Mode::Read, &OpenArgs::default()).unwrap();
    f.read(Index::Default).unwrap()
}

fn psnr(a: &ArrayD<u8>, b: &NdArray) -> f64 {
    let b = b.as_array::<u8>().unwrap();
    let mse: f64 = a
        .iter()
        .zip(b.iter())
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

fn bench(c: &mut Criterion) {
    let src = pan().into_dyn();
    let data_dir = std::env::var_os("IMAGEIO_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or("/work/shared/bench/data".into());
    let anim = match std::fs::read(data_dir.join("anim.gif")) {
        Ok(b) => {
            eprintln!("decode input: {}", data_dir.join("anim.gif").display());
            b
        }
        Err(_) => {
            eprintln!(
                "decode input: generated pan (no {}/anim.gif)",
                data_dir.display()
            );
            encode(&src, Options::new())
        }
    };
    let decoded = decode(&anim);
    assert_eq!(decoded.shape()[..3], [N, S, S]);
    let palettised: ArrayD<u8> = decoded
        .as_array::<u8>()
        .unwrap()
        .slice_each_axis(|a| {
            if a.axis.index() == 3 {
                imageio_core::ndarray::Slice::from(0..3)
            } else {
                imageio_core::ndarray::Slice::from(..)
            }
        })
        .to_owned()
        .into_shape_with_order(IxDyn(&[N, S, S, 3]))
        .unwrap();

    for (name, opts) in [
        (
            "mediancut",
            GifWriteOptions::new().quantizer(Quantizer::MedianCut),
        ),
        (
            "neuquant",
            GifWriteOptions::new().quantizer(Quantizer::NeuQuant),
        ),
        ("mediancut+dither", GifWriteOptions::new().dither(true)),
    ] {
        let bytes = encode(&src, opts.into());
        eprintln!(
            "encode pan ({name}): {} bytes, PSNR {:.2} dB",
            bytes.len(),
            psnr(&src, &decode(&bytes))
        );
    }
    let bytes = encode(&palettised, Options::new());
    eprintln!(
        "encode palettised anim: {} bytes, PSNR {:.2} dB",
        bytes.len(),
        psnr(&palettised, &decode(&bytes))
    );

    let mut g = c.benchmark_group("gif");
    g.sample_size(10);
    g.bench_function("decode_100x256x256", |b| b.iter(|| decode(&anim)));
    g.bench_function("encode_100x256x256_pan_mediancut", |b| {
        b.iter(|| encode(&src, Options::new()))
    });
    g.bench_function("encode_100x256x256_pan_neuquant", |b| {
        b.iter(|| {
            encode(
                &src,
                GifWriteOptions::new().quantizer(Quantizer::NeuQuant).into(),
            )
        })
    });
    g.bench_function("encode_100x256x256_palettised", |b| {
        b.iter(|| encode(&palettised, Options::new()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
