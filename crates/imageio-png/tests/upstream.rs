//! imageio's upstream assertions that concern PNG (spec §8), failed writes, limits, APNG
//! properties without decoding and metadata keys.

mod common;

use common::*;
use imageio_core::ndarray::{Array2, Array3, Array4};
use imageio_core::{Error, Index, Limits, Mode, NdArray, OpenArgs, Options, Resource, Value, open};
use imageio_png::PngWriteOptions;

#[test]
fn chelsea_reads_like_upstream() {
    let a = read("imageio:chelsea.png", Index::Default);
    assert_eq!(a.shape(), &[300, 451, 3]);
    assert_eq!(a.dtype().numpy_name(), "uint8");
    let path = imageio_core::standard::resolve("chelsea.png").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // from bytes with an explicit extension, and from bytes alone (sniffing)
    let args = OpenArgs {
        extension: Some(".png".into()),
        ..Default::default()
    };
    let b = open(Resource::from(&bytes), Mode::Read, &args)
        .unwrap()
        .read(Index::Default)
        .unwrap();
    assert_eq!(a, b);
    let c = read_with(&bytes, Index::Default, Options::new()).unwrap();
    assert_eq!(a, c);
    // and from a Read + Seek stream
    let d = read_with(
        Resource::reader(std::io::Cursor::new(bytes.clone())),
        Index::Default,
        Options::new(),
    )
    .unwrap();
    assert_eq!(a, d);
    let props = open(
        Resource::from("imageio:chelsea.png"),
        Mode::Read,
        &OpenArgs::default(),
    )
    .unwrap()
    .properties(Index::Default)
    .unwrap();
    assert_eq!(props.shape, vec![300, 451, 3]);
    assert_eq!(props.n_images, None);
    assert!(!props.is_batch);
}

#[test]
fn bytes_round_trip_is_exact() {
    let img = read("imageio:chelsea.png", Index::Default);
    let bytes = write_bytes(&[(img.clone(), None)], Options::new()).unwrap();
    assert!(imageio_png::sniff(&bytes));
    assert_eq!(
        read_with(&bytes, Index::Default, Options::new()).unwrap(),
        img
    );
}

#[test]
fn part_file_with_explicit_extension_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.png.part");
    let img = NdArray::from(
        Array3::<u8>::from_shape_fn((20, 30, 3), |(y, x, c)| (y * 7 + x * 3 + c * 50) as u8)
            .into_dyn(),
    );
    let args = OpenArgs {
        extension: Some(".png".into()),
        ..Default::default()
    };
    let mut w = open(Resource::from(&path), Mode::Write, &args).unwrap();
    assert_eq!(w.plugin_name(), "png");
    w.write(&img).unwrap();
    w.close().unwrap();
    let back = open(Resource::from(&path), Mode::Read, &args)
        .unwrap()
        .read(Index::Default)
        .unwrap();
    assert_eq!(back, img);
}

#[test]
fn garbage_bytes_name_png_in_no_plugin_error() {
    let garbage = b"this is not an image at all, just some text bytes".to_vec();
    let e = open(Resource::from(&garbage), Mode::Read, &OpenArgs::default()).unwrap_err();
    match &e {
        Error::NoPlugin { attempts, .. } => {
            assert!(attempts.iter().any(|a| a.plugin == "png"), "{e}")
        }
        other => panic!("expected NoPlugin, got {other}"),
    }
    // forcing the plugin: "not my format"
    let args = OpenArgs {
        plugin: Some("png".into()),
        ..Default::default()
    };
    let e = open(Resource::from(&garbage), Mode::Read, &args).unwrap_err();
    assert!(e.is_unsupported(), "{e}");
}

