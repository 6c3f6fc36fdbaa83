//! Writing videos and reading them back (with this plugin and with PyAV).

mod common;

use common::*;
use imageio_core::ndarray::{Array3, Array4, ArrayD, Axis, IxDyn, s};
use imageio_core::{DType, Index, NdArray, Options, Resource, Value};
use imageio_ffmpeg::{ReadOptions, WriteOptions};

/// A smooth moving pattern (compresses well, like real footage).
fn rgb_frames(n: usize, h: usize, w: usize) -> Array4<u8> {
    Array4::from_shape_fn((n, h, w, 3), |(t, y, x, c)| {
        let v = 128.0
            + 60.0 * ((x as f64 + 2.0 * t as f64) / 9.0 + c as f64).sin()
            + 50.0 * ((y as f64 - t as f64) / 7.0).cos();
        v.clamp(0.0, 255.0) as u8
    })
}

fn gray_frames(n: usize, h: usize, w: usize) -> Array3<u8> {
    Array3::from_shape_fn((n, h, w), |(t, y, x)| {
        (128.0 + 70.0 * ((x as f64 + t as f64) / 8.0).sin() + 40.0 * (y as f64 / 6.0).cos()) as u8
    })
}

fn write_file(path: &std::path::Path, data: &NdArray, options: Options) {
    let mut w = open_write(path, None, options);
    w.write(data).unwrap();
    w.close().unwrap();
}

fn read_back(path: &std::path::Path, options: Options) -> NdArray {
    open_read(path, options).read(Index::All).unwrap()
}

#[test]
fn rgb_u8_round_trip_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rgb.mp4");
    let frames = NdArray::from(rgb_frames(30, 64, 96).into_dyn());
    write_file(&p, &frames, Options::new());
    let back = read_back(&p, Options::new());
    assert_eq!(back.shape(), &[30, 64, 96, 3]);
    let q = psnr(
        back.as_array::<u8>().unwrap().as_slice().unwrap(),
        frames.as_array::<u8>().unwrap().as_slice().unwrap(),
        255.0,
    );
    assert!(q >= 35.0, "PSNR {q}");
    let m = open_read(p.as_path(), Options::new())
        .metadata(Index::All, true)
        .unwrap();
    assert_eq!(m["codec"], Value::Str("h264".into()));
    assert_eq!(m["pix_fmt"], Value::Str("yuv420p".into()));
    assert_eq!(m["fps"], Value::Float(10.0));
    assert_eq!(m["duration"], Value::Float(3.0));
}

#[test]
fn gray_u8_round_trip_frame_by_frame() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gray.mkv");
    let frames = gray_frames(30, 48, 64);
    let mut w = open_write(p.as_path(), None, Options::new());
    for f in frames.axis_iter(Axis(0)) {
        w.write(f).unwrap();
    }
    w.close().unwrap();
    let back = read_back(&p, ReadOptions::new().format("gray").into());
    assert_eq!(back.shape(), &[30, 48, 64]);
    let q = psnr(
        back.as_array::<u8>().unwrap().as_slice().unwrap(),
        frames.as_slice().unwrap(),
        255.0,
    );
    assert!(q >= 35.0, "PSNR {q}");
}

