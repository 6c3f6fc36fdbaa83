//! Writing: upstream incremental writes, Pillow reads back what we wrote, exactness for inputs
//! with few colours, options, errors.

mod common;

use common::*;
use imageio_core::ndarray::{Array3, Array4, ArrayD, Axis, IxDyn};
use imageio_core::{Index, NdArray, Options, Value};
use imageio_gif::{GifWriteOptions, Quantizer};

/// A smooth RGB animation with far more than 256 colours per frame.
fn photo_like(n: usize, h: usize, w: usize) -> Array4<u8> {
    Array4::from_shape_fn((n, h, w, 3), |(k, y, x, c)| {
        let v =
            (x * 255 / w) as f64 * [1.0, 0.6, 0.2][c] + (y * 255 / h) as f64 * [0.1, 0.5, 0.9][c];
        ((v + 13.0 * k as f64 + 7.0 * ((x * y + c) % 5) as f64) % 256.0) as u8
    })
}

/// Frames with few colours: a square moving over a striped background.
fn few_colours(n: usize, h: usize, w: usize) -> Array4<u8> {
    Array4::from_shape_fn((n, h, w, 3), |(k, y, x, c)| {
        let inside = (y >= 5 + k * 3 && y < 15 + k * 3) && (x >= 4 + k * 2 && x < 20 + k * 2);
        if inside {
            [250, 20 + 10 * k as u8, 30][c]
        } else {
            [((x / 4) * 17) as u8, 100, ((y / 3) * 9) as u8][c]
        }
    })
}

fn write_bytes(frames: &[ArrayD<u8>], opts: Options) -> Vec<u8> {
    let mut w = open_write("<bytes>", opts).unwrap();
    for f in frames {
        w.write(f).unwrap();
    }
    w.close().unwrap().unwrap()
}

