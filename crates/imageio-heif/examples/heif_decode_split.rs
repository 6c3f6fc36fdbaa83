//! Times libheif decoding of a file: through the plugin, with and without libheif's YCbCr→RGB
//! conversion, and with each installed HEVC decoder plugin.
//! `cargo run --release -p imageio-heif --example heif_decode_split -- FILE.heic`
//!
//! `HEIF_DECODER=<id>` times only that decoder plugin (e.g. `libde265`, `ffmpeg`), with
//! `HEIF_RGB=1` including the conversion to interleaved RGB: run it under `/usr/bin/time` to
//! compare CPU seconds.

use std::time::Instant;

use imageio_heif as _;
use libheif_rs::{
    ColorSpace, CompressionFormat, DecodingOptions, HeifContext, ImageHandle, LibHeif, RgbChroma,
};

/// Decodes `h` three times as `cs` with decoder plugin `id` (libheif's choice for `None`).
fn time_decode(lib: &LibHeif, h: &ImageHandle, id: Option<&str>, cs: ColorSpace, label: &str) {
    for _ in 0..3 {
        let options = id.map(|id| {
            let mut o = DecodingOptions::new().unwrap();
            o.set_decoder_id(Some(id)).unwrap();
            o
        });
        let t = Instant::now();
        let img = lib.decode(h, cs, options).unwrap();
        println!(
            "{label}: {:.3} s ({:?})",
            t.elapsed().as_secs_f64(),
            img.color_space()
        );
    }
}

fn time_plugin(resource: imageio_core::Resource<'_>, label: &str) {
    let t = Instant::now();
    let mut r =
        imageio_core::open(resource, imageio_core::Mode::Read, &Default::default()).unwrap();
    let a = r.read(imageio_core::Index::Default).unwrap();
    println!(
        "plugin from {label}: {:.3} s {:?}",
        t.elapsed().as_secs_f64(),
        a.shape()
    );
}

fn main() {
    let path = std::env::args().nth(1).expect("FILE.heic");
    let lib = LibHeif::new();
    let ctx = HeifContext::read_from_file(&path).unwrap();
    let h = ctx.primary_image_handle().unwrap();
    if let Ok(id) = std::env::var("HEIF_DECODER") {
        let cs = if std::env::var_os("HEIF_RGB").is_some() {
            ColorSpace::Rgb(RgbChroma::Rgb)
        } else {
            ColorSpace::Undefined
        };
        time_decode(&lib, &h, Some(&id), cs, &format!("decoder {id}"));
        return;
    }
    let bytes = std::fs::read(&path).unwrap();
    for _ in 0..3 {
        time_plugin(imageio_core::Resource::from(bytes.as_slice()), "bytes");
        time_plugin(imageio_core::Resource::from(path.as_str()), "path");
    }
    time_decode(
        &lib,
        &h,
        None,
        ColorSpace::Undefined,
        "native (no conversion)",
    );
    time_decode(
        &lib,
        &h,
        None,
        ColorSpace::Rgb(RgbChroma::Rgb),
        "interleaved RGB",
    );
    for d in lib.decoder_descriptors(8, Some(CompressionFormat::Hevc)) {
        let label = format!("decoder {} ({})", d.id(), d.name());
        time_decode(&lib, &h, Some(d.id()), ColorSpace::Undefined, &label);
    }
}