#[test]
fn u16_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    // Lossy 10-bit H.264: rgb48 in, rgb48 out.
    let frames16 = rgb_frames(30, 48, 64).mapv(|v| u16::from(v) * 257);
    let p = dir.path().join("rgb16.mkv");
    write_file(
        &p,
        &NdArray::from(frames16.clone().into_dyn()),
        WriteOptions::new().pixel_format("yuv444p10le").into(),
    );
    let back = read_back(&p, ReadOptions::new().format("rgb48").into());
    assert_eq!(
        (back.shape(), back.dtype()),
        (&[30usize, 48, 64, 3][..], DType::U16)
    );
    let q = psnr(
        back.as_array::<u16>().unwrap().as_slice().unwrap(),
        frames16.as_slice().unwrap(),
        65535.0,
    );
    assert!(q >= 35.0, "PSNR {q}");
    // Lossless 16-bit gray with FFV1.
    let g16 = Array3::from_shape_fn((30, 33, 47), |(t, y, x)| {
        ((t * 2000 + y * 700 + x * 13) % 65536) as u16
    });
    let p = dir.path().join("gray16.mkv");
    write_file(
        &p,
        &NdArray::from(g16.clone().into_dyn()),
        WriteOptions::new()
            .codec("ffv1")
            .pixel_format("gray16le")
            .macro_block_size(1)
            .into(),
    );
    let back = read_back(&p, ReadOptions::new().format("gray16").into());
    assert_eq!(back, NdArray::from(g16.into_dyn()));
}

#[test]
fn lossless_codecs_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let frames = NdArray::from(rgb_frames(30, 48, 64).into_dyn());
    let p = dir.path().join("ffv1.mkv");
    write_file(
        &p,
        &frames,
        WriteOptions::new()
            .codec("ffv1")
            .pixel_format("bgr0")
            .into(),
    );
    assert_eq!(read_back(&p, Options::new()), frames);
    let p = dir.path().join("x264rgb.mp4");
    write_file(
        &p,
        &frames,
        WriteOptions::new()
            .codec("libx264rgb")
            .codec_options("qp=0")
            .into(),
    );
    assert_eq!(read_back(&p, Options::new()), frames);
    // RGBA through FFV1 keeps alpha.
    let rgba = Array4::from_shape_fn((30, 16, 16, 4), |(t, y, x, c)| {
        (t * 7 + y * 5 + x * 3 + c * 50) as u8
    });
    let p = dir.path().join("rgba.mkv");
    write_file(
        &p,
        &NdArray::from(rgba.clone().into_dyn()),
        WriteOptions::new()
            .codec("ffv1")
            .pixel_format("bgra")
            .into(),
    );
    assert_eq!(
        read_back(&p, ReadOptions::new().format("rgba").into()),
        NdArray::from(rgba.into_dyn())
    );
}

#[test]
fn odd_sizes_and_macro_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let frames = rgb_frames(30, 41, 33);
    let p = dir.path().join("odd.mp4");
    write_file(
        &p,
        &NdArray::from(frames.clone().into_dyn()),
        Options::new(),
    );
    let back = read_back(&p, Options::new());
    assert_eq!(back.shape(), &[30, 48, 48, 3], "padded to multiples of 16");
    let back = back.into_array::<u8>().unwrap();
    let crop = back.slice(s![.., ..41, ..33, ..]).to_owned();
    let q = psnr(crop.as_slice().unwrap(), frames.as_slice().unwrap(), 255.0);
    assert!(q >= 35.0, "PSNR {q}");
    // macro_block_size=1: yuv420p cannot hold odd sizes, a clear error …
    let mut w = open_write(
        dir.path().join("odd1.mp4").as_path(),
        None,
        WriteOptions::new().macro_block_size(1).into(),
    );
    let e = w.write(&frames).unwrap_err().to_string();
    assert!(e.contains("even") && e.contains("macro_block_size"), "{e}");
    // … while yuv444p keeps the exact size.
    let p = dir.path().join("odd444.mp4");
    write_file(
        &p,
        &NdArray::from(frames.clone().into_dyn()),
        WriteOptions::new()
            .macro_block_size(1)
            .pixel_format("yuv444p")
            .into(),
    );
    let back = read_back(&p, Options::new());
    assert_eq!(back.shape(), &[30, 41, 33, 3]);
    let q = psnr(
        back.as_array::<u8>().unwrap().as_slice().unwrap(),
        frames.as_slice().unwrap(),
        255.0,
    );
    assert!(q >= 35.0, "PSNR {q}");
}

