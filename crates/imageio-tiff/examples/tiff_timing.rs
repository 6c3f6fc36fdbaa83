//! Quick timing of decodes against a plain file read (same process, same load).
//! Usage: cargo run --release -p imageio-tiff --example tiff_timing -- DIR
use std::time::Instant;

use imageio_core::{Index, Mode, OpenArgs};
use imageio_tiff as _;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/imageio-tiff-bench".into());
    let args = OpenArgs {
        plugin: Some("tiff".into()),
        ..Default::default()
    };
    for name in [
        "photo_raw.tif",
        "photo_deflate.tif",
        "photo_lzw.tif",
        "volume_u16.tif",
    ] {
        let p = std::path::Path::new(&dir).join(name);
        let mut t_read = Vec::new();
        let mut t_dec = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let v = std::fs::read(&p).unwrap();
            t_read.push(t.elapsed().as_secs_f64() * 1e3);
            drop(v);
            let t = Instant::now();
            let mut f = imageio_core::open(p.as_path().into(), Mode::Read, &args).unwrap();
            let a = f.read(Index::Default).unwrap();
            t_dec.push(t.elapsed().as_secs_f64() * 1e3);
            drop(a);
        }
        t_read.sort_by(f64::total_cmp);
        t_dec.sort_by(f64::total_cmp);
        println!(
            "{name}: decode median {:.1} ms (min {:.1}); plain fs::read median {:.1} ms",
            t_dec[3], t_dec[0], t_read[3]
        );
    }
    let p = std::path::Path::new(&dir).join("photo_raw.tif");
    let img = imageio_core::open(p.as_path().into(), Mode::Read, &args)
        .unwrap()
        .read(Index::Default)
        .unwrap();
    let out = std::env::temp_dir().join("imageio-tiff-timing-out.tif");
    let deflate = || {
        imageio_core::Options::new()
            .with("compression", "zlib")
            .with("predictor", true)
            .with("rowsperstrip", 64i64)
    };
    for (label, opts) in [
        ("deflate+predictor", deflate()),
        (
            "deflate+predictor maxworkers=1",
            deflate().with("maxworkers", 1i64),
        ),
        ("uncompressed", imageio_core::Options::new()),
    ] {
        let wargs = OpenArgs {
            plugin: Some("tiff".into()),
            options: opts,
            ..Default::default()
        };
        let mut ts = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let mut f = imageio_core::open(out.as_path().into(), Mode::Write, &wargs).unwrap();
            f.write(&img).unwrap();
            f.close().unwrap();
            ts.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ts.sort_by(f64::total_cmp);
        println!(
            "encode {label}: median {:.1} ms, {} bytes",
            ts[1],
            std::fs::metadata(&out).unwrap().len()
        );
    }
}
