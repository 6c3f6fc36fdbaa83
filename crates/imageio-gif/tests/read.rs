//! Reading: upstream tests, Pillow equality on fixtures and standard images, metadata, indexing.

mod common;

use common::*;
use imageio_core::{Error, Index, NdArray, Options, Value};

fn resource_of(file: &str) -> String {
    match file.strip_prefix("standard:") {
        Some(n) => format!("imageio:{n}"),
        None => fixture(file).to_string_lossy().into_owned(),
    }
}

#[test]
fn decoded_pixels_equal_the_manifest_for_every_case() {
    let m = manifest();
    let cases = m["cases"].as_array().unwrap();
    assert!(cases.len() >= 16, "manifest has {} cases", cases.len());
    let mut standard = 0;
    for case in cases {
        let file = case["file"].as_str().unwrap();
        standard += file.starts_with("standard:") as usize;
        let mode = case["mode"].as_str().unwrap();
        let mut f = open_read(resource_of(file), Options::new().with("mode", mode)).unwrap();
        let a = f.read(Index::Default).unwrap();
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(a.shape(), &shape[..], "{file}: shape");
        assert_eq!(
            a.sha256_hex(),
            case["sha256"].as_str().unwrap(),
            "{file}: pixels ({})",
            case["expect_from"]
        );
        if let Some(p) = case.get("pillow_sha256") {
            assert_ne!(
                a.sha256_hex(),
                p.as_str().unwrap(),
                "{file}: documented to differ from Pillow"
            );
        }
        // properties() agrees with read() without decoding.
        let p = f.properties(Index::Default).unwrap();
        assert_eq!(p.shape, shape, "{file}: properties");
        assert_eq!(p.n_images, Some(shape[0]));
        assert!(p.is_batch);
    }
    assert_eq!(standard, 2, "both standard GIFs are in the manifest");
}