#[test]
fn failed_writes_leave_the_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep.png");
    let original = std::fs::read(imageio_core::standard::resolve("chelsea.png").unwrap()).unwrap();
    std::fs::write(&path, &original).unwrap();
    let bad: Vec<NdArray> = vec![
        NdArray::from(Array2::<f64>::zeros((4, 4)).into_dyn()),
        NdArray::from(Array3::<u8>::zeros((4, 4, 1)).into_dyn()),
        NdArray::from(
            Array3::<u8>::zeros((4, 4, 5))
                .into_dyn()
                .into_shape_with_order(vec![4, 4, 5, 1])
                .unwrap(),
        ),
        NdArray::from(Array2::<u8>::zeros((0, 4)).into_dyn()),
    ];
    for img in bad {
        let mut w = open(Resource::from(&path), Mode::Write, &OpenArgs::default()).unwrap();
        let e = w.write(&img).unwrap_err();
        assert!(!e.to_string().is_empty());
        // closing without any good image fails and commits nothing
        assert!(w.close().is_err());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            original,
            "{:?} {}",
            img.shape(),
            img.dtype()
        );
        // and dropping without close as well
        let mut w = open(Resource::from(&path), Mode::Write, &OpenArgs::default()).unwrap();
        let _ = w.write(&img);
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), original);
    }
    // a bad option value fails at open
    let args = OpenArgs {
        options: Options::new().with("compression", "ultra"),
        ..Default::default()
    };
    assert!(open(Resource::from(&path), Mode::Write, &args).is_err());
    let args = OpenArgs {
        options: Options::new().with("colour", 3i64),
        ..Default::default()
    };
    assert!(matches!(
        open(Resource::from(&path), Mode::Write, &args),
        Err(Error::UnknownOption { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), original);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary files left"
    );
}

