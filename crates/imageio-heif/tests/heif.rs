//! Tests of the heif plugin against HEIC and AVIF files written by pillow-heif, and of files we
//! write against pillow-heif (through the Python venv).

use std::path::PathBuf;

use imageio_core::{Index, Metadata, Mode, NdArray, OpenArgs, Options, Resource, Value, open};
use imageio_heif::{HeifReadOptions, HeifWriteOptions};
use serde_json::Value as J;

// Link the plugin.
use imageio_heif as _;

fn fixtures() -> PathBuf {
    imageio_testutil::fixtures("heif")
}

fn manifest() -> J {
    imageio_testutil::manifest("heif")
}

/// Runs check_heif.py on `bytes` and returns its JSON.
fn reference_read(bytes: &[u8], ext: &str) -> J {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("x{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let mut out = imageio_testutil::run_python_json("check_heif.py", &[&path]);
    assert_eq!(out.len(), 1, "check_heif.py prints one JSON document");
    out.remove(0)
}

fn args(ext: Option<&str>, options: impl Into<Options>) -> OpenArgs {
    imageio_testutil::args(ext, options)
}

/// A manifest case's `index`: null is the default image, a number the n-th.
fn case_index(c: &J) -> Index {
    match &c["index"] {
        J::Null => Index::Default,
        J::Number(n) => Index::At(n.as_u64().unwrap() as usize),
        other => panic!("{other}"),
    }
}

fn write_images(ext: &str, images: &[&NdArray], options: impl Into<Options>) -> Vec<u8> {
    let mut w = open(
        Resource::ReturnBytes,
        Mode::Write,
        &args(Some(ext), options),
    )
    .unwrap();
    assert_eq!(w.plugin_name(), "heif");
    for im in images {
        w.write(*im).unwrap();
    }
    w.close().unwrap().unwrap()
}

fn read_bytes(bytes: &[u8], index: Index) -> NdArray {
    let mut r = open(Resource::from(bytes), Mode::Read, &Default::default()).unwrap();
    assert_eq!(r.plugin_name(), "heif");
    r.read(index).unwrap()
}

fn meta(bytes: &[u8], index: Index) -> Metadata {
    let mut r = open(Resource::from(bytes), Mode::Read, &Default::default()).unwrap();
    r.metadata(index, false).unwrap()
}

use imageio_testutil::sha256_hex as sha_hex;

/// The seed's lossless picture: R = horizontal gradient, G = vertical, B = the horizontal one
/// reversed (Pillow's linear_gradient turned 90° and 180°), at `bits` bits.
fn seed_gradient(h: usize, w: usize, bits: u32) -> NdArray {
    let max = (1u32 << bits) - 1;
    let mut v = Vec::with_capacity(h * w * 3);
    for y in 0..h {
        for x in 0..w {
            let r = (x as u32 * max) / (w as u32 - 1);
            let g = (y as u32 * max) / (h as u32 - 1);
            let b = max - r;
            v.extend([r, g, b]);
        }
    }
    if bits == 8 {
        NdArray::from_shape_vec(&[h, w, 3], v.into_iter().map(|x| x as u8).collect()).unwrap()
    } else {
        NdArray::from_shape_vec(&[h, w, 3], v.into_iter().map(|x| x as u16).collect()).unwrap()
    }
}

fn max_abs_diff(a: &NdArray, b: &NdArray) -> i64 {
    assert_eq!(a.shape(), b.shape());
    assert_eq!(a.dtype(), b.dtype());
    let (x, y) = (a.to_le_bytes(), b.to_le_bytes());
    match a.dtype() {
        imageio_core::DType::U8 => x
            .iter()
            .zip(&y)
            .map(|(p, q)| (*p as i64 - *q as i64).abs())
            .max()
            .unwrap(),
        _ => x
            .chunks_exact(2)
            .zip(y.chunks_exact(2))
            .map(|(p, q)| {
                (u16::from_le_bytes([p[0], p[1]]) as i64 - u16::from_le_bytes([q[0], q[1]]) as i64)
                    .abs()
            })
            .max()
            .unwrap(),
    }
}

fn nclx_json(m: &Metadata) -> Option<J> {
    let n = m.get("nclx_profile")?.as_map()?;
    Some(serde_json::json!({
        "color_primaries": n["color_primaries"].as_int().unwrap(),
        "transfer_characteristics": n["transfer_characteristics"].as_int().unwrap(),
        "matrix_coefficients": n["matrix_coefficients"].as_int().unwrap(),
        "full_range": n["full_range"].as_bool().unwrap(),
    }))
}

#[test]
fn reference_fixtures_decode_to_the_reference_arrays() {
    let m = manifest();
    let cases = m["cases"].as_array().unwrap();
    assert!(cases.len() >= 18);
    let mut formats = std::collections::BTreeSet::new();
    for c in cases {
        let file = c["file"].as_str().unwrap();
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let index = case_index(c);
        // Read from bytes (sniffing).
        let got = read_bytes(&bytes, index);
        let shape: Vec<usize> = c["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let dtype = imageio_core::DType::parse(c["dtype"].as_str().unwrap()).unwrap();
        let exp_bytes = std::fs::read(fixtures().join(c["expected"].as_str().unwrap())).unwrap();
        let expected = NdArray::from_le_bytes(dtype, &shape, &exp_bytes).unwrap();
        assert_eq!(
            expected.sha256_hex(),
            c["sha256"].as_str().unwrap(),
            "{file}: expected .bin is stale"
        );
        assert_eq!(got.shape(), &shape[..], "{file}");
        assert_eq!(got.dtype(), dtype, "{file}");
        let tol = c["max_abs_diff"].as_i64().unwrap();
        // At most one 8-bit level (4 / 16 native levels at 10 / 12 bits).
        assert!(
            tol <= 1 << (c["bit_depth"].as_i64().unwrap() - 8),
            "{file}: tolerance {tol}"
        );
        let d = max_abs_diff(&got, &expected);
        assert!(d <= tol, "{file} {index}: max |Δ| = {d} > {tol}");
        if tol == 0 {
            assert_eq!(got.sha256_hex(), c["sha256"].as_str().unwrap(), "{file}");
        }
        // Same via the path and properties.
        let mut r = open(
            fixtures().join(file).as_path().into(),
            Mode::Read,
            &Default::default(),
        )
        .unwrap();
        let p = r.properties(index).unwrap();
        assert_eq!(p.shape, shape, "{file}");
        assert_eq!(p.dtype, dtype);
        let md = r.metadata(index, false).unwrap();
        assert_eq!(md["bit_depth"].as_int(), c["bit_depth"].as_i64(), "{file}");
        assert_eq!(
            md["has_alpha"].as_bool(),
            c["has_alpha"].as_bool(),
            "{file}"
        );
        assert_eq!(md["primary"].as_bool(), c["primary"].as_bool(), "{file}");
        assert_eq!(md["n_images"].as_int(), c["n_images"].as_i64(), "{file}");
        assert_eq!(
            md["primary_index"].as_int(),
            c["primary_index"].as_i64(),
            "{file}"
        );
        match c["chroma"].as_str() {
            Some(ch) => assert_eq!(md["chroma"].as_str(), Some(ch), "{file}"),
            // pillow-heif reports no chroma for monochrome images; we say "400".
            None => assert_eq!(
                (md["chroma"].as_str(), shape.len()),
                (Some("400"), 2),
                "{file}"
            ),
        }
        if let Some(n) = c.get("nclx_profile").filter(|n| !n.is_null()) {
            assert_eq!(nclx_json(&md).as_ref(), Some(n), "{file}");
        }
        if let Some(e) = c.get("exif_hex") {
            let hex: String = md["exif"]
                .as_bytes()
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(Some(hex.as_str()), e.as_str(), "{file}: exif");
        }
        if let Some(x) = c.get("xmp_hex") {
            let hex: String = md["xmp"]
                .as_bytes()
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(Some(hex.as_str()), x.as_str(), "{file}: xmp");
        }
        formats.insert((
            file[..4].to_owned(),
            c["bit_depth"].as_i64().unwrap(),
            c["has_alpha"].as_bool().unwrap(),
        ));
    }
    // The manifest covers HEIC and AVIF at 8/10/12 bits, with alpha.
    for f in [
        ("heic", 8, false),
        ("heic", 10, false),
        ("heic", 12, false),
        ("heic", 8, true),
        ("avif", 10, false),
        ("avif", 12, false),
        ("avif", 8, true),
    ] {
        assert!(
            formats.contains(&(f.0.to_owned(), f.1, f.2)),
            "{f:?} missing from the fixtures"
        );
    }
}

#[test]
fn scale_to_16bit_matches_pillow_heif() {
    for (file, shift) in [
        ("heic_10bit_420_q85.heic", 6),
        ("heic_12bit_444_lossless.heic", 4),
        ("avif_10bit_444_lossless.avif", 6),
    ] {
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let native = read_bytes(&bytes, Index::Default);
        let a = args(None, HeifReadOptions::new().scale_to_16bit(true));
        let mut r = open(Resource::from(&bytes), Mode::Read, &a).unwrap();
        let scaled = r.read(Index::Default).unwrap();
        let n = native.as_array::<u16>().unwrap();
        let s = scaled.as_array::<u16>().unwrap();
        assert!(
            n.iter().zip(s.iter()).all(|(a, b)| *a << shift == *b),
            "{file}"
        );
        assert!(n.iter().any(|&v| v > 255));
    }
}

#[test]
fn lossless_recipe_is_bit_exact_at_8_10_12_bits() {
    for ext in [".heic", ".avif"] {
        for bits in [8u32, 10, 12] {
            let img = seed_gradient(48, 64, bits);
            let mut o = HeifWriteOptions::new()
                .quality(-1)
                .chroma("444")
                .matrix_coefficients(0);
            if bits == 12 {
                o = o.save_to_12bit(true);
            }
            let bytes = write_images(ext, &[&img], o);
            let back = read_bytes(&bytes, Index::Default);
            assert_eq!(back, img, "{ext} {bits}-bit lossless round trip");
            let md = meta(&bytes, Index::Default);
            assert_eq!(md["bit_depth"].as_int(), Some(bits as i64), "{ext}");
            assert_eq!(md["chroma"].as_str(), Some("444"));
            // The reference reader agrees, bit for bit.
            let r = reference_read(&bytes, ext);
            assert_eq!(
                r["images"][0]["sha256"].as_str().unwrap(),
                img.sha256_hex(),
                "{ext} {bits}: {}",
                r["reader"]
            );
            assert_eq!(r["images"][0]["bit_depth"].as_i64(), Some(bits as i64));
            assert_eq!(
                r["images"][0]["nclx_profile"]["matrix_coefficients"].as_i64(),
                Some(0)
            );
        }
    }
    // bit_depth=12 is the same as save_to_12bit.
    let img = seed_gradient(16, 16, 12);
    let bytes = write_images(
        ".heic",
        &[&img],
        HeifWriteOptions::new()
            .quality(-1)
            .chroma("444")
            .matrix_coefficients(0)
            .bit_depth(12),
    );
    assert_eq!(read_bytes(&bytes, Index::Default), img);
}

fn three_frames() -> Vec<NdArray> {
    (0..3u8)
        .map(|k| {
            let v: Vec<u8> = (0..48 * 64 * 3)
                .map(|i| ((i / 3 % 64) as u8).wrapping_mul(3).wrapping_add(k * 80))
                .collect();
            NdArray::from_shape_vec(&[48, 64, 3], v).unwrap()
        })
        .collect()
}

fn check_three(bytes: &[u8], frames: Option<&[NdArray]>) {
    let mut r = open(Resource::from(bytes), Mode::Read, &Default::default()).unwrap();
    let flags: Vec<bool> = (0..3)
        .map(|i| {
            r.metadata(Index::At(i), false).unwrap()["primary"]
                .as_bool()
                .unwrap()
        })
        .collect();
    assert_eq!(flags, [false, true, false]);
    let default = r.read(Index::Default).unwrap();
    assert_eq!(default, r.read(Index::At(1)).unwrap());
    assert_eq!(
        r.metadata(Index::Default, false).unwrap()["primary"],
        Value::Bool(true)
    );
    let all: Vec<NdArray> = r.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 3);
    if let Some(frames) = frames {
        assert_eq!(all, frames);
        assert_eq!(default, frames[1]);
    }
    let stacked = r.read(Index::All).unwrap();
    assert_eq!(stacked.shape(), &[3, 48, 64, 3]);
    assert_eq!(stacked.unstack(), all);
    assert!(matches!(
        r.read(Index::At(3)),
        Err(imageio_core::Error::IndexOutOfRange {
            index: 3,
            len: Some(3),
            ..
        })
    ));
}

#[test]
fn three_images_second_primary() {
    // Written by pillow-heif (primary_index=1).
    let bytes = std::fs::read(fixtures().join("heic_three_primary1.heic")).unwrap();
    check_three(&bytes, None);
    // Written by us, as a batch and as three writes.
    let frames = three_frames();
    let batch = NdArray::stack(frames.clone()).unwrap();
    let o = || {
        HeifWriteOptions::new()
            .quality(-1)
            .chroma("444")
            .matrix_coefficients(0)
            .primary_index(1)
    };
    let mut w = open(
        Resource::ReturnBytes,
        Mode::Write,
        &args(Some(".heic"), o()),
    )
    .unwrap();
    w.write(&batch).unwrap();
    let ours = w.close().unwrap().unwrap();
    check_three(&ours, Some(&frames));
    let ours2 = write_images(".heic", &frames.iter().collect::<Vec<_>>(), o());
    check_three(&ours2, Some(&frames));
    // pillow-heif sees the same order and primary image.
    let r = reference_read(&ours, ".heic");
    assert_eq!(r["n_images"], 3);
    assert_eq!(r["primary_index"], 1);
    let flags: Vec<bool> = r["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["primary"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [false, true, false]);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(r["images"][i]["sha256"].as_str().unwrap(), f.sha256_hex());
    }
    // -1 = the last image; without primary_index the first.
    let last = write_images(
        ".heic",
        &frames.iter().collect::<Vec<_>>(),
        HeifWriteOptions::new().primary_index(-1),
    );
    assert_eq!(
        meta(&last, Index::Default)["primary_index"].as_int(),
        Some(2)
    );
    let first = write_images(
        ".heic",
        &frames.iter().collect::<Vec<_>>(),
        HeifWriteOptions::new(),
    );
    assert_eq!(
        meta(&first, Index::Default)["primary_index"].as_int(),
        Some(0)
    );
    let mut w = open(
        Resource::ReturnBytes,
        Mode::Write,
        &args(Some(".heic"), HeifWriteOptions::new().primary_index(3)),
    )
    .unwrap();
    w.write(&frames[0]).unwrap();
    assert!(w.close().is_err());
}

#[test]
fn files_we_write_are_read_by_the_reference() {
    let rgb8 = seed_gradient(48, 64, 8);
    let rgba8 = {
        let a = rgb8.as_array::<u8>().unwrap();
        let v: Vec<u8> = a
            .as_slice()
            .unwrap()
            .chunks(3)
            .enumerate()
            .flat_map(|(i, p)| [p[0], p[1], p[2], (i % 256) as u8])
            .collect();
        NdArray::from_shape_vec(&[48, 64, 4], v).unwrap()
    };
    let rgb10 = seed_gradient(48, 64, 10);
    let rgb12 = seed_gradient(48, 64, 12);
    let cases: Vec<(&str, &NdArray, HeifWriteOptions, u32)> = vec![
        (".heic", &rgb8, HeifWriteOptions::new().quality(80), 8),
        (
            ".heic",
            &rgba8,
            HeifWriteOptions::new().quality(90).chroma("422"),
            8,
        ),
        (".heic", &rgb10, HeifWriteOptions::new().quality(85), 10),
        (
            ".heic",
            &rgb12,
            HeifWriteOptions::new()
                .quality(85)
                .save_to_12bit(true)
                .chroma("444"),
            12,
        ),
        (".avif", &rgb8, HeifWriteOptions::new().quality(80), 8),
        (
            ".avif",
            &rgb10,
            HeifWriteOptions::new().quality(80).chroma("444"),
            10,
        ),
        (
            ".avif",
            &rgb12,
            HeifWriteOptions::new().quality(80).bit_depth(12),
            12,
        ),
    ];
    for (ext, img, o, bits) in cases {
        let bytes = write_images(ext, &[img], o);
        let r = reference_read(&bytes, ext);
        let im = &r["images"][0];
        let shape: Vec<usize> = im["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(shape, img.shape(), "{ext} {bits}: {r}");
        assert_eq!(im["bit_depth"].as_i64(), Some(bits as i64), "{ext}");
        assert_eq!(r["primary_index"], 0);
        assert_eq!(
            r["boxes"]["images"][0]["bits"][0].as_i64(),
            Some(bits as i64)
        );
        // Our own reader agrees on the NCLX profile with the boxes.
        let md = meta(&bytes, Index::Default);
        assert_eq!(
            nclx_json(&md).as_ref(),
            Some(&r["boxes"]["images"][0]["nclx_profile"]),
            "{ext}"
        );
    }
}

#[test]
fn nclx_options_and_kept_profiles() {
    let img = seed_gradient(32, 32, 10);
    // Explicit NCLX values reach pillow-heif.
    let o = HeifWriteOptions::new()
        .quality(80)
        .color_primaries(9)
        .transfer_characteristics(16)
        .matrix_coefficients(9)
        .full_range(false);
    let bytes = write_images(".heic", &[&img], o);
    let want = serde_json::json!({"color_primaries": 9, "transfer_characteristics": 16, "matrix_coefficients": 9, "full_range": false});
    let r = reference_read(&bytes, ".heic");
    assert_eq!(r["images"][0]["nclx_profile"], want);
    let md = meta(&bytes, Index::Default);
    assert_eq!(nclx_json(&md), Some(want.clone()));
    // Writing back with the profile that was read keeps it; scalar options override fields.
    let profile = md["nclx_profile"].as_map().unwrap().clone();
    let back = read_bytes(&bytes, Index::Default);
    let kept = write_images(
        ".heic",
        &[&back],
        HeifWriteOptions::new()
            .quality(80)
            .nclx_profile(profile.clone()),
    );
    assert_eq!(
        reference_read(&kept, ".heic")["images"][0]["nclx_profile"],
        want
    );
    let changed = write_images(
        ".heic",
        &[&back],
        HeifWriteOptions::new()
            .quality(80)
            .nclx_profile(profile)
            .color_primaries(1),
    );
    let mut want2 = want.clone();
    want2["color_primaries"] = 1.into();
    assert_eq!(
        reference_read(&changed, ".heic")["images"][0]["nclx_profile"],
        want2
    );
    // Without options an NCLX box is still written (pillow-heif's default).
    let plain = write_images(".heic", &[&img], HeifWriteOptions::new().quality(80));
    assert!(!reference_read(&plain, ".heic")["images"][0]["nclx_profile"].is_null());
}

#[test]
fn exif_xmp_icc_are_written() {
    let img = seed_gradient(32, 32, 8);
    // A little-endian TIFF header with an empty IFD.
    let exif = b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    let xmp = b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>".to_vec();
    let icc = std::fs::read(fixtures().join("heic_8bit_444_lossless.heic")).unwrap()[..0].to_vec();
    let _ = icc;
    // Build a syntactically valid minimal ICC profile header (128 bytes + empty tag table).
    let mut icc = vec![0u8; 132];
    icc[..4].copy_from_slice(&132u32.to_be_bytes());
    icc[12..16].copy_from_slice(b"mntr");
    icc[16..20].copy_from_slice(b"RGB ");
    icc[20..24].copy_from_slice(b"XYZ ");
    icc[36..40].copy_from_slice(b"acsp");
    let o = HeifWriteOptions::new()
        .quality(80)
        .exif(exif.clone())
        .xmp(xmp.clone())
        .icc_profile(icc.clone());
    let bytes = write_images(".heic", &[&img], o);
    let md = meta(&bytes, Index::Default);
    assert_eq!(md["exif"].as_bytes(), Some(&exif[..]));
    assert_eq!(md["xmp"].as_bytes(), Some(&xmp[..]));
    assert_eq!(md["icc_profile"].as_bytes(), Some(&icc[..]));
    let r = reference_read(&bytes, ".heic");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(r["images"][0]["xmp_hex"].as_str(), Some(hex(&xmp).as_str()));
    assert!(
        r["images"][0]["exif_hex"]
            .as_str()
            .unwrap()
            .ends_with(&hex(&exif))
    );
    assert_eq!(
        r["images"][0]["icc_sha256"].as_str(),
        Some(sha_hex(&icc).as_str())
    );
}

#[test]
fn sixteen_bit_input_rules() {
    // Native values above 10 bits are refused with a pointer to scale_from_16bit.
    let big = NdArray::from_shape_vec(&[8, 8, 3], vec![40000u16; 192]).unwrap();
    let mut w = open(
        Resource::ReturnBytes,
        Mode::Write,
        &args(Some(".heic"), HeifWriteOptions::new()),
    )
    .unwrap();
    let e = w.write(&big).unwrap_err().to_string();
    assert!(e.contains("scale_from_16bit"), "{e}");
    // With scale_from_16bit, 0…65535 data is shifted right like pillow-heif does.
    let full = seed_gradient(32, 32, 10);
    let scaled: Vec<u16> = full
        .as_array::<u16>()
        .unwrap()
        .iter()
        .map(|v| v << 6 | 0x2a)
        .collect();
    let scaled = NdArray::from_shape_vec(&[32, 32, 3], scaled).unwrap();
    let o = HeifWriteOptions::new()
        .quality(-1)
        .chroma("444")
        .matrix_coefficients(0)
        .scale_from_16bit(true);
    let bytes = write_images(".heic", &[&scaled], o);
    assert_eq!(read_bytes(&bytes, Index::Default), full);
    // Other dtypes and shapes are refused.
    let f = NdArray::from_shape_vec(&[4, 4, 3], vec![0f32; 48]).unwrap();
    let mut w = open(
        Resource::ReturnBytes,
        Mode::Write,
        &args(Some(".heic"), HeifWriteOptions::new()),
    )
    .unwrap();
    assert!(w.write(&f).is_err());
    let bad = NdArray::from_shape_vec(&[4, 4, 2], vec![0u8; 32]).unwrap();
    assert!(w.write_with(&bad, Some(false)).is_err());
    // Bad option values.
    for o in [
        HeifWriteOptions::new().chroma("411"),
        HeifWriteOptions::new().quality(101),
        HeifWriteOptions::new().encoder("no-such-encoder"),
        HeifWriteOptions::new().preset("ludicrous"),
    ] {
        assert!(open(Resource::ReturnBytes, Mode::Write, &args(Some(".heic"), o)).is_err());
    }
}

#[test]
fn gray_and_stacking_rules() {
    let g =
        NdArray::from_shape_vec(&[24, 40], (0..960).map(|i| (i % 256) as u8).collect()).unwrap();
    let bytes = write_images(".heic", &[&g], HeifWriteOptions::new().quality(-1));
    let back = read_bytes(&bytes, Index::Default);
    assert_eq!(back.shape(), &[24, 40]);
    assert_eq!(meta(&bytes, Index::Default)["chroma"].as_str(), Some("400"));
    let r = reference_read(&bytes, ".heic");
    assert_eq!(r["images"][0]["shape"], serde_json::json!([24, 40]));
    assert_eq!(
        r["images"][0]["sha256"].as_str().unwrap(),
        back.sha256_hex()
    );
    // Different shapes do not stack: the error names both.
    let a = seed_gradient(16, 16, 8);
    let b = seed_gradient(16, 24, 8);
    let bytes = write_images(".heic", &[&a, &b], HeifWriteOptions::new());
    let mut r = open(Resource::from(&bytes), Mode::Read, &Default::default()).unwrap();
    let e = r.read(Index::All).unwrap_err().to_string();
    assert!(
        e.contains("[16, 16, 3]") && e.contains("[16, 24, 3]"),
        "{e}"
    );
    assert_eq!(r.iter().count(), 2);
    assert_eq!(
        r.metadata(Index::All, false).unwrap()["n_images"].as_int(),
        Some(2)
    );
}

#[test]
fn hostile_inputs_give_errors_not_crashes() {
    for file in [
        "heic_8bit_420_q85.heic",
        "avif_8bit_alpha_q85.avif",
        "heic_three_primary1.heic",
    ] {
        let good = std::fs::read(fixtures().join(file)).unwrap();
        let try_all = |data: &[u8]| -> Result<(), imageio_core::Error> {
            let mut r = open(
                Resource::from(data),
                Mode::Read,
                &args(Some(".heic"), Options::new()),
            )?;
            let _ = r.metadata(Index::Default, false)?;
            for im in r.iter() {
                im?;
            }
            Ok(())
        };
        try_all(&good).unwrap();
        // Truncated copies: every length fails cleanly.
        use imageio_testutil::hostile;
        for (what, bad) in hostile::truncations(&good, 97) {
            let res = hostile::no_panic(&what, &bad, try_all);
            assert!(res.is_err(), "{file} {what} decoded");
        }
        // Bit flips: may decode to garbage, must not crash.
        let mut errors = 0;
        for (what, bad) in hostile::bit_flips(&good, 200, 7919) {
            if hostile::no_panic(&what, &bad, try_all).is_err() {
                errors += 1;
            }
        }
        assert!(errors > 0, "{file}: no bit flip was noticed");
    }
    // Absurd declared sizes (ispe) are refused before allocating.
    let mut bad = std::fs::read(fixtures().join("heic_8bit_420_q85.heic")).unwrap();
    let i = bad.windows(4).position(|w| w == b"ispe").expect("ispe box");
    bad[i + 8..i + 12].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    bad[i + 12..i + 16].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    let res = open(Resource::from(&bad), Mode::Read, &Default::default())
        .and_then(|mut r| r.read(Index::Default));
    assert!(res.is_err());
    // Not ours: declined so that selection can move on.
    let e = open(
        Resource::from(b"\x89PNG\r\n\x1a\n0000000000".as_slice()),
        Mode::Read,
        &args(Some(".heic"), Options::new()),
    )
    .unwrap_err();
    assert!(
        matches!(e, imageio_core::Error::NoPlugin { .. }) && e.to_string().contains("heif"),
        "{e}"
    );
}

#[test]
fn encoder_choice_speed_and_paths() {
    let img = seed_gradient(32, 48, 8);
    // Explicit encoder: AV1 inside a .heif file.
    let bytes = write_images(
        ".heif",
        &[&img],
        HeifWriteOptions::new().encoder("aom").quality(70).speed(8),
    );
    let r = reference_read(&bytes, ".heif");
    assert_eq!(r["boxes"]["images"][0]["type"], "av01", "{r}");
    assert_eq!(meta(&bytes, Index::Default)["brand"].as_str(), Some("avif"));
    // By extension: HEVC for .heic/.hif, AV1 for .avif; x265 speed maps to presets.
    for (ext, ty) in [(".heic", "hvc1"), (".hif", "hvc1"), (".avif", "av01")] {
        let bytes = write_images(ext, &[&img], HeifWriteOptions::new().quality(70).speed(9));
        assert_eq!(
            reference_read(&bytes, ext)["boxes"]["images"][0]["type"],
            ty,
            "{ext}"
        );
    }
    // Writing to a path and reading it back by extension.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.avif");
    let mut w = open(
        p.as_path().into(),
        Mode::Write,
        &args(
            None,
            HeifWriteOptions::new()
                .quality(-1)
                .chroma("444")
                .matrix_coefficients(0),
        ),
    )
    .unwrap();
    w.write(&img).unwrap();
    w.close().unwrap();
    let mut r = open(p.as_path().into(), Mode::Read, &Default::default()).unwrap();
    assert_eq!(r.plugin_name(), "heif");
    assert_eq!(r.read(Index::Default).unwrap(), img);
}

/// HEVC decoding is bit-exact by specification: every installed HEVC decoder plugin (libde265,
/// FFmpeg) returns the same arrays for every fixture, `auto` uses FFmpeg's (CI installs
/// `libheif-plugin-ffmpegdec`; without it this test fails), AVIF files still decode under
/// `auto`, and an unknown decoder is a clear error.
#[test]
fn every_hevc_decoder_gives_the_same_pixels() {
    let m = manifest();
    let installed = imageio_heif::installed_decoders();
    let ids: Vec<&str> = ["libde265", imageio_heif::PREFERRED_HEVC_DECODER].into();
    for id in &ids {
        assert!(
            installed.iter().any(|(i, _)| i == id),
            "libheif decoder `{id}` is not installed (CI installs libheif-plugin-libde265 and \
             libheif-plugin-ffmpegdec): {installed:?}"
        );
    }
    for c in m["cases"].as_array().unwrap() {
        let file = c["file"].as_str().unwrap();
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let index = case_index(c);
        let auto = read_bytes(&bytes, index);
        if file.ends_with(".avif") {
            // libheif treats the id as a preference: an HEVC decoder named for an AV1 image
            // falls back to an AV1 decoder, with the same pixels as `auto`.
            let got = open(
                Resource::from(bytes.as_slice()),
                Mode::Read,
                &args(None, HeifReadOptions::new().decoder("libde265")),
            )
            .unwrap()
            .read(index)
            .unwrap();
            assert_eq!(got.sha256_hex(), auto.sha256_hex(), "{file}");
            continue;
        }
        // libheif 1.19's FFmpeg plugin converts 4:2:0 and monochrome only (alpha planes are
        // monochrome images of their own).
        let ffmpeg_can = matches!(c["chroma"].as_str(), Some("420") | None);
        for id in &ids {
            let got = open(
                Resource::from(bytes.as_slice()),
                Mode::Read,
                &args(None, HeifReadOptions::new().decoder(id)),
            )
            .unwrap()
            .read(index);
            match got {
                Ok(got) => {
                    assert_eq!(got.sha256_hex(), auto.sha256_hex(), "{file}: {id} vs auto")
                }
                Err(e) => assert!(
                    *id != "libde265" && !ffmpeg_can,
                    "{file} with decoder {id}: {e}"
                ),
            }
        }
    }
    let e = open(
        Resource::from(std::fs::read(fixtures().join("heic_8bit_420_q85.heic")).unwrap()),
        Mode::Read,
        &args(None, HeifReadOptions::new().decoder("nope")),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("decoder `nope` is not installed") && e.contains("libde265"),
        "{e}"
    );
}
