//! Files we write read back in Pillow: PSNR against the source, options honoured; bad input is
//! refused with errors that say what to do.

mod common;

use std::path::PathBuf;

use common::*;
use imageio_core::{Index, Mode, NdArray, OpenArgs, Options, Resource, Value};
use imageio_jpeg::JpegWriteOptions;
use serde_json::Value as J;

/// A deterministic photo-like image: gradients, a few hard edges, mild noise.
fn photo(h: usize, w: usize, channels: usize) -> NdArray {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 7) as f64 - 3.0
    };
    let mut v = Vec::with_capacity(h * w * channels);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
            let edge = if (fx - 0.6).powi(2) + (fy - 0.4).powi(2) < 0.04 {
                60.0
            } else {
                0.0
            };
            let base = [
                120.0 + 90.0 * (fx * 5.0).sin() * (fy * 3.0).cos() + edge,
                60.0 + 150.0 * (fx + fy) / 2.0 - edge,
                200.0 - 140.0 * fy + 30.0 * (fx * 9.0).cos(),
            ];
            for c in base.iter().take(channels) {
                v.push((c + noise()).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let shape: Vec<usize> = if channels == 0 {
        vec![h, w]
    } else {
        vec![h, w, channels]
    };
    if channels == 0 {
        let gray: Vec<u8> = (0..h * w)
            .map(|i| ((i % w) * 255 / w) as u8 / 2 + ((i / w) * 127 / h) as u8)
            .collect();
        return NdArray::from_shape_vec(&shape, gray).unwrap();
    }
    NdArray::from_shape_vec(&shape, v).unwrap()
}

/// Writes `img` with `options`, asks Pillow about the file (with PSNR against `img`).
fn pillow_view(name: &str, img: &NdArray, options: Options) -> (PathBuf, J) {
    let path = tmp_dir("write").join(name);
    write_file(&path, img, options).unwrap();
    let src = tmp_dir("write").join(format!("{name}.npy"));
    write_npy(&src, img.shape(), &img.to_le_bytes());
    let info = check_jpeg(&[
        "info",
        path.to_str().unwrap(),
        "--source",
        src.to_str().unwrap(),
    ]);
    (path, info)
}

fn psnr(info: &J) -> f64 {
    match &info["psnr"] {
        J::Number(n) => n.as_f64().unwrap(),
        J::String(s) if s == "inf" => f64::INFINITY,
        other => panic!("psnr {other}"),
    }
}

#[test]
fn q90_rgb_and_gray_read_back_in_pillow_with_psnr_38() {
    let rgb = photo(192, 256, 3);
    for sub in ["4:2:0", "4:2:2", "4:4:4"] {
        let o = JpegWriteOptions::new().quality(90).subsampling(sub).into();
        let (_, info) = pillow_view(&format!("q90_{}.jpg", sub.replace(':', "")), &rgb, o);
        let p = psnr(&info);
        println!("RGB q90 {sub}: PSNR {p:.2} dB (Pillow decode)");
        assert!(p >= 38.0, "{sub}: PSNR {p:.2} dB < 38");
        assert_eq!(info["mode"], "RGB");
        assert_eq!(info["size"], serde_json::json!([256, 192]));
        assert_eq!(info["subsampling"], sub, "subsampling honoured");
        assert_eq!(info["progressive"], false);
    }
    let gray = photo(192, 256, 0);
    let (_, info) = pillow_view(
        "q90_gray.jpg",
        &gray,
        JpegWriteOptions::new().quality(90).into(),
    );
    let p = psnr(&info);
    println!("gray q90: PSNR {p:.2} dB");
    assert!(p >= 38.0, "gray PSNR {p:.2}");
    assert_eq!(info["mode"], "L");
    // (H, W, 1) is gray too
    let g1 = NdArray::from_shape_vec(&[192, 256, 1], gray.to_le_bytes()).unwrap();
    let (_, info) = pillow_view(
        "q90_gray1.jpg",
        &g1,
        JpegWriteOptions::new().quality(90).into(),
    );
    assert_eq!(info["mode"], "L");
    assert!(psnr(&info) >= 38.0);
}

#[test]
fn options_are_honoured_in_pillow() {
    let rgb = photo(96, 128, 3);
    // default: quality 75, 4:2:0, baseline (like Pillow)
    let (p75, info) = pillow_view("default.jpg", &rgb, Options::new());
    assert_eq!(info["subsampling"], "4:2:0");
    assert_eq!(info["progressive"], false);
    let q75 = psnr(&info);
    let (p90, info90) = pillow_view("q90.jpg", &rgb, JpegWriteOptions::new().quality(90).into());
    assert!(
        psnr(&info90) > q75,
        "q90 ({}) is better than the default q75 ({q75})",
        psnr(&info90)
    );
    assert!(std::fs::metadata(&p75).unwrap().len() < std::fs::metadata(&p90).unwrap().len());

    // progressive
    let (_, info) = pillow_view(
        "prog.jpg",
        &rgb,
        JpegWriteOptions::new().quality(90).progressive(true).into(),
    );
    assert_eq!(info["progressive"], true);
    assert!(
        (psnr(&info) - psnr(&info90)).abs() < 1e-9,
        "progressive changes only the scan order"
    );
    // optimized Huffman tables: smaller, same pixels
    let (popt, info) = pillow_view(
        "opt.jpg",
        &rgb,
        JpegWriteOptions::new().quality(90).optimize(true).into(),
    );
    assert!(
        (psnr(&info) - psnr(&info90)).abs() < 1e-9,
        "optimize changes only the entropy coding"
    );
    assert!(std::fs::metadata(&popt).unwrap().len() < std::fs::metadata(&p90).unwrap().len());
    // restart markers
    let (_, info) = pillow_view(
        "rst.jpg",
        &rgb,
        JpegWriteOptions::new()
            .quality(90)
            .restart_interval(2)
            .into(),
    );
    assert!((psnr(&info) - psnr(&info90)).abs() < 1e-9);

    // dpi, ICC, EXIF, comment
    let meta_src = fixtures().join("meta.jpg");
    let args = OpenArgs::default();
    let mut f = imageio_core::open(Resource::from(&meta_src), Mode::Read, &args).unwrap();
    let m = f.metadata(Index::Default, false).unwrap();
    let icc = m["icc_profile"].as_bytes().unwrap().to_vec();
    let exif = m["exif"].as_bytes().unwrap().to_vec();
    let o = JpegWriteOptions::new()
        .quality(90)
        .dpi(300.0, 150.0)
        .icc_profile(icc.clone())
        .exif(exif.clone())
        .comment("written by imageio-rs")
        .into();
    let (path, info) = pillow_view("meta_out.jpg", &rgb, o);
    assert_eq!(info["dpi"], serde_json::json!([300.0, 150.0]));
    let icc_hash = NdArray::from_shape_vec(&[icc.len()], icc.clone())
        .unwrap()
        .sha256_hex();
    assert_eq!(info["icc_sha256"], icc_hash.as_str());
    assert_eq!(info["exif_fields"]["Make"], "ImageioCam");
    assert_eq!(info["exif_fields"]["Orientation"], 3);
    assert_eq!(info["comment"], "written by imageio-rs");
    // and our reader sees the same
    let mut f = imageio_core::open(Resource::from(&path), Mode::Read, &args).unwrap();
    let m = f.metadata(Index::Default, false).unwrap();
    assert_eq!(
        m["dpi"],
        Value::List(vec![Value::Float(300.0), Value::Float(150.0)])
    );
    assert_eq!(m["icc_profile"].as_bytes(), Some(icc.as_slice()));
    assert_eq!(m["exif"].as_bytes(), Some(exif.as_slice()));
    assert_eq!(
        m["comment"].as_bytes(),
        Some(b"written by imageio-rs".as_slice())
    );
    assert_eq!(m["Model"].as_str(), Some("Model X"));
    // a large ICC profile is split over several APP2 chunks and reassembled
    let big_icc: Vec<u8> = (0..150_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (path, info) = pillow_view(
        "big_icc.jpg",
        &rgb,
        JpegWriteOptions::new().icc_profile(big_icc.clone()).into(),
    );
    assert_eq!(info["icc_len"], 150_000);
    let mut f = imageio_core::open(Resource::from(&path), Mode::Read, &args).unwrap();
    assert_eq!(
        f.metadata(Index::Default, false).unwrap()["icc_profile"].as_bytes(),
        Some(big_icc.as_slice())
    );
}

#[test]
fn generic_options_from_text() {
    // what the CLI passes: key=value text, coerced by the core
    let rgb = photo(48, 64, 3);
    let mut o = Options::new();
    for pair in [
        "quality=95",
        "subsampling=4:4:4",
        "progressive=true",
        "dpi=72,96",
        "comment=hi",
    ] {
        o.parse_pair(pair).unwrap();
    }
    let (_, info) = pillow_view("text_opts.jpg", &rgb, o);
    assert_eq!(info["subsampling"], "4:4:4");
    assert_eq!(info["progressive"], true);
    assert_eq!(info["dpi"], serde_json::json!([72.0, 96.0]));
    assert_eq!(info["comment"], "hi");
}

fn write_err(img: &NdArray, options: Options) -> String {
    let path = tmp_dir("write").join("err.jpg");
    let _ = std::fs::remove_file(&path);
    let e = write_file(&path, img, options).unwrap_err().to_string();
    assert!(!path.exists(), "a failed write leaves no file");
    e
}

#[test]
fn rgba_and_other_dtypes_are_refused_with_the_fix() {
    let rgba = NdArray::from_shape_vec(&[4, 4, 4], vec![7u8; 64]).unwrap();
    let e = write_err(&rgba, Options::new());
    assert!(e.contains("alpha"), "{e}");
    assert!(
        e.contains("s![.., .., ..3]"),
        "the message shows how to drop alpha: {e}"
    );
    let u16img = NdArray::from_shape_vec(&[4, 4, 3], vec![7u16; 48]).unwrap();
    let e = write_err(&u16img, Options::new());
    assert!(e.contains("uint16"), "{e}");
    let f = NdArray::from_shape_vec(&[4, 4], vec![0.5f32; 16]).unwrap();
    let e = write_err(&f, Options::new());
    assert!(e.contains("float32"), "{e}");
    let two = NdArray::from_shape_vec(&[4, 4, 2], vec![1u8; 32]).unwrap();
    assert!(write_err(&two, Options::new()).contains("2 channels"));
    let batch = NdArray::from_shape_vec(&[2, 4, 4, 3], vec![1u8; 96]).unwrap();
    let e = write_err(&batch, Options::new());
    assert!(e.contains("one image"), "{e}");
    let empty = NdArray::from_shape_vec(&[0, 4, 3], Vec::<u8>::new()).unwrap();
    assert!(write_err(&empty, Options::new()).contains("0×4"));
    let img = photo(8, 8, 3);
    for (k, v) in [
        ("quality", Value::Int(0)),
        ("quality", Value::Int(101)),
        ("subsampling", "4:1:1".into()),
    ] {
        let e = write_err(&img, Options::new().with(k, v));
        assert!(e.contains(k), "{e}");
    }
    assert!(write_err(&img, Options::new().with("dpi", Value::List(vec![]))).contains("dpi"));
    // unknown options are refused by the core with the accepted list
    let e = write_err(&img, Options::new().with("qualty", 5i64));
    assert!(e.contains("quality (int)"), "{e}");
}

#[test]
fn one_image_per_file() {
    let img = photo(16, 16, 3);
    // a batch of one is that image (the inverse of Index::All)
    let batch = NdArray::from_shape_vec(&[1, 16, 16, 3], img.to_le_bytes()).unwrap();
    let args = OpenArgs {
        extension: Some(".jpg".into()),
        ..Default::default()
    };
    let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
    w.write(&batch).unwrap();
    let bytes = w.close().unwrap().unwrap();
    // a second image is refused (and, as for every failed write, the output is discarded)
    let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
    w.write(&img).unwrap();
    let e = w.write(&img).unwrap_err().to_string();
    assert!(e.contains("one image"), "{e}");
    assert!(w.close().is_err());
    let mut r =
        imageio_core::open(Resource::from(bytes), Mode::Read, &OpenArgs::default()).unwrap();
    assert_eq!(r.read(Index::Default).unwrap().shape(), &[16, 16, 3]);
    // a non-contiguous view is written exactly like its C-order copy
    let a = img.as_array::<u8>().unwrap();
    let flipped = a.slice_axis(
        imageio_core::ndarray::Axis(1),
        imageio_core::ndarray::Slice::new(0, None, -1),
    );
    let encode = |v: imageio_core::NdView<'_>| {
        let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
        w.write(v).unwrap();
        w.close().unwrap().unwrap()
    };
    let owned = NdArray::from(flipped.as_standard_layout().into_owned());
    assert!(owned.as_array::<u8>().unwrap().is_standard_layout());
    assert_eq!(encode(flipped.clone().into()), encode((&owned).into()));
    assert_ne!(encode(flipped.into()), encode((&img).into()));
}

/// Large baseline images are encoded in parallel strips joined by restart markers; Pillow reads
/// them like any other file.
#[test]
fn large_images_encoded_in_strips_read_back_in_pillow() {
    for (name, channels) in [("large_rgb.jpg", 3), ("large_gray.jpg", 0)] {
        let img = photo(1100, 1300, channels);
        let (path, info) = pillow_view(name, &img, JpegWriteOptions::new().quality(90).into());
        let p = psnr(&info);
        println!("{name} q90: PSNR {p:.2} dB");
        assert!(p >= 38.0, "{name}: PSNR {p:.2}");
        let mut f =
            imageio_core::open(Resource::from(&path), Mode::Read, &OpenArgs::default()).unwrap();
        let ours = f.read(Index::Default).unwrap();
        assert_eq!(ours.shape(), img.shape());
    }
}

/// Fractional dpi values are rounded like Pillow's `round()` (half to even: 72.5 -> 72,
/// 73.5 -> 74): the density Pillow reads back equals the one in Pillow's own file.
#[test]
fn fractional_dpi_is_rounded_like_pillow() {
    let img = photo(16, 16, 3);
    let src = tmp_dir("write").join("dpi_src.npy");
    write_npy(&src, img.shape(), &img.to_le_bytes());
    for (x, y) in [(72.5, 73.5), (299.6, 150.4), (0.5 + 99.0, 2.5)] {
        let (_, ours) = pillow_view(
            "dpi_frac.jpg",
            &img,
            JpegWriteOptions::new().dpi(x, y).into(),
        );
        let theirs = tmp_dir("write").join("dpi_pillow.jpg");
        let (xs, ys) = (x.to_string(), y.to_string());
        check_jpeg(&[
            "encode",
            src.to_str().unwrap(),
            theirs.to_str().unwrap(),
            "--dpi",
            &xs,
            &ys,
        ]);
        let pillow = check_jpeg(&["info", theirs.to_str().unwrap()]);
        assert_eq!(ours["dpi"], pillow["dpi"], "dpi ({x}, {y})");
    }
}

/// EXIF data too large for one APP1 segment (65533 bytes with the `Exif\0\0` prefix) is refused
/// with an invalid-argument error that names EXIF, like Pillow's "EXIF data is too long"; the
/// largest EXIF that fits is written and reads back in Pillow.
#[test]
fn oversized_exif_is_refused_naming_exif() {
    let img = photo(8, 8, 3);
    let tiff = |n: usize| {
        let mut t = b"II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
        t.resize(n, 0);
        t
    };
    let path = tmp_dir("write").join("err.jpg");
    let _ = std::fs::remove_file(&path);
    let e = write_file(
        &path,
        &img,
        JpegWriteOptions::new().exif(tiff(65528)).into(),
    )
    .unwrap_err();
    assert!(
        matches!(e, imageio_core::Error::InvalidArgument { .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("EXIF"), "{e}");
    assert!(!path.exists(), "a failed write leaves no file");
    let (path, info) = pillow_view(
        "exif_max.jpg",
        &img,
        JpegWriteOptions::new().exif(tiff(65527)).into(),
    );
    assert_eq!(info["format"], "JPEG", "{info}");
    let mut f =
        imageio_core::open(Resource::from(&path), Mode::Read, &OpenArgs::default()).unwrap();
    let m = f.metadata(Index::Default, false).unwrap();
    assert_eq!(m["exif"].as_bytes().map(<[u8]>::len), Some(65533));
}