/// A PNG whose IHDR claims `w × h` RGB8 pixels, with a tiny (wrong) IDAT.
fn claimed(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = imageio_png::SIGNATURE.to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[test]
fn absurd_header_is_refused_by_limits_before_allocating() {
    let png = claimed(100_000, 100_000);
    let mut f = open(Resource::from(&png), Mode::Read, &OpenArgs::default()).unwrap();
    // the header alone is fine to describe
    assert_eq!(
        f.properties(Index::Default).unwrap().shape,
        vec![100_000, 100_000, 3]
    );
    for idx in [Index::Default, Index::At(0), Index::All] {
        let e = f.read(idx).unwrap_err();
        assert!(matches!(e, Error::Limits { .. }), "{e}");
    }
    assert!(matches!(f.iter().next(), Some(Err(Error::Limits { .. }))));
    // explicit tighter limits on a real image
    let args = OpenArgs {
        limits: Limits::default().with_max_pixels(Some(1000)),
        ..Default::default()
    };
    let e = open(Resource::from("imageio:chelsea.png"), Mode::Read, &args)
        .unwrap()
        .read(Index::Default)
        .unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
    let args = OpenArgs {
        limits: Limits::default().with_max_bytes(Some(100_000)),
        ..Default::default()
    };
    let e = open(Resource::from("imageio:chelsea.png"), Mode::Read, &args)
        .unwrap()
        .read(Index::Default)
        .unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
    // a 64k × 64k claim with IHDR's largest legal values
    let png = claimed(0x7fff_ffff, 0x7fff_ffff);
    if let Ok(mut f) = open(Resource::from(&png), Mode::Read, &OpenArgs::default()) {
        assert!(f.read(Index::Default).is_err());
    }
}

fn apng_bytes() -> (Vec<u8>, NdArray) {
    let frames = NdArray::from(
        Array4::<u8>::from_shape_fn((3, 6, 8, 4), |(n, y, x, c)| {
            (n * 60 + y * 9 + x * 5 + c * 30) as u8
        })
        .into_dyn(),
    );
    let opts: Options = PngWriteOptions::new()
        .duration_ms(&[100.0, 150.0, 200.0])
        .loop_count(2)
        .into();
    (
        write_bytes(&[(frames.clone(), None)], opts).unwrap(),
        frames,
    )
}

#[test]
fn apng_properties_without_decoding() {
    let (bytes, frames) = apng_bytes();
    // cut the file right after the first image-data chunk header: no pixels can be decoded
    let idat = bytes.windows(4).position(|w| w == b"IDAT").unwrap();
    let cut = bytes[..idat + 8].to_vec();
    let mut f = open(Resource::from(&cut), Mode::Read, &OpenArgs::default()).unwrap();
    let p = f.properties(Index::Default).unwrap();
    assert_eq!(p.shape, vec![3, 6, 8, 4]);
    assert_eq!(p.n_images, Some(3));
    assert!(p.is_batch);
    let p = f.properties(Index::At(2)).unwrap();
    assert_eq!(
        (p.shape.clone(), p.n_images, p.is_batch),
        (vec![6, 8, 4], None, false)
    );
    assert!(matches!(
        f.properties(Index::At(3)),
        Err(Error::IndexOutOfRange {
            index: 3,
            len: Some(3),
            ..
        })
    ));
    assert!(
        f.read(Index::Default).is_err(),
        "the pixels really are missing"
    );
    // the complete file
    let mut f = open(Resource::from(&bytes), Mode::Read, &OpenArgs::default()).unwrap();
    assert_eq!(f.read(Index::Default).unwrap(), frames);
    assert_eq!(f.read(Index::All).unwrap(), frames);
    for i in [2, 0, 1] {
        assert_eq!(f.read(Index::At(i)).unwrap(), frames.unstack()[i]);
    }
    assert!(matches!(
        f.read(Index::At(3)),
        Err(Error::IndexOutOfRange {
            index: 3,
            len: Some(3),
            ..
        })
    ));
    assert_eq!(f.iter().count(), 3);
}

#[test]
fn metadata_keys() {
    let (bytes, _) = apng_bytes();
    let mut f = open(Resource::from(&bytes), Mode::Read, &OpenArgs::default()).unwrap();
    let m = f.metadata(Index::Default, true).unwrap();
    assert_eq!(m.get("n_frames"), Some(&Value::Int(3)));
    assert_eq!(m.get("loop"), Some(&Value::Int(2)));
    assert_eq!(m.get("duration"), Some(&Value::Float(100.0)));
    assert_eq!(
        m.get("durations"),
        Some(&Value::List(vec![
            Value::Float(100.0),
            Value::Float(150.0),
            Value::Float(200.0)
        ]))
    );
    assert_eq!(
        f.metadata(Index::All, true).unwrap(),
        m,
        "immeta(index=...) == immeta()"
    );
    let m1 = f.metadata(Index::At(1), true).unwrap();
    assert_eq!(m1.get("duration"), Some(&Value::Float(150.0)));
    assert_eq!(
        m1.get("bbox"),
        Some(&Value::List(vec![0.into(), 0.into(), 8.into(), 6.into()]))
    );
    assert!(matches!(
        f.metadata(Index::At(5), true),
        Err(Error::IndexOutOfRange { .. })
    ));
    assert!(!m.contains_key("shape"));
    assert_eq!(m.get("color_type"), Some(&Value::Str("rgba".into())));
    assert_eq!(m.get("bit_depth"), Some(&Value::Int(8)));

    // a still image with every metadata option we write
    let img = NdArray::from(
        Array2::<u16>::from_shape_fn((5, 7), |(y, x)| (y * 1000 + x) as u16).into_dyn(),
    );
    let exif = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x03\0\0\0\0\0\0".to_vec();
    let opts: Options = PngWriteOptions::new()
        .text("Title", "imageio-rs")
        .text("Comment", "Grüße α")
        .dpi_xy(300.0, 150.0)
        .icc_profile(b"not a real profile".to_vec())
        .exif(exif.clone())
        .into();
    let bytes = write_bytes(&[(img.clone(), None)], opts).unwrap();
    let mut f = open(Resource::from(&bytes), Mode::Read, &OpenArgs::default()).unwrap();
    assert_eq!(f.read(Index::Default).unwrap(), img);
    let m = f.metadata(Index::Default, true).unwrap();
    let text = m.get("text").and_then(Value::as_map).unwrap();
    assert_eq!(text.get("Title"), Some(&Value::Str("imageio-rs".into())));
    assert_eq!(text.get("Comment"), Some(&Value::Str("Grüße α".into())));
    let dpi: Vec<f64> = m
        .get("dpi")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .map(|v| v.as_float().unwrap())
        .collect();
    assert!(
        (dpi[0] - 300.0).abs() < 0.02 && (dpi[1] - 150.0).abs() < 0.02,
        "{dpi:?}"
    );
    assert_eq!(
        m.get("icc_profile"),
        Some(&Value::Bytes(b"not a real profile".to_vec()))
    );
    assert_eq!(m.get("exif"), Some(&Value::Bytes(exif)));
    assert_eq!(m.get("Orientation"), Some(&Value::Int(3)));
    assert!(!m.contains_key("n_frames"));
    // rotate = true applies orientation 3 (180°) and drops the key when excluding applied ones
    let opts = Options::new().with("rotate", true);
    let mut f = open(Resource::from(&bytes), Mode::Read, &args(opts)).unwrap();
    let rotated = f.read(Index::Default).unwrap();
    let mut want = img.as_array::<u16>().unwrap().to_owned();
    want.invert_axis(imageio_core::ndarray::Axis(0));
    want.invert_axis(imageio_core::ndarray::Axis(1));
    assert_eq!(rotated.as_array::<u16>().unwrap(), want);
    assert!(
        !f.metadata(Index::Default, true)
            .unwrap()
            .contains_key("Orientation")
    );
    assert!(
        f.metadata(Index::Default, false)
            .unwrap()
            .contains_key("Orientation")
    );
}

#[test]
fn invalid_orientations_leave_the_image_unchanged() {
    let img = NdArray::from(
        Array3::<u8>::from_shape_fn((3, 5, 3), |(y, x, c)| (y * 50 + x * 7 + c) as u8).into_dyn(),
    );
    for o in [0u8, 9, 200] {
        let exif = [
            b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, o, 0, 0, 0, 0, 0, 0,
            0,
        ]
        .to_vec();
        let opts: Options = PngWriteOptions::new().exif(exif).into();
        let bytes = write_bytes(&[(img.clone(), None)], opts).unwrap();
        let back = read_with(&bytes, Index::Default, Options::new().with("rotate", true)).unwrap();
        assert_eq!(back, img, "orientation {o}");
    }
}

#[test]
fn write_shape_rules() {
    // (H, W, 2/3/4) one image; (N, H, W) gray frames; (N, H, W, C) frames; bool 2-D
    let cases: Vec<(NdArray, Vec<usize>)> = vec![
        (
            NdArray::from(Array3::<u8>::ones((4, 5, 2)).into_dyn()),
            vec![4, 5, 2],
        ),
        (
            NdArray::from(Array3::<u8>::ones((4, 5, 6)).into_dyn()),
            vec![4, 5, 6],
        ),
        (
            NdArray::from(Array4::<u16>::ones((2, 4, 5, 3)).into_dyn()),
            vec![2, 4, 5, 3],
        ),
        (
            NdArray::from(
                Array2::<bool>::from_shape_fn((3, 11), |(y, x)| (x + y) % 3 == 0).into_dyn(),
            ),
            vec![3, 11],
        ),
        (
            NdArray::from(Array4::<u8>::ones((1, 4, 5, 3)).into_dyn()),
            vec![1, 4, 5, 3],
        ),
    ];
    for (img, shape) in cases {
        let bytes = write_bytes(&[(img.clone(), None)], Options::new()).unwrap();
        let back = read_with(&bytes, Index::Default, Options::new()).unwrap();
        assert_eq!(back.shape(), shape.as_slice());
        assert_eq!(back, img);
    }
    // explicit is_batch: (3, 4, 3) as a batch of 3 gray 4×3 frames
    let img = NdArray::from(
        Array3::<u8>::from_shape_fn((3, 4, 3), |(a, b, c)| (a * 12 + b * 3 + c) as u8).into_dyn(),
    );
    let bytes = write_bytes(&[(img.clone(), Some(true))], Options::new()).unwrap();
    assert_eq!(
        read_with(&bytes, Index::Default, Options::new()).unwrap(),
        img
    );
    // repeated writes append frames
    let f0 = NdArray::from(Array3::<u8>::zeros((4, 5, 3)).into_dyn());
    let f1 = NdArray::from(Array3::<u8>::ones((4, 5, 3)).into_dyn());
    let bytes = write_bytes(&[(f0.clone(), None), (f1.clone(), None)], Options::new()).unwrap();
    assert_eq!(
        read_with(&bytes, Index::Default, Options::new()).unwrap(),
        NdArray::stack(vec![f0.clone(), f1]).unwrap()
    );
    // mismatched frames are an error
    let small = NdArray::from(Array3::<u8>::zeros((2, 5, 3)).into_dyn());
    assert!(write_bytes(&[(f0, None), (small, None)], Options::new()).is_err());
    // wrong number of durations
    let batch = NdArray::from(Array4::<u8>::zeros((3, 2, 2, 3)).into_dyn());
    let opts: Options = PngWriteOptions::new().duration_ms(&[1.0, 2.0]).into();
    assert!(write_bytes(&[(batch, None)], opts).is_err());
}

#[test]
fn compression_and_filter_options() {
    let img = read("imageio:astronaut.png", Index::Default);
    let mut sizes = Vec::new();
    for (c, f) in [
        ("none", None),
        ("fastest", None),
        ("fast", None),
        ("6", None),
        ("high", Some("paeth")),
        ("9", Some("none")),
    ] {
        let mut opts = Options::new().with("compression", c);
        if let Some(f) = f {
            opts.set("filter", f);
        }
        let bytes = write_bytes(&[(img.clone(), None)], opts).unwrap();
        assert_eq!(
            read_with(&bytes, Index::Default, Options::new()).unwrap(),
            img,
            "{c}"
        );
        sizes.push(bytes.len());
    }
    assert!(
        sizes[0] > 512 * 512 * 3,
        "no compression is larger than the pixels"
    );
    assert!(
        sizes[3] < sizes[0] * 6 / 10 && sizes[2] < sizes[0] * 6 / 10,
        "{sizes:?}"
    );
    let opts: Options = PngWriteOptions::new().zlib_level(3).filter("sub").into();
    let bytes = write_bytes(&[(img.clone(), None)], opts).unwrap();
    assert_eq!(
        read_with(&bytes, Index::Default, Options::new()).unwrap(),
        img
    );
    assert!(write_bytes(&[(img, None)], Options::new().with("filter", "bogus")).is_err());
}

/// An eXIf chunk after the image data still drives `rotate` (and properties agree).
#[test]
fn exif_after_image_data_is_found() {
    let img = NdArray::from(
        Array3::<u8>::from_shape_fn((3, 5, 3), |(y, x, c)| (y * 50 + x * 7 + c) as u8).into_dyn(),
    );
    let plain = write_bytes(&[(img.clone(), None)], Options::new()).unwrap();
    // insert an eXIf chunk (Orientation 6) between the last IDAT and IEND
    let exif = [
        b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
    ];
    let iend = plain.len() - 12;
    let mut bytes = plain[..iend].to_vec();
    bytes.extend(chunk(b"eXIf", &exif));
    bytes.extend_from_slice(&plain[iend..]);
    let mut f = open(
        Resource::from(&bytes),
        Mode::Read,
        &args(Options::new().with("rotate", true)),
    )
    .unwrap();
    assert_eq!(f.properties(Index::Default).unwrap().shape, vec![5, 3, 3]);
    let r = f.read(Index::Default).unwrap();
    assert_eq!(r.shape(), &[5, 3, 3]);
    // 90° clockwise: out[y][x] = in[H-1-x][y]
    let (a, b) = (img.as_array::<u8>().unwrap(), r.as_array::<u8>().unwrap());
    assert_eq!(b[[0, 0, 0]], a[[2, 0, 0]]);
    assert_eq!(b[[4, 2, 1]], a[[0, 4, 1]]);
    assert_eq!(
        f.metadata(Index::Default, false)
            .unwrap()
            .get("Orientation"),
        Some(&Value::Int(6))
    );
}
