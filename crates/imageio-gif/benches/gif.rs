//! GIF decode of a 100 × 256 × 256 animation and encode of 100 RGB frames of 256 × 256.
//!
//! Decode input: `/work/shared/bench/data/anim.gif` (or `$IMAGEIO_BENCH_DATA/anim.gif`) when
//! present, else an animation generated here: a pan over a synthetic photo-like image, written by
//! this crate (per-frame palettes). Encode inputs: (a) the decoded animation (≤ 256 colours per
//! frame, like the bench dataset's `gif_rgb8.npy`: the exact-palette path), (b) the pan itself
//! (thousands of colours per frame: the quantiser path). PSNR against the source is printed.

mod common;

use std::path::PathBuf;

use common::{N, S, decode, encode, pan, psnr};
use criterion::{Criterion, criterion_group, criterion_main};
use imageio_core::Options;
use imageio_core::ndarray::{ArrayD, IxDyn};
use imageio_gif::{GifWriteOptions, Quantizer};

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
