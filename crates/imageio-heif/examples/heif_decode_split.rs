//! Times libheif decoding of a file with and without its YCbCr→RGB conversion.
//! `cargo run --release -p imageio-heif --example heif_decode_split -- FILE.heic`

use std::time::Instant;

use imageio_heif as _;
use libheif_rs::{ColorSpace, CompressionFormat, DecodingOptions, HeifContext, LibHeif, RgbChroma};

fn main() {
    let path = std::env::args().nth(1).expect("FILE.heic");
    let lib = LibHeif::new();
    let ctx = HeifContext::read_from_file(&path).unwrap();
    let h = ctx.primary_image_handle().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // HEIF_DECODER=<id>: only time that libheif decoder plugin (e.g. libde265, ffmpeg)
    if let Ok(id) = std::env::var("HEIF_DECODER") {
        for _ in 0..3 {
            let mut o = DecodingOptions::new().unwrap();
            o.set_decoder_id(Some(&id)).unwrap();
            // HEIF_RGB=1: include libheif's conversion to interleaved RGB
            let cs = if std::env::var_os("HEIF_RGB").is_some() {
                ColorSpace::Rgb(RgbChroma::Rgb)
            } else {
                ColorSpace::Undefined
            };
            let t = Instant::now();
            lib.decode(&h, cs, Some(o)).unwrap();
            println!("decoder {id}: {:.3} s", t.elapsed().as_secs_f64());
        }
        return;
    }
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
    for d in lib.decoder_descriptors(8, Some(CompressionFormat::Hevc)) {
        let id = d.id().to_owned();
        for _ in 0..3 {
            let mut o = DecodingOptions::new().unwrap();
            o.set_decoder_id(Some(&id)).unwrap();
            let t = Instant::now();
            let img = lib.decode(&h, ColorSpace::Undefined, Some(o)).unwrap();
            println!(
                "decoder {id} ({}): {:.3} s ({:?})",
                d.name(),
                t.elapsed().as_secs_f64(),
                img.color_space()
            );
        }
    }
}