#[test]
fn float_fps_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let frames = NdArray::from(rgb_frames(10, 32, 32).into_dyn());
    for ext in [".mp4", ".mkv", ".avi"] {
        let p = dir.path().join(format!("fps{ext}"));
        write_file(&p, &frames, WriteOptions::new().fps(3.5).into());
        let mut f = open_read(p.as_path(), Options::new());
        let m = f.metadata(Index::All, true).unwrap();
        assert_eq!(m["fps"], Value::Float(3.5), "{ext}");
        assert_eq!(
            f.properties(Index::All).unwrap().n_images,
            Some(10),
            "{ext}"
        );
        let t = f.metadata(Index::At(9), true).unwrap()["time"]
            .as_float()
            .unwrap();
        assert!(
            (t - 9.0 / 3.5).abs() < 1e-3,
            "{ext}: time of frame 9 is {t}"
        );
    }
}

#[test]
fn last_frame_is_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    // 10 frames of distinct flat colours; the last one must come back.
    let frames = Array4::from_shape_fn((10, 32, 32, 3), |(t, _, _, c)| (t * 25 + c * 3) as u8);
    for (ext, codec) in [
        (".mp4", "libx264"),
        (".mp4", "mpeg4"),
        (".avi", "mpeg4"),
        (".mkv", "libx264"),
        (".webm", "libvpx-vp9"),
        (".mov", "libx264"),
    ] {
        let p = dir.path().join(format!("last_{codec}{ext}"));
        write_file(
            &p,
            &NdArray::from(frames.clone().into_dyn()),
            WriteOptions::new().codec(codec).into(),
        );
        let back = read_back(&p, Options::new()).into_array::<u8>().unwrap();
        assert_eq!(back.shape()[0], 10, "{codec}{ext}: frame count");
        for t in [0usize, 9] {
            let mean: f64 = back
                .index_axis(Axis(0), t)
                .iter()
                .map(|&v| f64::from(v))
                .sum::<f64>()
                / (32.0 * 32.0 * 3.0);
            let want = (t * 25) as f64 + 3.0;
            assert!(
                (mean - want).abs() < 4.0,
                "{codec}{ext}: frame {t} mean {mean}, want ≈{want}"
            );
        }
    }
}

#[test]
fn default_codecs_per_container() {
    let dir = tempfile::tempdir().unwrap();
    let frames = NdArray::from(rgb_frames(5, 32, 32).into_dyn());
    for (ext, codec) in [
        (".mp4", "h264"),
        (".mkv", "h264"),
        (".mov", "h264"),
        (".avi", "mpeg4"),
        (".webm", "vp9"),
    ] {
        let p = dir.path().join(format!("d{ext}"));
        write_file(&p, &frames, Options::new());
        let m = open_read(p.as_path(), Options::new())
            .metadata(Index::All, true)
            .unwrap();
        assert_eq!(m["codec"], Value::Str(codec.into()), "{ext}");
    }
    // Quality and bitrate are accepted and change the output size.
    let big = NdArray::from(rgb_frames(20, 64, 64).into_dyn());
    let size_at = |opts: Options, name: &str| {
        let p = dir.path().join(name);
        write_file(&p, &big, opts);
        std::fs::metadata(&p).unwrap().len()
    };
    assert!(
        size_at(WriteOptions::new().quality(10.0).into(), "q10.mp4")
            > size_at(WriteOptions::new().quality(1.0).into(), "q1.mp4")
    );
    assert!(
        size_at(
            WriteOptions::new().codec("mpeg4").quality(10.0).into(),
            "m10.avi"
        ) > size_at(
            WriteOptions::new().codec("mpeg4").quality(1.0).into(),
            "m1.avi"
        )
    );
    let e = imageio_core::open(
        dir.path().join("x.mp4").as_path().into(),
        imageio_core::Mode::Write,
        &imageio_core::OpenArgs {
            plugin: Some("ffmpeg".into()),
            options: WriteOptions::new().codec("nosuchcodec").into(),
            ..Default::default()
        },
    )
    .and_then(|mut w| w.write(&frames))
    .unwrap_err()
    .to_string();
    assert!(e.contains("nosuchcodec"), "{e}");
}

