//! Decode/encode benchmarks on the anchors' shapes (4096×3072 RGB photo, 200×512×512 uint16
//! volume). Uses /work/shared/bench/data when present (IMAGEIO_BENCH_DATA overrides), else
//! synthesises equivalent files once in the temp folder with our writer.
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use imageio_core::{Index, Mode, NdArray, OpenArgs, Options, Value};
use imageio_tiff as _;

fn args(options: Options) -> OpenArgs {
    OpenArgs {
        plugin: Some("tiff".into()),
        options,
        ..Default::default()
    }
}

fn photo() -> NdArray {
    let (h, w) = (3072usize, 4096usize);
    let mut s = 0x9E3779B97F4A7C15u64;
    let mut v = Vec::with_capacity(h * w * 3);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let base = ((x * (c + 1) / 24 + y / 16 + ((x / 64 + y / 48) % 7) * 9) % 256) as i32;
                v.push((base + (s % 9) as i32 - 4).clamp(0, 255) as u8);
            }
        }
    }
    NdArray::from_shape_vec(&[h, w, 3], v).unwrap()
}

fn volume() -> NdArray {
    let n = 200 * 512 * 512;
    let v: Vec<u16> = (0..n)
        .map(|i| ((i % 4093) as u16 ^ (i / 512) as u16) & 0x0fff)
        .collect();
    NdArray::from_shape_vec(&[200, 512, 512], v).unwrap()
}

fn write(path: &std::path::Path, a: &NdArray, o: Options) {
    let mut f = imageio_core::open(path.into(), Mode::Write, &args(o)).unwrap();
    f.write(a).unwrap();
    f.close().unwrap();
}

fn data() -> (PathBuf, NdArray) {
    let shared = std::env::var_os("IMAGEIO_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/bench/data"));
    let img = photo();
    if shared.join("photo_raw.tif").exists() {
        return (shared, img);
    }
    let dir = std::env::temp_dir().join("imageio-tiff-bench");
    std::fs::create_dir_all(&dir).unwrap();
    if !dir.join("volume_u16.tif").exists() {
        let strips = |c: &str| {
            Options::new()
                .with("compression", c)
                .with("predictor", true)
                .with("rowsperstrip", 64i64)
        };
        write(&dir.join("photo_raw.tif"), &img, Options::new());
        write(&dir.join("photo_deflate.tif"), &img, strips("zlib"));
        write(&dir.join("photo_lzw.tif"), &img, strips("lzw"));
        write(
            &dir.join("volume_u16.tif"),
            &volume(),
            Options::new().with("photometric", Value::from("minisblack")),
        );
    }
    (dir, img)
}

fn bench(c: &mut Criterion) {
    let (dir, img) = data();
    eprintln!("bench data: {}", dir.display());
    let mut g = c.benchmark_group("tiff");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    for name in [
        "photo_raw.tif",
        "photo_deflate.tif",
        "photo_lzw.tif",
        "volume_u16.tif",
    ] {
        let p = dir.join(name);
        g.bench_function(format!("decode {name}"), |b| {
            b.iter(|| {
                let mut f =
                    imageio_core::open(p.as_path().into(), Mode::Read, &args(Options::new()))
                        .unwrap();
                f.read(Index::Default).unwrap()
            })
        });
    }
    let out = std::env::temp_dir().join("imageio-tiff-bench-out.tif");
    g.bench_function("encode deflate+predictor photo", |b| {
        b.iter(|| {
            write(
                &out,
                &img,
                Options::new()
                    .with("compression", "zlib")
                    .with("predictor", true)
                    .with("rowsperstrip", 64i64),
            );
        })
    });
    eprintln!(
        "deflate output: {} bytes",
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0)
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
