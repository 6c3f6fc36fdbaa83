//! Decode time of JPEG TIFFs (compare builds with and without `--features turbo`: zune-jpeg vs
//! libjpeg-turbo for 8-bit JPEG).
//! Usage: cargo run --release -p imageio-tiff [--features turbo] --example jpeg_timing -- FILE.tif...
use std::time::Instant;

use imageio_core::{Index, Mode, OpenArgs};
use imageio_tiff as _;

fn main() {
    let args = OpenArgs {
        plugin: Some("tiff".into()),
        ..Default::default()
    };
    for p in std::env::args().skip(1) {
        let mut t_dec = Vec::new();
        let mut sha = String::new();
        for _ in 0..7 {
            let t = Instant::now();
            let mut f = imageio_core::open(p.as_str().into(), Mode::Read, &args).unwrap();
            let a = f.read(Index::Default).unwrap();
            t_dec.push(t.elapsed().as_secs_f64() * 1e3);
            sha = a.sha256_hex();
        }
        t_dec.sort_by(f64::total_cmp);
        println!(
            "{p}: decode median {:.1} ms (min {:.1}); sha256 {}",
            t_dec[3],
            t_dec[0],
            &sha[..16]
        );
    }
}
