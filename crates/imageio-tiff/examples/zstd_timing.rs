//! zstd encode time and size per level (compare builds with and without `--features libzstd`).
//! Usage: cargo run --release -p imageio-tiff [--features libzstd] --example zstd_timing -- FILE.tif
use std::time::Instant;

use imageio_core::{Index, Mode, OpenArgs, Options, Resource};
use imageio_tiff as _;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/benchwork/data/photo_raw.tif".into());
    let args = OpenArgs {
        plugin: Some("tiff".into()),
        ..Default::default()
    };
    let mut f = imageio_core::open(path.as_str().into(), Mode::Read, &args).unwrap();
    let a = f.read(Index::Default).unwrap();
    for level in [None, Some(1i64), Some(3), Some(10), Some(19)] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..3 {
            let mut o = Options::new()
                .with("compression", "zstd")
                .with("predictor", true);
            if let Some(l) = level {
                o.set("level", l);
            }
            let t = Instant::now();
            let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
            w.write_with_options(&a, None, o).unwrap();
            size = w.close().unwrap().unwrap().len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "zstd level {level:?}: {size} bytes, encode median {:.0} ms (min {:.0})",
            times[1], times[0]
        );
    }
}
