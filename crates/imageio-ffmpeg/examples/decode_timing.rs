//! Times decoding a whole video to `(N, H, W, 3)` rgb24 (wall and process CPU time), with
//! optional decoder threading options:
//!
//! `cargo run --release -p imageio-ffmpeg --example decode_timing -- VIDEO [REPS] [THREADS] [TYPE]`

use std::time::Instant;

use imageio_core::{Index, Mode, OpenArgs};
use imageio_ffmpeg::ReadOptions;

fn cpu_seconds() -> f64 {
    // /proc/self/stat fields 14 and 15: user and system time in clock ticks (100 Hz).
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    tick(11) + tick(12)
}

fn main() -> imageio_core::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let path = a
        .get(1)
        .expect("usage: decode_timing VIDEO [REPS] [THREADS] [TYPE]");
    let reps: usize = a.get(2).and_then(|v| v.parse().ok()).unwrap_or(3);
    let mut o = ReadOptions::new();
    if let Some(t) = a.get(3).and_then(|v| v.parse().ok()) {
        o = o.thread_count(t);
    }
    if let Some(t) = a.get(4) {
        o = o.thread_type(t);
    }
    let args = OpenArgs {
        plugin: Some("ffmpeg".into()),
        options: o.into(),
        ..Default::default()
    };
    for _ in 0..reps {
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut f = imageio_core::open(path.as_str().into(), Mode::Read, &args)?;
        let arr = f.read(Index::All)?;
        let wall = t.elapsed().as_secs_f64();
        println!(
            "{:?}: wall {:.0} ms, cpu {:.0} ms",
            arr.shape(),
            wall * 1e3,
            (cpu_seconds() - c) * 1e3
        );
    }
    Ok(())
}
