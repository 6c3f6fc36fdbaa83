//! Quick timing of decode/encode of a 100 × 256 × 256 animation (wall and CPU time), for a busy
//! machine where criterion's wall-clock numbers are noisy:
//! `cargo run --release -p imageio-gif --example gif_timing [anim.gif]`.

use std::time::Instant;

use imageio_core::ndarray::Array4;
use imageio_core::{Index, Mode, OpenArgs, Options, Resource};
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
    let (w, h, n, s) = (1024usize, 768usize, 100usize, 256usize);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut img = Vec::with_capacity(w * h * 3);
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
                img.push((b + tex + (state % 9) as f64 - 4.0).clamp(0.0, 255.0) as u8);
            }
        }
    }
    let src = Array4::from_shape_fn((n, s, s, 3), |(k, y, x, c)| {
        let t = k as f64 / (n - 1) as f64;
        let x0 = (t * (w - s) as f64).round() as usize;
        let y0 = ((0.5 - 0.5 * (std::f64::consts::PI * t).cos()) * (h - s) as f64).round() as usize;
        img[((y0 + y) * w + x0 + x) * 3 + c]
    })
    .into_dyn();
    let encode = |src: &imageio_core::ndarray::ArrayD<u8>, o: Options| {
        let args = OpenArgs {
            extension: Some(".gif".into()),
            options: o,
            ..Default::default()
        };
        let mut wr = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
        wr.write_with(src, Some(true)).unwrap();
        wr.close().unwrap().unwrap()
    };
    let decode = |b: &[u8]| {
        let mut f = imageio_core::open(b.into(), Mode::Read, &OpenArgs::default()).unwrap();
        f.read(Index::Default).unwrap()
    };
    let psnr = |a: &imageio_core::ndarray::ArrayD<u8>, b: &imageio_core::NdArray| {
        let b = b.as_array::<u8>().unwrap();
        let mse: f64 = a
            .iter()
            .zip(b.iter())
            .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
            .sum::<f64>()
            / a.len() as f64;
        10.0 * (255.0f64 * 255.0 / mse).log10()
    };
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