#[test]
fn bytes_out_and_writer_out() {
    let frames = NdArray::from(rgb_frames(12, 32, 48).into_dyn());
    for ext in [".mp4", ".mkv", ".avi"] {
        let mut w = open_write(Resource::ReturnBytes, Some(ext), Options::new());
        w.write(&frames).unwrap();
        let bytes = w.close().unwrap().expect("bytes");
        let back = open_read(bytes.as_slice(), Options::new())
            .read(Index::All)
            .unwrap();
        assert_eq!(back.shape(), &[12, 32, 48, 3], "{ext}");
    }
    let mut sink = Vec::new();
    {
        let mut w = open_write(Resource::writer(&mut sink), Some(".mp4"), Options::new());
        w.write(&frames).unwrap();
        w.close().unwrap();
    }
    assert_eq!(
        open_read(sink.as_slice(), Options::new())
            .properties(Index::All)
            .unwrap()
            .n_images,
        Some(12)
    );
}

#[test]
fn write_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("e.mp4");
    let mut w = open_write(p.as_path(), None, Options::new());
    let f = ArrayD::<f32>::zeros(IxDyn(&[2, 16, 16, 3]));
    assert!(w.write(&f).unwrap_err().to_string().contains("uint8"));
    drop(w);
    assert!(!p.exists(), "a failed writer leaves no file");
    let mut w = open_write(p.as_path(), None, Options::new());
    w.write(&rgb_frames(2, 16, 16)).unwrap();
    let e = w.write(&rgb_frames(1, 32, 16)).unwrap_err().to_string();
    assert!(e.contains("same shape"), "{e}");
    drop(w);
    let w = open_write(dir.path().join("none.mp4").as_path(), None, Options::new());
    let e = w.close().unwrap_err().to_string();
    assert!(e.contains("nothing was written"), "{e}");
    assert!(!dir.path().join("none.mp4").exists());
    // Unknown containers are refused when opening.
    let args = imageio_core::OpenArgs {
        plugin: Some("ffmpeg".into()),
        ..Default::default()
    };
    let e = imageio_core::open(
        dir.path().join("x.abc").as_path().into(),
        imageio_core::Mode::Write,
        &args,
    )
    .unwrap_err();
    assert!(e.to_string().contains(".abc"), "{e}");
}

#[test]
fn pyav_reads_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let frames = NdArray::from(rgb_frames(30, 48, 64).into_dyn());
    let script = workspace().join("xtask/python/check_ffmpeg.py");
    for (name, opts) in [
        ("a.mp4", WriteOptions::new().fps(3.5)),
        (
            "b.mkv",
            WriteOptions::new().codec("ffv1").pixel_format("bgr0"),
        ),
        ("c.webm", WriteOptions::new().fps(25.0)),
        ("d.avi", WriteOptions::new()),
    ] {
        let p = dir.path().join(name);
        write_file(&p, &frames, opts.into());
        let out = std::process::Command::new(python())
            .arg(&script)
            .arg(&p)
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["frames"], 30, "{name}: {j}");
        assert_eq!(j["shape"], serde_json::json!([48, 64, 3]), "{name}");
        let ours = open_read(p.as_path(), Options::new())
            .metadata(Index::All, true)
            .unwrap();
        let fps = j["fps"].as_f64().unwrap();
        assert!(
            (fps - ours["fps"].as_float().unwrap()).abs() < 1e-9,
            "{name}: pyav fps {fps}"
        );
        if name == "b.mkv" {
            assert_eq!(
                j["sha256"].as_str().unwrap(),
                frames.sha256_hex(),
                "pyav decodes our lossless file exactly"
            );
        }
    }
}
