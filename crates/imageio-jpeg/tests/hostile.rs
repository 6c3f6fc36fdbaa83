//! Truncated, corrupted and absurd inputs give errors: no panic, no hang, no huge allocation.

mod common;

use common::*;
use imageio_core::{Error, Index, Limits, Mode, OpenArgs, Options, Resource};

/// Opens and reads `data`; Ok(shape) or the error.
fn try_read(data: &[u8], options: Options, limits: Limits) -> Result<Vec<usize>, Error> {
    let args = OpenArgs {
        options,
        limits,
        plugin: Some("jpeg".into()),
        ..Default::default()
    };
    let mut f = imageio_core::open(Resource::from(data), Mode::Read, &args)?;
    let props = f.properties(Index::Default)?;
    let _ = f.metadata(Index::Default, false)?;
    let a = f.read(Index::Default)?;
    assert_eq!(
        a.shape(),
        props.shape.as_slice(),
        "properties agree with read"
    );
    Ok(a.shape().to_vec())
}

const FILES: &[&str] = &[
    "baseline_420.jpg",
    "progressive_420.jpg",
    "restart_420.jpg",
    "restart_progressive.jpg",
    "gray.jpg",
    "cmyk.jpg",
    "meta.jpg",
    "progressive_444_opt.jpg",
];

#[test]
fn truncated_files_are_errors() {
    for name in FILES {
        let data = std::fs::read(fixtures().join(name)).unwrap();
        assert!(
            try_read(&data, Options::new(), Limits::default()).is_ok(),
            "{name} intact"
        );
        let n = data.len();
        // every length in the headers, then ~200 lengths through the scan data
        let step = (n / 200).max(1);
        let lengths: Vec<usize> = (0..n.min(700)).chain((700..n).step_by(step)).collect();
        let mut errors = 0;
        for &len in &lengths {
            let cut = &data[..len];
            match try_read(cut, Options::new(), Limits::default()) {
                Err(_) => errors += 1,
                Ok(_) => panic!("{name} cut to {len} of {n} bytes decoded without error"),
            }
        }
        assert_eq!(errors, lengths.len(), "{name}");
        // the last byte matters too
        assert!(
            try_read(&data[..n - 1], Options::new(), Limits::default()).is_err(),
            "{name}"
        );
        // tolerant mode: a truncated file gives an image of the right size (gray fill), no panic
        let half = &data[..n * 3 / 4];
        let tolerant = Options::new().with("strict", false);
        if let Ok(shape) = try_read(half, tolerant, Limits::default()) {
            assert_eq!(shape[..2], [48, 64][..], "{name}");
        }
    }
}

#[test]
fn bit_flipped_files_do_not_panic() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = (0, 0);
    for name in FILES {
        let data = std::fs::read(fixtures().join(name)).unwrap();
        for _ in 0..150 {
            let mut bad = data.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % bad.len() as u64) as usize;
                bad[i] ^= 1 << (next() % 8);
            }
            for strict in [true, false] {
                match try_read(
                    &bad,
                    Options::new().with("strict", strict),
                    Limits::default(),
                ) {
                    Ok(_) => outcomes.0 += 1,
                    Err(_) => outcomes.1 += 1,
                }
            }
        }
    }
    println!("bit flips: {} decoded, {} errors", outcomes.0, outcomes.1);
    assert!(outcomes.1 > 0);
}

/// A minimal baseline JPEG header declaring `w × h` and `n` components, with no scan data.
fn header(w: u16, h: u16, n: u8) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8];
    // DQT (one table of ones)
    v.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    v.extend(std::iter::repeat_n(1u8, 64));
    // SOF0
    let len = 8 + 3 * u16::from(n);
    v.extend_from_slice(&[0xFF, 0xC0]);
    v.extend_from_slice(&len.to_be_bytes());
    v.push(8);
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&w.to_be_bytes());
    v.push(n);
    for i in 0..n {
        v.extend_from_slice(&[i + 1, 0x11, 0]);
    }
    // DHT: a DC and an AC table with one 1-bit code each
    for class in [0x00u8, 0x10] {
        v.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x14, class]);
        let mut counts = [0u8; 16];
        counts[0] = 1;
        v.extend_from_slice(&counts);
        v.push(0);
    }
    // SOS
    let len = 6 + 2 * u16::from(n);
    v.extend_from_slice(&[0xFF, 0xDA]);
    v.extend_from_slice(&len.to_be_bytes());
    v.push(n);
    for i in 0..n {
        v.extend_from_slice(&[i + 1, 0x00]);
    }
    v.extend_from_slice(&[0, 63, 0]);
    v.extend_from_slice(&[0x00, 0xFF, 0xD9]);
    v
}