fn tmp_gif(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Our decode of our file equals Pillow's decode of it; durations and loop as Pillow sees them.
fn check_with_pillow(files: &[(std::path::PathBuf, Vec<i64>, Option<i64>)]) -> Vec<NdArray> {
    let mut ours = Vec::new();
    let mut args = Vec::new();
    for (p, _, _) in files {
        let mut f = open_read(p.as_path(), Options::new()).unwrap();
        let a = f.read(Index::Default).unwrap();
        let mode = if a.shape()[3] == 4 { "rgba" } else { "rgb" };
        args.push((p.clone(), mode));
        ours.push(a);
    }
    let pil = pillow_check(&args);
    for ((a, (p, durations, loop_)), j) in ours.iter().zip(files).zip(&pil) {
        assert_eq!(
            j["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect::<Vec<_>>(),
            a.shape(),
            "{}",
            p.display()
        );
        assert_eq!(
            j["sha256"].as_str().unwrap(),
            a.sha256_hex(),
            "{}: Pillow decodes our file differently",
            p.display()
        );
        let d: Vec<i64> = j["durations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(&d, durations, "{}", p.display());
        assert_eq!(j["loop"].as_i64(), *loop_, "{}", p.display());
        let mut f = open_read(p.as_path(), Options::new()).unwrap();
        let md = f.metadata(Index::Default, true).unwrap();
        assert_eq!(
            md["durations"],
            Value::List(durations.iter().map(|&d| Value::Int(d)).collect())
        );
        assert_eq!(md.get("loop").and_then(Value::as_int), *loop_);
    }
    ours
}

/// Upstream §8 items 20 and 31: ten frame-by-frame writes to one open writer, duration 1000 ms,
/// loop 0, read back as (10, 100, 100, 3) with durations and loop preserved.
#[test]
fn incremental_writes_read_back_in_pillow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incremental.gif");
    let frames = photo_like(10, 100, 100);
    {
        let mut w = open_write(
            path.as_path(),
            GifWriteOptions::new()
                .duration_ms(1000.0)
                .loop_count(0)
                .into(),
        )
        .unwrap();
        for f in frames.axis_iter(Axis(0)) {
            w.write(f).unwrap();
        }
        w.close().unwrap();
    }
    let mut f = open_read(path.as_path(), Options::new()).unwrap();
    assert_eq!(f.read(Index::Default).unwrap().shape(), &[10, 100, 100, 3]);
    let md = f.metadata(Index::At(0), true).unwrap();
    assert_eq!(md["duration"], Value::Int(1000));
    assert_eq!(md["loop"], Value::Int(0));
    let ours = check_with_pillow(&[(path, vec![1000; 10], Some(0))]);
    // Quantised, but close to the source.
    let src = frames.into_dyn();
    let got = ours[0].as_array::<u8>().unwrap();
    let psnr = imageio_testutil::psnr(
        src.as_standard_layout().as_slice().unwrap(),
        got.as_standard_layout().as_slice().unwrap(),
        255.0,
    );
    assert!(psnr > 30.0, "PSNR {psnr:.1} dB");
}

#[test]
fn few_colours_are_stored_exactly_and_pillow_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let rgb = few_colours(6, 40, 48).into_dyn();
    // RGB batch, sub-rectangles on (default) and off, per-frame durations.
    let durs = [10.0, 20.0, 30.0, 40.0, 50.0, 1230.0];
    let a = write_bytes(
        std::slice::from_ref(&rgb),
        GifWriteOptions::new().durations_ms(&durs).into(),
    );
    let b = write_bytes(
        std::slice::from_ref(&rgb),
        GifWriteOptions::new()
            .subrectangles(false)
            .fps(20.0)
            .loop_count(3)
            .into(),
    );
    assert!(
        a.len() < b.len(),
        "sub-rectangles make the file smaller ({} vs {})",
        a.len(),
        b.len()
    );
    // Gray frames written one by one, no loop extension.
    let gray = ArrayD::from_shape_fn(IxDyn(&[4, 30, 20]), |i| {
        ((i[0] * 40 + i[1] * 3 + i[2]) % 200) as u8
    });
    let frames: Vec<ArrayD<u8>> = gray.axis_iter(Axis(0)).map(|f| f.to_owned()).collect();
    let c = write_bytes(
        &frames,
        GifWriteOptions::new().no_loop().duration_ms(70.0).into(),
    );
    // RGBA with transparency (alpha < 128 -> transparent).
    let rgba = ArrayD::from_shape_fn(IxDyn(&[3, 16, 16, 4]), |i| match i[3] {
        3 => {
            if (i[1] + i[2] + i[0]) % 3 == 0 {
                0
            } else {
                255
            }
        }
        c => ((i[1] * 16 + c * 50 + i[0] * 30) % 256) as u8,
    });
    let d = write_bytes(std::slice::from_ref(&rgba), Options::new());
    let files = [
        (
            tmp_gif(&dir, "a.gif", &a),
            vec![10, 20, 30, 40, 50, 1230],
            Some(0),
        ),
        (tmp_gif(&dir, "b.gif", &b), vec![50; 6], Some(3)),
        (tmp_gif(&dir, "c.gif", &c), vec![70; 4], None),
        (tmp_gif(&dir, "d.gif", &d), vec![100; 3], Some(0)),
    ];
    let ours = check_with_pillow(&files);
    assert_eq!(ours[0].as_array::<u8>().unwrap(), rgb.view());
    assert_eq!(ours[1].as_array::<u8>().unwrap(), rgb.view());
    let g = ours[2].as_array::<u8>().unwrap();
    assert_eq!(g.shape(), &[4, 30, 20, 3]);
    for c in 0..3 {
        assert_eq!(g.index_axis(Axis(3), c), gray.view());
    }
    let got = ours[3].as_array::<u8>().unwrap();
    assert_eq!(got.shape(), &[3, 16, 16, 4]);
    for (s, o) in rgba
        .view()
        .into_shape_with_order((3 * 16 * 16, 4))
        .unwrap()
        .outer_iter()
        .zip(
            got.into_shape_with_order((3 * 16 * 16, 4))
                .unwrap()
                .outer_iter(),
        )
    {
        if s[3] >= 128 {
            assert_eq!(o.to_vec(), vec![s[0], s[1], s[2], 255]);
        } else {
            assert_eq!(o[3], 0);
        }
    }
}

#[test]
fn quantiser_options_all_read_back_in_pillow() {
    let dir = tempfile::tempdir().unwrap();
    let src = photo_like(3, 48, 64).into_dyn();
    let variants: Vec<(&str, Options)> = vec![
        (
            "mediancut.gif",
            GifWriteOptions::new()
                .quantizer(Quantizer::MedianCut)
                .into(),
        ),
        (
            "neuquant.gif",
            GifWriteOptions::new()
                .quantizer(Quantizer::NeuQuant)
                .quantizer_speed(5)
                .into(),
        ),
        ("dither.gif", GifWriteOptions::new().dither(true).into()),
        ("pal16.gif", GifWriteOptions::new().palettesize(13).into()),
        (
            "nq16.gif",
            GifWriteOptions::new()
                .palettesize(16)
                .quantizer(Quantizer::NeuQuant)
                .into(),
        ),
        ("pal2.gif", GifWriteOptions::new().palettesize(2).into()),
        ("disposal3.gif", GifWriteOptions::new().disposal(3).into()),
    ];
    let mut files = Vec::new();
    for (name, o) in variants {
        let bytes = write_bytes(std::slice::from_ref(&src), o);
        files.push((tmp_gif(&dir, name, &bytes), vec![100; 3], Some(0)));
    }
    let ours = check_with_pillow(&files);
    // palettesize 13 rounds up to 16: at most 16 distinct colours per frame.
    let per_frame_colours = |a: &NdArray| {
        a.as_array::<u8>()
            .unwrap()
            .axis_iter(Axis(0))
            .map(|f| {
                let mut s = std::collections::HashSet::new();
                for p in f.into_shape_with_order((48 * 64, 3)).unwrap().outer_iter() {
                    s.insert(p.to_vec());
                }
                s.len()
            })
            .max()
            .unwrap()
    };
    assert!(per_frame_colours(&ours[3]) <= 16);
    assert!(per_frame_colours(&ours[4]) <= 16);
    assert!(per_frame_colours(&ours[5]) <= 2);
    assert!(per_frame_colours(&ours[0]) > 100);
}

#[test]
fn write_errors_name_the_problem() {
    let mut w = open_write("<bytes>", Options::new()).unwrap();
    let f = Array3::<f32>::zeros((4, 4, 3));
    let e = w.write(&f).unwrap_err().to_string();
    assert!(e.contains("uint8"), "{e}");
    let mut w = open_write("<bytes>", Options::new()).unwrap();
    w.write(&Array3::<u8>::zeros((4, 4, 3))).unwrap();
    let e = w
        .write(&Array3::<u8>::zeros((5, 4, 3)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("size of the first"), "{e}");

    let mut w = open_write(
        "<bytes>",
        GifWriteOptions::new().durations_ms(&[10.0, 20.0]).into(),
    )
    .unwrap();
    let e = w
        .write_with(&Array4::<u8>::zeros((3, 4, 4, 3)), Some(true))
        .unwrap_err()
        .to_string();
    assert!(e.contains("lists 2 values"), "{e}");

    let w = open_write("<bytes>", Options::new()).unwrap();
    assert!(
        w.close().is_err(),
        "closing a writer with no frame is an error"
    );
    for (k, v) in [
        ("palettesize", Value::Int(300)),
        ("disposal", Value::Int(7)),
        ("quantizer", Value::Str("wu".into())),
        ("fps", Value::Float(0.0)),
    ] {
        let e = open_write("<bytes>", Options::new().with(k, v)).unwrap_err();
        assert!(e.to_string().contains(k), "{e}");
    }
    let e = open_write(
        "<bytes>",
        Options::new().with("fps", 10.0).with("duration", 100i64),
    )
    .unwrap_err();
    assert!(e.to_string().contains("not both"), "{e}");
}
