//! Upstream imageio behaviour that concerns the core and the PNG backend
//! (../shared/reference/imageio-v3-behaviour-spec.md §8 items 1, 2, 5, 9, 10, 24, 30).
#![cfg(feature = "png")]

use imageio::{Error, Index, Mode, NdArray, Resource};

fn chelsea_path() -> std::path::PathBuf {
    imageio::standard::resolve("chelsea.png")
        .expect("standard image chelsea.png (run `cargo xtask fixtures`)")
}

#[test]
fn registry_matches_features() {
    imageio::registry::check().unwrap();
    let has = |n: &str| imageio::formats().iter().any(|d| d.name == n);
    assert_eq!(has("png"), cfg!(feature = "png"));
    assert_eq!(has("tiff"), cfg!(feature = "tiff"));
    assert_eq!(has("jpeg"), cfg!(feature = "jpeg"));
    assert_eq!(has("gif"), cfg!(feature = "gif"));
    assert_eq!(has("ffmpeg"), cfg!(feature = "ffmpeg"));
    assert_eq!(has("heif"), cfg!(feature = "heif"));
}

#[test]
fn chelsea_reads_the_same_from_path_standard_name_bytes_stream_and_zip() {
    let path = chelsea_path();
    let a = imageio::imread(&path).unwrap();
    assert_eq!(a.shape(), &[300, 451, 3]);
    assert_eq!(a.dtype(), imageio::DType::U8);
    assert_eq!(imageio::imread("imageio:chelsea.png").unwrap(), a);
    assert_eq!(
        imageio::imread("imageio:Chelsea.PNG").unwrap(),
        a,
        "standard names are case-insensitive"
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        imageio::reader(bytes.as_slice())
            .extension(".png")
            .read()
            .unwrap(),
        a
    );
    assert_eq!(
        imageio::imread(bytes.clone()).unwrap(),
        a,
        "sniffed without an extension"
    );
    let stream = Resource::reader(std::fs::File::open(&path).unwrap());
    assert_eq!(imageio::imread(stream).unwrap(), a);
    assert_eq!(
        imageio::imread(format!("file://{}", path.display())).unwrap(),
        a
    );
    assert_eq!(
        imageio::imread("imageio:chelsea.zip/chelsea.png").unwrap(),
        a
    );
    let all = imageio::reader(&path).index(Index::All).read().unwrap();
    assert_eq!(all.shape(), &[1, 300, 451, 3]);
}

#[test]
fn bytes_round_trip_is_exact() {
    let a = imageio::imread("imageio:chelsea.png").unwrap();
    let png = imageio::writer("<bytes>")
        .extension(".png")
        .write(&a)
        .unwrap()
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(imageio::imread(png.as_slice()).unwrap(), a);
    // And through ndarray types directly, no NdArray in sight.
    let arr: ndarray::Array3<u16> =
        ndarray::Array3::from_shape_fn((5, 7, 3), |(y, x, c)| (y * 1000 + x * 10 + c) as u16);
    let png = imageio::writer(Resource::ReturnBytes)
        .extension(".png")
        .write(&arr)
        .unwrap()
        .unwrap();
    let back: ndarray::ArrayD<u16> = imageio::imread(png).unwrap().into_array().unwrap();
    assert_eq!(back, arr.into_dyn());
}

#[test]
fn foreign_extension_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("test.png.part");
    let a = imageio::imread("imageio:chelsea.png").unwrap();
    imageio::writer(&part).extension(".png").write(&a).unwrap();
    assert_eq!(imageio::reader(&part).extension(".png").read().unwrap(), a);
    // Without the extension the file is still found by sniffing.
    assert_eq!(imageio::imread(&part).unwrap(), a);
}

