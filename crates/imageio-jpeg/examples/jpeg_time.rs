//! Times the decode and encode paths on one file (release build):
//! `cargo run --release -p imageio-jpeg --example jpeg_time -- FILE.jpg [REPS] [decode|encode|all]`.
//!
//! Prints the median wall time of each stage in milliseconds; used to profile this crate's glue
//! (see docs/formats/jpeg.md, "Performance").

#[path = "../benches/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{decode, encode};
use imageio_core::Options;
use imageio_jpeg::JpegWriteOptions;

fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: jpeg_time FILE.jpg [REPS] [decode|encode|all]");
    let reps: usize = args.get(2).map_or(7, |r| r.parse().expect("REPS"));
    let what = args.get(3).map_or("all", String::as_str);
    let data = std::fs::read(path).unwrap();
    let img = decode(&data);
    let shape = img.shape().to_vec();
    println!("{path}: {shape:?}, {} bytes", data.len());
    if what == "all" || what == "decode" {
        println!(
            "decode (plugin, bytes -> array)        {:8.1} ms",
            median_ms(reps, || {
                std::hint::black_box(decode(&data));
            })
        );
    }
    if what == "all" || what == "encode" {
        let q90: Options = JpegWriteOptions::new().quality(90).into();
        let out = encode(&img, q90.clone());
        println!("encode q90 4:2:0 output {} bytes", out.len());
        println!(
            "encode q90 4:2:0 (plugin)              {:8.1} ms",
            median_ms(reps, || {
                std::hint::black_box(encode(&img, q90.clone()));
            })
        );
        let o: Options = JpegWriteOptions::new()
            .quality(90)
            .subsampling("4:4:4")
            .into();
        println!(
            "encode q90 4:4:4 (plugin)              {:8.1} ms",
            median_ms(reps, || {
                std::hint::black_box(encode(&img, o.clone()));
            })
        );
        let o: Options = JpegWriteOptions::new().quality(90).optimize(true).into();
        println!(
            "encode q90 4:2:0 optimize (plugin)     {:8.1} ms",
            median_ms(reps, || {
                std::hint::black_box(encode(&img, o.clone()));
            })
        );
        let o: Options = JpegWriteOptions::new().quality(90).progressive(true).into();
        println!(
            "encode q90 4:2:0 progressive (plugin)  {:8.1} ms",
            median_ms(reps, || {
                std::hint::black_box(encode(&img, o.clone()));
            })
        );
        let raw = img.to_le_bytes();
        let (h, w) = (shape[0] as u16, shape[1] as u16);
        println!(
            "jpeg-encoder alone, 1 thread, 4:2:0    {:8.1} ms",
            median_ms(reps, || {
                let mut out = Vec::with_capacity(8 << 20);
                let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
                enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
                enc.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
                enc.encode(&raw, w, h, jpeg_encoder::ColorType::Rgb)
                    .unwrap();
                std::hint::black_box(out);
            })
        );
    }
}
