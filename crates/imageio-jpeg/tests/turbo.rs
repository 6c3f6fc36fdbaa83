//! The `turbo` build (libjpeg-turbo) encodes exactly like Pillow, which uses the same library:
//! same entropy-coded data for every option combination on small images, same decoded pixels for
//! large images (which this crate encodes in parallel strips joined by restart markers).
//! Decoding is checked bit-exact against Pillow by `tests/pillow.rs` in this build.
#![cfg(feature = "turbo")]

mod common;

use std::path::Path;

use common::*;
use imageio_core::NdArray;
use imageio_jpeg::JpegWriteOptions;

/// Photo-like content: smooth gradients, a hard-edged disc, noise (gray when `channels` is 0).
fn photo(h: usize, w: usize, channels: usize) -> NdArray {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut v = Vec::with_capacity(h * w * channels.max(1));
    for y in 0..h {
        for x in 0..w {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let n = (state % 9) as f64 - 4.0;
            let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
            let disc = if (fx - 0.4).powi(2) + (fy - 0.6).powi(2) < 0.05 {
                70.0
            } else {
                0.0
            };
            let c = [
                110.0 + 90.0 * (fx * 6.0).sin() * (fy * 4.0).cos() + disc,
                80.0 + 120.0 * fy - disc,
                190.0 - 120.0 * fx + 25.0 * (fy * 11.0).sin(),
            ];
            for ch in c.iter().take(channels.max(1)) {
                v.push((ch + n).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let shape = if channels == 0 {
        vec![h, w]
    } else {
        vec![h, w, channels]
    };
    NdArray::from_shape_vec(&shape, v).unwrap()
}

/// Everything from the first SOS marker on: the entropy-coded data (and, for progressive files,
/// the later scans with their tables).
fn scans(jpeg: &[u8]) -> &[u8] {
    let mut pos = 2;
    while pos + 4 <= jpeg.len() {
        assert_eq!(jpeg[pos], 0xFF, "marker expected at {pos}");
        if jpeg[pos + 1] == 0xDA {
            return &jpeg[pos..];
        }
        pos += 2 + u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
    }
    panic!("no SOS")
}

/// Pillow-decoded pixels of `path`.
fn pillow_pixels(path: &Path) -> (Vec<usize>, Vec<u8>) {
    let npy = path.with_extension("npy");
    check_jpeg(&["decode", path.to_str().unwrap(), npy.to_str().unwrap()]);
    read_npy(&npy)
}

struct Case {
    name: &'static str,
    quality: u8,
    subsampling: &'static str,
    progressive: bool,
    optimize: bool,
}

fn compare_with_pillow(img: &NdArray, c: &Case, same_scans: bool) {
    let src = tmp_dir("turbo").join(format!("{}.src.npy", c.name));
    write_npy(&src, img.shape(), &img.to_le_bytes());
    let theirs = tmp_dir("turbo").join(format!("{}.pillow.jpg", c.name));
    let q = c.quality.to_string();
    let mut args = vec![
        "encode",
        src.to_str().unwrap(),
        theirs.to_str().unwrap(),
        "--quality",
        &q,
        "--subsampling",
        c.subsampling,
    ];
    if c.progressive {
        args.push("--progressive");
    }
    if c.optimize {
        args.push("--optimize");
    }
    check_jpeg(&args);
    let ours = tmp_dir("turbo").join(format!("{}.ours.jpg", c.name));
    let opts = JpegWriteOptions::new()
        .quality(c.quality)
        .subsampling(c.subsampling)
        .progressive(c.progressive)
        .optimize(c.optimize);
    write_file(&ours, img, opts.into()).unwrap();
    let (a, b) = (
        std::fs::read(&ours).unwrap(),
        std::fs::read(&theirs).unwrap(),
    );
    println!(
        "{:<28} ours {} bytes, Pillow {} bytes",
        c.name,
        a.len(),
        b.len()
    );
    if same_scans {
        assert!(
            scans(&a) == scans(&b),
            "{}: entropy-coded data differ from Pillow's",
            c.name
        );
    }
    let (sa, pa) = pillow_pixels(&ours);
    let (sb, pb) = pillow_pixels(&theirs);
    assert_eq!(sa, sb, "{}", c.name);
    assert!(
        pa == pb,
        "{}: decoded pixels differ from Pillow's file",
        c.name
    );
}

#[test]
fn encoder_equals_pillows_for_every_option() {
    let cases = [
        ("q75_420", 3, 75, "4:2:0", false, false),
        ("q90_420", 3, 90, "4:2:0", false, false),
        ("q90_422", 3, 90, "4:2:2", false, false),
        ("q95_444", 3, 95, "4:4:4", false, false),
        ("q50_420_optimize", 3, 50, "4:2:0", false, true),
        ("q90_420_progressive", 3, 90, "4:2:0", true, false),
        ("q80_444_progressive_opt", 3, 80, "4:4:4", true, true),
        ("gray_q90", 0, 90, "4:2:0", false, false),
        ("gray_q70_progressive", 0, 70, "4:2:0", true, false),
    ];
    for (name, channels, quality, subsampling, progressive, optimize) in cases {
        let img = photo(97, 131, channels);
        let c = Case {
            name,
            quality,
            subsampling,
            progressive,
            optimize,
        };
        compare_with_pillow(&img, &c, true);
    }
}

/// 1100 × 1000 (≥ 1 Mpixel): encoded as parallel strips joined by restart markers, which
/// changes the bytes (RST markers, DC prediction restarts) but not one decoded pixel.
#[test]
fn large_images_in_strips_decode_like_pillows_file() {
    for (name, channels, subsampling) in [
        ("large_420", 3, "4:2:0"),
        ("large_422", 3, "4:2:2"),
        ("large_gray", 0, "4:2:0"),
    ] {
        let img = photo(1100, 1000, channels);
        let c = Case {
            name,
            quality: 90,
            subsampling,
            progressive: false,
            optimize: false,
        };
        compare_with_pillow(&img, &c, false);
    }
}
