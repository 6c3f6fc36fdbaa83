//! Times libheif decoding of a file with and without its YCbCr→RGB conversion.
//! `cargo run --release -p imageio-heif --example heif_decode_split -- FILE.heic`

use std::time::Instant;

use imageio_heif as _;
use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

fn main() {
    let path = std::env::args().nth(1).expect("FILE.heic");
    let lib = LibHeif::new();
    let ctx = HeifContext::read_from_file(&path).unwrap();
    let h = ctx.primary_image_handle().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let mut r = imageio_core::open(
            imageio_core::Resource::from(bytes.as_slice()),
            imageio_core::Mode::Read,
            &Default::default(),
        )
        .unwrap();
        let t1 = t.elapsed().as_secs_f64();
        let a = r.read(imageio_core::Index::Default).unwrap();
        println!(
            "plugin from bytes: open {t1:.3} s, total {:.3} s {:?}",
            t.elapsed().as_secs_f64(),
            a.shape()
        );
        let t = Instant::now();
        let mut r = imageio_core::open(
            imageio_core::Resource::from(path.as_str()),
            imageio_core::Mode::Read,
            &Default::default(),
        )
        .unwrap();
        let a = r.read(imageio_core::Index::Default).unwrap();
        println!(
            "plugin from path: total {:.3} s {:?}",
            t.elapsed().as_secs_f64(),
            a.shape()
        );
    }
    for (name, cs) in [
        ("native (no conversion)", ColorSpace::Undefined),
        ("interleaved RGB", ColorSpace::Rgb(RgbChroma::Rgb)),
    ] {
        for _ in 0..3 {
            let t = Instant::now();
            let img = lib.decode(&h, cs, None).unwrap();
            println!(
                "{name}: {:.3} s ({:?})",
                t.elapsed().as_secs_f64(),
                img.color_space()
            );
        }
    }
}