#[test]
fn absurd_sizes_are_refused_before_allocating() {
    // 65535 × 65535 × 3 = 12.9 GB: refused by the default limits, from the header alone
    let e = try_read(&header(65535, 65535, 3), Options::new(), Limits::default()).unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
    // also when only max_bytes is set
    let e = try_read(
        &header(60000, 60000, 1),
        Options::new(),
        Limits::none().with_max_bytes(Some(1 << 30)),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
    // properties still work without decoding (no allocation)
    let data = header(65535, 65535, 3);
    let args = OpenArgs {
        plugin: Some("jpeg".into()),
        ..Default::default()
    };
    let mut f = imageio_core::open(Resource::from(&data), Mode::Read, &args).unwrap();
    assert_eq!(
        f.properties(Index::Default).unwrap().shape,
        vec![65535, 65535, 3]
    );
    // zero-sized frames and odd component counts are decoding errors
    assert!(matches!(
        try_read(&header(0, 10, 3), Options::new(), Limits::default()),
        Err(Error::Decoding { .. })
    ));
    assert!(try_read(&header(10, 10, 2), Options::new(), Limits::default()).is_err());
    // a tight pixel limit refuses a real file
    let real = std::fs::read(fixtures().join("baseline_420.jpg")).unwrap();
    let e = try_read(
        &real,
        Options::new(),
        Limits::default().with_max_pixels(Some(1000)),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Limits { .. }), "{e}");
    // a header with no scan data: small image, error or gray, never a panic
    let _ = try_read(&header(16, 16, 3), Options::new(), Limits::default());
}

#[test]
fn not_a_jpeg() {
    for data in [
        &b""[..],
        b"\xFF\xD8",
        b"\xFF\xD8\xFF",
        b"GIF89a....",
        b"\xFF\xD8\xFF\xE0\x00\x02",
    ] {
        let args = OpenArgs {
            extension: Some(".jpg".into()),
            ..Default::default()
        };
        assert!(
            imageio_core::open(Resource::from(data), Mode::Read, &args)
                .and_then(|mut f| f.read(Index::Default))
                .is_err()
        );
    }
    // a PNG named .jpg is not taken by the jpeg plugin
    let args = OpenArgs {
        plugin: Some("jpeg".into()),
        ..Default::default()
    };
    let e = imageio_core::open(
        Resource::from(&b"\x89PNG\r\n\x1a\n0000"[..]),
        Mode::Read,
        &args,
    )
    .unwrap_err();
    assert!(e.is_unsupported(), "{e}");
}

/// Splits a JPEG into (everything before the last scan, the last scan with its data, the rest).
fn last_scan(data: &[u8]) -> (usize, usize) {
    let mut pos = 2;
    let mut last = None;
    while pos + 4 <= data.len() {
        assert_eq!(data[pos], 0xFF, "marker expected at {pos}");
        let m = data[pos + 1];
        if m == 0xD9 {
            break;
        }
        let mut end = pos + 2 + u16::from_be_bytes([data[pos + 2], data[pos + 3]]) as usize;
        if m == 0xDA {
            // entropy-coded data: up to the next marker that is not a stuffed 0 or a restart
            while end + 1 < data.len()
                && !(data[end] == 0xFF
                    && data[end + 1] != 0
                    && !(0xD0..=0xD7).contains(&data[end + 1]))
            {
                end += 1;
            }
            last = Some((pos, end));
        }
        pos = end;
    }
    last.expect("a scan")
}

/// A progressive file whose last scan is repeated 2000 times (a known way to make progressive
/// decoders do quadratic work): an error or an image, quickly, never a hang or a panic. The
/// `turbo` build refuses more than 500 scans.
#[test]
fn thousands_of_scans_do_not_hang() {
    let data = std::fs::read(fixtures().join("progressive_420.jpg")).unwrap();
    let (start, end) = last_scan(&data);
    let mut bad = data[..end].to_vec();
    for _ in 0..2000 {
        bad.extend_from_slice(&data[start..end]);
    }
    bad.extend_from_slice(&data[end..]);
    for strict in [true, false] {
        let t = std::time::Instant::now();
        let r = try_read(
            &bad,
            Options::new().with("strict", strict),
            Limits::default(),
        );
        println!(
            "strict={strict}: {:?} in {:?}",
            r.as_ref().map_err(|e| e.to_string()),
            t.elapsed()
        );
        if cfg!(feature = "turbo") {
            // strict: the bogus progression warning is an error; tolerant: the scan limit
            let e = r.expect_err("more than 500 scans");
            if !strict {
                assert!(e.to_string().contains("scan"), "{e}");
            }
        }
    }
}

/// Junk bytes between the last scan and EOI (libjpeg: "Corrupt JPEG data: 3 extraneous bytes
/// before marker 0xd9", a warning; some cameras write such files): Pillow reads them, and so do
/// we in strict mode, with the pixels of the clean file.
#[test]
fn extraneous_bytes_before_eoi_read_like_pillow() {
    let path = fixtures().join("baseline_420.jpg");
    let data = std::fs::read(&path).unwrap();
    let n = data.len();
    let mut junk = data[..n - 2].to_vec();
    junk.extend_from_slice(&[0x12, 0x34, 0x56]);
    junk.extend_from_slice(&data[n - 2..]);
    let dir = std::env::temp_dir().join(format!("imageio-jpeg-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk_path = dir.join("junk.jpg");
    std::fs::write(&junk_path, &junk).unwrap();
    let npy = dir.join("junk.npy");
    let theirs = check_jpeg(&["decode", junk_path.to_str().unwrap(), npy.to_str().unwrap()]);
    let clean = read(&path, Options::new());
    let (shape, pillow_clean) = {
        let p = dir.join("clean.npy");
        check_jpeg(&["decode", path.to_str().unwrap(), p.to_str().unwrap()]);
        read_npy(&p)
    };
    assert_eq!(
        read_npy(&npy),
        (shape, pillow_clean),
        "Pillow ignores the junk"
    );
    assert_eq!(theirs["shape"], serde_json::json!([48, 64, 3]));
    for strict in [true, false] {
        let ours = read(&junk_path, Options::new().with("strict", strict));
        assert_eq!(ours, clean, "strict={strict}");
    }
}