#[test]
fn file_metadata_matches_the_manifest() {
    let m = manifest();
    for case in m["cases"].as_array().unwrap() {
        let Some(meta) = case.get("meta") else {
            continue;
        };
        let file = case["file"].as_str().unwrap();
        let mut f = open_read(resource_of(file), Options::new()).unwrap();
        let md = f.metadata(Index::Default, true).unwrap();
        assert_eq!(
            md["version"],
            Value::Str(meta["version"].as_str().unwrap().into()),
            "{file}"
        );
        match meta["loop"].as_i64() {
            Some(l) => assert_eq!(md["loop"], Value::Int(l), "{file}"),
            None => assert!(
                !md.contains_key("loop"),
                "{file}: no NETSCAPE block, no loop key"
            ),
        }
        let durations: Vec<Value> = meta["durations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| Value::Int(d.as_i64().unwrap()))
            .collect();
        assert_eq!(md["durations"], Value::List(durations.clone()), "{file}");
        assert_eq!(md["duration"], durations[0], "{file}");
        let disposals: Vec<Value> = meta["disposals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| Value::Int(d.as_i64().unwrap()))
            .collect();
        assert_eq!(md["disposals"], Value::List(disposals), "{file}");
        match meta["background"].as_i64() {
            Some(b) => assert_eq!(md["background"], Value::Int(b), "{file}"),
            None => assert!(!md.contains_key("background"), "{file}"),
        }
        for (k, t) in meta["transparency"].as_array().unwrap().iter().enumerate() {
            let fm = f.metadata(Index::At(k), true).unwrap();
            match t.as_i64() {
                Some(t) => assert_eq!(fm["transparency"], Value::Int(t), "{file} frame {k}"),
                None => assert!(!fm.contains_key("transparency"), "{file} frame {k}"),
            }
            assert_eq!(fm["duration"], durations[k], "{file} frame {k}");
        }
        if let Some(comments) = meta.get("comments") {
            let all: Vec<&str> = comments
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert_eq!(md["comment"], Value::Str(all.join("\n")), "{file}");
        }
    }
}

/// Upstream §8 item 16 and 17 (test_properties, test_metadata) on newtonscradle.gif.
#[test]
fn newtonscradle_properties_and_metadata() {
    let mut f = open_read("imageio:newtonscradle.gif", Options::new()).unwrap();
    assert_eq!(f.plugin_name(), "gif");
    let p = f.properties(Index::Default).unwrap();
    assert_eq!(p.shape, vec![36, 150, 200, 3]);
    assert_eq!(p.n_images, Some(36));
    assert!(p.is_batch);
    assert_eq!(p.dtype, imageio_core::DType::U8);
    let p0 = f.properties(Index::At(0)).unwrap();
    assert_eq!(p0.shape, vec![150, 200, 3]);
    assert_eq!(p0.n_images, None);
    let a = f.read(Index::Default).unwrap();
    assert_eq!(a.shape(), &[36, 150, 200, 3]);

    let md = f.metadata(Index::Default, true).unwrap();
    assert_eq!(md["version"], Value::Str("GIF89a".into()));
    assert_eq!(md["loop"], Value::Int(0));
    assert_eq!(
        md["duration"],
        Value::Int(50),
        "frame 0 lasts 50 ms (upstream spec §6.1)"
    );
    assert_eq!(md["background"], Value::Int(0));
    assert!(
        md["comment"]
            .as_str()
            .unwrap()
            .starts_with("File source: http://commons.wikimedia.org")
    );
    assert!(
        !md.contains_key("palette"),
        "no palette by default (exclude_applied)"
    );
    let md = f.metadata(Index::Default, false).unwrap();
    let Value::Array(pal) = &md["palette"] else {
        panic!("palette is an array")
    };
    // Pillow reports the 102 distinct colours of the 128-entry table (manifest records both).
    let case = manifest()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["file"] == "standard:newtonscradle.gif")
        .unwrap()
        .clone();
    assert_eq!(
        pal.shape(),
        &[case["palette_unique_colours"].as_u64().unwrap() as usize, 3]
    );
    assert_eq!(pal.shape(), &[102, 3]);
    let Value::Array(table) = &md["color_table"] else {
        panic!()
    };
    assert_eq!(
        table.shape(),
        &[case["palette_entries"].as_u64().unwrap() as usize, 3]
    );
    let d1 = f.metadata(Index::At(1), true).unwrap();
    assert_eq!(d1["duration"], Value::Int(20));
}

/// Upstream §8 item 31 (part): imageio_issue245.gif reads; it has a transparent index, so RGBA.
#[test]
fn imageio_issue245_reads() {
    let mut f = open_read("imageio:imageio_issue245.gif", Options::new()).unwrap();
    let a = f.read(Index::Default).unwrap();
    assert_eq!(a.shape(), &[1, 24, 30, 4]);
    let one = f.read(Index::At(0)).unwrap();
    assert_eq!(one.shape(), &[24, 30, 4]);
    let md = f.metadata(Index::Default, true).unwrap();
    assert_eq!(md["transparency"], Value::Int(15));
    assert_eq!(md["duration"], Value::Int(1000));
    let rgb = open_read(
        "imageio:imageio_issue245.gif",
        Options::new().with("mode", "rgb"),
    )
    .unwrap()
    .read(Index::Default)
    .unwrap();
    assert_eq!(rgb.shape(), &[1, 24, 30, 3]);
}

#[test]
fn index_iter_and_stack_agree() {
    for file in [
        "imageio:newtonscradle.gif".to_owned(),
        resource_of("previous_transparent.gif"),
        resource_of("interlaced.gif"),
    ] {
        let mut f = open_read(file.as_str(), Options::new()).unwrap();
        let all = f.read(Index::All).unwrap();
        let frames = all.unstack();
        // Out of order access restarts the decoder.
        for k in [3usize, 1, 0, 2] {
            if k < frames.len() {
                assert_eq!(f.read(Index::At(k)).unwrap(), frames[k], "{file} frame {k}");
            }
        }
        let it: Vec<NdArray> = f.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(it, frames, "{file}: iter");
        let n = frames.len();
        match f.read(Index::At(n)) {
            Err(Error::IndexOutOfRange { index, len, .. }) => {
                assert_eq!((index, len), (n, Some(n)))
            }
            other => panic!("expected IndexOutOfRange, got {other:?}"),
        }
        assert!(matches!(
            f.properties(Index::At(n)),
            Err(Error::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            f.metadata(Index::At(n), true),
            Err(Error::IndexOutOfRange { .. })
        ));
    }
}

#[test]
fn forced_layouts() {
    let file = resource_of("transparent_keep.gif");
    let rgba = open_read(file.as_str(), Options::new())
        .unwrap()
        .read(Index::Default)
        .unwrap();
    let rgb = open_read(file.as_str(), Options::new().with("mode", "rgb"))
        .unwrap()
        .read(Index::Default)
        .unwrap();
    let a4 = rgba.as_array::<u8>().unwrap();
    let a3 = rgb.as_array::<u8>().unwrap();
    assert_eq!(a3.shape(), &[4, 20, 24, 3]);
    assert_eq!(
        a4.slice(imageio_core::ndarray::s![.., .., .., ..3])
            .into_dyn(),
        a3
    );
    let file = resource_of("keep_partial_offsets.gif");
    let rgba = open_read(file.as_str(), Options::new().with("mode", "rgba"))
        .unwrap()
        .read(Index::Default)
        .unwrap();
    let a = rgba.as_array::<u8>().unwrap();
    assert_eq!(a.shape(), &[4, 20, 24, 4]);
    assert!(
        a.slice(imageio_core::ndarray::s![.., .., .., 3])
            .iter()
            .all(|&v| v == 255)
    );
    let p = open_read(file.as_str(), Options::new().with("mode", "palette")).unwrap();
    let mut p = p;
    assert_eq!(p.properties(Index::Default).unwrap().shape, vec![4, 20, 24]);
    assert!(
        p.metadata(Index::Default, true)
            .unwrap()
            .contains_key("color_table")
    );
    let e = open_read(file.as_str(), Options::new().with("mode", "cmyk")).unwrap_err();
    assert!(e.to_string().contains("auto, rgb, rgba, palette"), "{e}");
}

#[test]
fn limits_are_checked_before_allocating() {
    let bytes =
        std::fs::read(imageio_core::standard::resolve("newtonscradle.gif").unwrap()).unwrap();
    let args = imageio_core::OpenArgs {
        limits: imageio_core::Limits::default().with_max_bytes(Some(1_000_000)),
        ..Default::default()
    };
    let mut f =
        imageio_core::open(bytes.as_slice().into(), imageio_core::Mode::Read, &args).unwrap();
    // 36 × 150 × 200 × 3 = 3.24 MB > 1 MB: the stack is refused, one frame is fine.
    assert!(matches!(f.read(Index::Default), Err(Error::Limits { .. })));
    assert_eq!(f.read(Index::At(5)).unwrap().shape(), &[150, 200, 3]);

    // A screen of 65535 × 65535 is refused by max_pixels at open.
    let mut g = Vec::from(&b"GIF89a\xff\xff\xff\xff\x80\x00\x00\x00\x00\x00\xff\xff\xff"[..]);
    g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b");
    let e = open_read(g.as_slice(), Options::new()).unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
    // A tiny screen whose first frame declares 65535 × 65535 pixels: the screen grows to hold
    // the first frame (as browsers do), so max_pixels refuses it at open.
    let mut g = Vec::from(&b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"[..]);
    g.extend_from_slice(b"\x2c\x00\x00\x00\x00\xff\xff\xff\xff\x00\x02\x02\x44\x01\x00\x3b");
    let e = open_read(g.as_slice(), Options::new()).unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
    // A tiny screen with a later frame declaring 65535 × 65535 pixels: refused before decoding it.
    let mut g = Vec::from(&b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"[..]);
    g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
    g.extend_from_slice(b"\x2c\x00\x00\x00\x00\xff\xff\xff\xff\x00\x02\x02\x44\x01\x00\x3b");
    let mut f = open_read(g.as_slice(), Options::new()).unwrap();
    let e = f.read(Index::Default).unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
}

/// `read(Index::All)` of a file with 4 or more frames decodes the LZW data on worker threads
/// (see `GifReader::all_pipelined`); frame-by-frame reads decode one frame after the other on
/// the calling thread. Both give the same pixels for every case of the manifest, in every
/// layout (interlaced, local palettes, transparency, every disposal method).
#[test]
fn pipelined_read_all_equals_sequential_frames() {
    let m = manifest();
    let mut pipelined = 0;
    for case in m["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        for mode in ["rgb", "rgba", "palette"] {
            let mut f = open_read(resource_of(file), Options::new().with("mode", mode)).unwrap();
            let all = f.read(Index::All).unwrap();
            let frames = all.unstack();
            pipelined += (frames.len() >= 4) as usize;
            let mut g = open_read(resource_of(file), Options::new().with("mode", mode)).unwrap();
            let seq: Vec<NdArray> = g.iter().collect::<Result<_, _>>().unwrap();
            assert_eq!(seq, frames, "{file} ({mode})");
        }
    }
    assert!(pipelined >= 6, "only {pipelined} pipelined reads");
}