#[test]
fn argument_errors() {
    let e = imageio::reader("imageio:chelsea.png")
        .extension("png")
        .read()
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    assert!(e.to_string().contains("starting with a `.`"));
    let e = imageio::reader("imageio:chelsea.png")
        .plugin("unknown_plugin")
        .read()
        .unwrap_err();
    assert!(matches!(e, Error::UnknownPlugin { .. }), "{e}");
    let a = NdArray::zeros(imageio::DType::U8, &[4, 4]);
    let e = imageio::imwrite("imageio:chelsea.png", &a).unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot write to the standard images"),
        "{e}"
    );
    let e = imageio::imread("imageio:nonexistant_standard_image.png").unwrap_err();
    assert!(e.to_string().contains("unknown standard image"), "{e}");
    let e = imageio::imread("chelsea.png").unwrap_err();
    assert!(e.to_string().contains("use `imageio:chelsea.png`"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let e = imageio::imwrite(dir.path().join("out.xyz"), &a).unwrap_err();
    assert!(matches!(e, Error::NoPlugin { .. }), "{e}");
    assert!(!dir.path().join("out.xyz").exists());
    let e = imageio::imread(dir.path()).unwrap_err();
    assert!(e.to_string().contains("is a folder"), "{e}");
}

#[test]
fn garbage_names_what_was_tried_but_not_the_bytes() {
    let e = imageio::imread(b"This is not an image.".as_slice()).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            Error::NoPlugin {
                mode: Mode::Read,
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains("`<bytes>`"), "{msg}");
    assert!(msg.contains("png (signature not recognised)"), "{msg}");
    assert!(!msg.contains("This is not"), "{msg}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("foo.png");
    std::fs::write(&p, b"This is not an image.").unwrap();
    let msg = imageio::imread(&p).unwrap_err().to_string();
    assert!(msg.contains("foo.png"), "{msg}");
    assert!(!msg.contains("empty"), "{msg}");
    // an empty file says so, beside each plugin's reason
    std::fs::write(&p, b"").unwrap();
    let msg = imageio::imread(&p).unwrap_err().to_string();
    assert!(msg.contains("png (no data)"), "{msg}");
    assert!(msg.contains("the resource is empty (0 bytes)"), "{msg}");
    let msg = imageio::imread(b"".as_slice()).unwrap_err().to_string();
    assert!(msg.contains("the resource is empty (0 bytes)"), "{msg}");
}

#[test]
fn a_failed_write_leaves_the_target_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("keep.png");
    let good = imageio::imread("imageio:chelsea.png").unwrap();
    imageio::imwrite(&p, &good).unwrap();
    let before = std::fs::read(&p).unwrap();
    let bad = NdArray::zeros(imageio::DType::F64, &[8, 8, 3]);
    assert!(imageio::imwrite(&p, &bad).is_err());
    let one_channel = NdArray::zeros(imageio::DType::U8, &[8, 8, 1]);
    assert!(imageio::imwrite(&p, &one_channel).is_err());
    assert_eq!(std::fs::read(&p).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn imopen_appends_and_reads_repeatedly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("anim.png");
    let mut w = imageio::imopen(&p, Mode::Write).unwrap();
    for i in 0..3u8 {
        let f = NdArray::from_shape_vec(&[4, 5, 3], vec![i * 40; 60]).unwrap();
        w.write(&f).unwrap();
    }
    w.close().unwrap();
    let mut r = imageio::imopen(&p, Mode::Read).unwrap();
    assert_eq!(
        r.properties(Index::Default).unwrap().shape,
        vec![3, 4, 5, 3]
    );
    let frames: Vec<_> = r.iter().map(|f| f.unwrap()).collect();
    assert_eq!(frames.len(), 3);
    assert_eq!(r.read(Index::At(2)).unwrap(), frames[2]);
    let e = r.read(Index::At(3)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::IndexOutOfRange {
                index: 3,
                len: Some(3),
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn limits_refuse_before_decoding() {
    let e = imageio::reader("imageio:chelsea.png")
        .limits(imageio::Limits::default().with_max_pixels(Some(1000)))
        .read()
        .unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
}
