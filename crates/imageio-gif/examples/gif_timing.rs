//! Quick timing of decode/encode of a 100 × 256 × 256 animation (wall and CPU time), for a busy
//! machine where criterion's wall-clock numbers are noisy:
//! `cargo run --release -p imageio-gif --example gif_timing [anim.gif]`.

#[path = "../benches/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{decode, encode, pan, psnr};
use imageio_core::Options;
use imageio_gif::{GifWriteOptions, Quantizer};

fn cpu_ms() -> f64 {
    // utime + stime of this process, in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) * 10.0
}

fn main() {
    let src = pan().into_dyn();
    let mut anim = None;
    for (name, o) in [
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
        let (t, c) = (Instant::now(), cpu_ms());
        let bytes = encode(&src, o.into());
        let (wall, cpu) = (t.elapsed().as_secs_f64() * 1e3, cpu_ms() - c);
        println!(
            "encode {name}: wall {wall:.0} ms, cpu {cpu:.0} ms, {} bytes, PSNR {:.2} dB",
            bytes.len(),
            psnr(&src, &decode(&bytes))
        );
        anim.get_or_insert(bytes);
    }
    let anim = match std::env::args().nth(1) {
        Some(p) => std::fs::read(p).unwrap(),
        None => anim.unwrap(),
    };
    let decoded = decode(&anim);
    let pal = decoded.as_array::<u8>().unwrap().to_owned();
    let (t, c) = (Instant::now(), cpu_ms());
    let bytes = encode(&pal, Options::new());
    println!(
        "encode palettised (exact): wall {:.0} ms, cpu {:.0} ms, {} bytes, PSNR {:.2}",
        t.elapsed().as_secs_f64() * 1e3,
        cpu_ms() - c,
        bytes.len(),
        psnr(&pal, &decode(&bytes))
    );
    let mut best = f64::MAX;
    let c = cpu_ms();
    for _ in 0..5 {
        let t = Instant::now();
        let a = decode(&anim);
        assert_eq!(a.shape()[0], 100);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "decode: best wall {best:.0} ms, mean cpu {:.0} ms",
        (cpu_ms() - c) / 5.0
    );
    // The gif crate alone (indices only, no compositing), for comparison.
    let mut best = f64::MAX;
    let c = cpu_ms();
    for _ in 0..5 {
        let t = Instant::now();
        let mut o = gif::DecodeOptions::new();
        o.set_color_output(gif::ColorOutput::Indexed);
        let mut d = o.read_info(anim.as_slice()).unwrap();
        let mut n = 0;
        while d.read_next_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 100);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "gif crate alone: best wall {best:.0} ms, mean cpu {:.0} ms",
        (cpu_ms() - c) / 5.0
    );
}
