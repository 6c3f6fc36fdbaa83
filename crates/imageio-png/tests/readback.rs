//! Files we write (8/16-bit, every channel count, bool, APNG with durations and loop, metadata)
//! read back identically in Pillow / pypng (xtask/python/check_readback.py), and in our reader.

mod common;

use std::path::PathBuf;

use common::*;
use imageio_core::ndarray::{Array2, ArrayD, IxDyn};
use imageio_core::{Index, Mode, NdArray, OpenArgs, Options, Resource, open};
use imageio_png::PngWriteOptions;
use serde_json::Value as J;

/// Deterministic pseudo-random samples that use the full range of `max`.
fn noise(shape: &[usize], max: u32, seed: u32) -> Vec<u32> {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s % (max + 1)
        })
        .collect()
}

fn u8_img(shape: &[usize], seed: u32) -> NdArray {
    let v: Vec<u8> = noise(shape, 255, seed)
        .into_iter()
        .map(|x| x as u8)
        .collect();
    NdArray::from(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn u16_img(shape: &[usize], seed: u32) -> NdArray {
    let v: Vec<u16> = noise(shape, 65535, seed)
        .into_iter()
        .map(|x| x as u16)
        .collect();
    NdArray::from(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

struct Case {
    name: &'static str,
    images: Vec<(NdArray, Option<bool>)>,
    options: Options,
    /// Frames we expect every reader to return.
    frames: Vec<NdArray>,
}

fn still(name: &'static str, img: NdArray) -> Case {
    Case {
        name,
        images: vec![(img.clone(), None)],
        options: Options::new(),
        frames: vec![img],
    }
}

fn cases() -> Vec<Case> {
    let mut v = vec![
        still("gray8.png", u8_img(&[13, 17], 1)),
        still("gray16.png", u16_img(&[11, 19], 2)),
        still("graya8.png", u8_img(&[9, 14, 2], 3)),
        still("graya16.png", u16_img(&[10, 7, 2], 4)),
        still("rgb8.png", u8_img(&[12, 15, 3], 5)),
        still("rgb16.png", u16_img(&[8, 21, 3], 6)),
        still("rgba8.png", u8_img(&[16, 9, 4], 7)),
        still("rgba16.png", u16_img(&[7, 13, 4], 8)),
        still(
            "bool.png",
            NdArray::from(
                Array2::<bool>::from_shape_fn((11, 21), |(y, x)| (x * 7 + y * 3) % 5 < 2)
                    .into_dyn(),
            ),
        ),
    ];
    // 16-bit values below 256 stay 16-bit (upstream test_8bit_with_16bit_depth)
    v.push(still(
        "gray16_small_values.png",
        NdArray::from(Array2::<u16>::from_shape_fn((4, 6), |(y, x)| (y * 6 + x) as u16).into_dyn()),
    ));
    // APNG: RGB batch with per-frame durations and a loop count
    let rgb = u8_img(&[4, 10, 12, 3], 9);
    v.push(Case {
        name: "anim_rgb.png",
        images: vec![(rgb.clone(), None)],
        options: PngWriteOptions::new()
            .duration_ms(&[100.0, 150.0, 200.0, 250.0])
            .loop_count(3)
            .into(),
        frames: rgb.unstack(),
    });
    // APNG: RGBA frames from repeated write calls, fps
    let a = u8_img(&[9, 8, 4], 10);
    let b = u8_img(&[9, 8, 4], 11);
    v.push(Case {
        name: "anim_rgba_appended.apng",
        images: vec![(a.clone(), None), (b.clone(), None)],
        options: PngWriteOptions::new().fps(25.0).into(),
        frames: vec![a, b],
    });
    // APNG: gray frames (N, H, W) by the shape rule, one duration for all
    let g = u8_img(&[3, 6, 9], 12);
    v.push(Case {
        name: "anim_gray.png",
        images: vec![(g.clone(), None)],
        options: PngWriteOptions::new().duration_ms(&[40.0]).into(),
        frames: g.unstack(),
    });
    // metadata on a still image
    let exif = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
    let img = u8_img(&[6, 10, 3], 13);
    v.push(Case {
        name: "meta.png",
        images: vec![(img.clone(), None)],
        options: PngWriteOptions::new()
            .text("Title", "imageio-rs")
            .text("Description", "Grüße — αβγ")
            .dpi_xy(300.0, 72.0)
            .icc_profile(icc())
            .exif(exif)
            .compression("high")
            .into(),
        frames: vec![img],
    });
    // EXIF as JPEG metadata and Pillow's info["exif"] give it, behind `Exif\0\0`: the eXIf
    // chunk must hold the TIFF structure alone (Pillow's writer strips the prefix too).
    let img = u8_img(&[5, 4, 3], 14);
    v.push(Case {
        name: "meta_exif_prefixed.png",
        images: vec![(img.clone(), None)],
        options: PngWriteOptions::new()
            .exif(
                b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x08\0\0\0\0\0\0".to_vec(),
            )
            .into(),
        frames: vec![img],
    });
    v
}

/// The ICC profile of the meta_icc.png fixture (a real sRGB profile).
fn icc() -> Vec<u8> {
    let mut f = open(
        Resource::from(fixtures().join("meta_icc.png").as_path()),
        Mode::Read,
        &OpenArgs::default(),
    )
    .unwrap();
    f.metadata(Index::Default, true).unwrap()["icc_profile"]
        .as_bytes()
        .unwrap()
        .to_vec()
}

#[test]
fn pillow_reads_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let mut files: Vec<PathBuf> = Vec::new();
    for c in &cases {
        let path = dir.path().join(c.name);
        let args = OpenArgs {
            options: c.options.clone(),
            ..Default::default()
        };
        let mut w = open(Resource::from(&path), Mode::Write, &args).unwrap();
        for (img, batch) in &c.images {
            w.write_with(img, *batch).unwrap();
        }
        w.close().unwrap();
        // our own reader first
        let ours = open(Resource::from(&path), Mode::Read, &OpenArgs::default())
            .unwrap()
            .read(Index::All)
            .unwrap();
        assert_eq!(ours.unstack(), c.frames, "{}: our reader", c.name);
        files.push(path);
    }
    let records = readback(&files);
    assert_eq!(records.len(), cases.len());
    for (c, rec) in cases.iter().zip(&records) {
        assert!(rec.get("error").is_none(), "{}: {rec}", c.name);
        let frames = rec["frames"].as_array().unwrap();
        assert_eq!(
            frames.len(),
            c.frames.len(),
            "{}: frame count {rec}",
            c.name
        );
        for (i, (f, want)) in frames.iter().zip(&c.frames).enumerate() {
            let shape: Vec<usize> = f["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(shape, want.shape(), "{} frame {i}", c.name);
            assert_eq!(
                f["dtype"].as_str().unwrap(),
                want.dtype().numpy_name(),
                "{} frame {i}",
                c.name
            );
            assert_eq!(
                f["sha256"].as_str().unwrap(),
                want.sha256_hex(),
                "{} frame {i} ({})",
                c.name,
                rec["reader"]
            );
        }
        let info = &rec["info"];
        match c.name {
            "anim_rgb.png" => {
                assert_eq!(info["loop"], J::from(3));
                assert_eq!(info["n_frames"], J::from(4));
                assert_eq!(
                    info["durations"],
                    serde_json::json!([100.0, 150.0, 200.0, 250.0])
                );
            }
            "anim_rgba_appended.apng" => {
                assert_eq!(info["loop"], J::from(0));
                assert_eq!(info["durations"], serde_json::json!([40.0, 40.0]));
            }
            "anim_gray.png" => assert_eq!(info["durations"], serde_json::json!([40.0, 40.0, 40.0])),
            "meta.png" => {
                assert_eq!(info["text"]["Title"], J::from("imageio-rs"));
                assert_eq!(info["text"]["Description"], J::from("Grüße — αβγ"));
                let dpi: Vec<f64> = info["dpi"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect();
                assert!(
                    (dpi[0] - 300.0).abs() < 0.01 && (dpi[1] - 72.0).abs() < 0.01,
                    "{dpi:?}"
                );
                assert_eq!(info["icc_sha256"].as_str().unwrap(), sha256_hex(&icc()));
                assert_eq!(info["orientation"], J::from(6));
                assert_eq!(info["exif_head"], J::from("45786966000049492a00"));
            }
            "meta_exif_prefixed.png" => {
                assert_eq!(info["orientation"], J::from(8));
                // Pillow's b"Exif\0\0" + the chunk, which starts with MM\0* (not a second prefix)
                assert_eq!(info["exif_head"], J::from("4578696600004d4d002a"));
            }
            _ => {}
        }
    }
}

/// An APNG whose IDAT image is not part of the animation: Pillow numbers it frame 0.
#[test]
fn separate_default_image_numbering_matches_pillow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sep_default.png");
    let (w, h) = (10u32, 7u32);
    let default = u8_img(&[h as usize, w as usize, 4], 20);
    let anim: Vec<NdArray> = (0..2)
        .map(|i| u8_img(&[h as usize, w as usize, 4], 21 + i))
        .collect();
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_animated(2, 0).unwrap();
        enc.set_sep_def_img(true).unwrap();
        enc.set_frame_delay(30, 1000).unwrap();
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&default.to_le_bytes()).unwrap();
        for f in &anim {
            wr.set_blend_op(png::BlendOp::Over).unwrap();
            wr.write_image_data(&f.to_le_bytes()).unwrap();
        }
        wr.finish().unwrap();
    }
    let mut f = open(Resource::from(&path), Mode::Read, &OpenArgs::default()).unwrap();
    let ours = f.read(Index::Default).unwrap().unstack();
    assert_eq!(ours.len(), 3);
    assert_eq!(ours[0], default);
    let rec = &readback(&[path])[0];
    let frames = rec["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 3, "{rec}");
    for (i, (fr, want)) in frames.iter().zip(&ours).enumerate() {
        assert_eq!(
            fr["sha256"].as_str().unwrap(),
            want.sha256_hex(),
            "frame {i}: {rec}"
        );
    }
    assert_eq!(rec["info"]["n_frames"], J::from(3));
}
