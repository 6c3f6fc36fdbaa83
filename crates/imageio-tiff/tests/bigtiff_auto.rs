//! Automatic BigTIFF past 4 GB with a real (sparse) file: an empty 4.3 GB series is written as
//! a hole, so the test needs little disk and time; the offsets of the IFDs and of a second
//! series after it do pass 4 GB.
mod common;

use common::*;
use imageio_core::{DType, Index, NdArray, Options};
use imageio_tiff::TiffWriteOptions;

#[test]
fn data_past_4gb_switch_to_bigtiff_automatically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tif");
    let shape = [1025usize, 2048, 2048]; // 4.3e9 bytes > 4 GB - 32 MB
    let tail = noise_u8(&[64, 48], 9);
    let t0 = std::time::Instant::now();
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    f.write_with_options(
        &NdArray::from_shape_vec(&[0], Vec::<u8>::new()).unwrap(),
        None,
        TiffWriteOptions::new()
            .empty(&shape, DType::U8)
            .photometric("minisblack"),
    )
    .unwrap();
    f.write(&tail).unwrap();
    f.close().unwrap();
    eprintln!("wrote {:?} in {:?}", path, t0.elapsed());
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 1025 * 2048 * 2048, "{len}");
    let mut head = [0u8; 4];
    use std::io::Read;
    std::fs::File::open(&path)
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    assert_eq!(&head, b"II\x2b\x00", "BigTIFF header");

    // our reader: shape without decoding, one page of the big series, the series after it
    let mut r = open_read(path.as_path(), Options::new()).unwrap();
    assert_eq!(r.properties(Index::At(0)).unwrap().shape, shape.to_vec());
    let mut p = open_read(path.as_path(), Options::new().with("page", 1024i64)).unwrap();
    assert_eq!(
        p.read(Index::At(0)).unwrap(),
        NdArray::zeros(DType::U8, &[2048, 2048])
    );
    assert_eq!(r.read(Index::At(1)).unwrap(), tail);

    // tifffile agrees (reading only the last page of the big series and the tail series)
    let out = imageio_testutil::run_python(
        "check_tiff.py",
        &[
            "--summary".as_ref(),
            path.as_os_str(),
            "1024".as_ref(),
            "1025".as_ref(),
        ],
    );
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["is_bigtiff"], serde_json::Value::Bool(true), "{s}");
    assert_eq!(s["series"][0]["shape"], serde_json::json!(shape), "{s}");
    assert_eq!(s["series"][1]["shape"], serde_json::json!([64, 48]), "{s}");
    assert_eq!(
        s["pages"]["1024"].as_str().unwrap(),
        NdArray::zeros(DType::U8, &[2048, 2048]).sha256_hex()
    );
    assert_eq!(s["pages"]["1025"].as_str().unwrap(), tail.sha256_hex());

    // the same data with bigtiff=false is refused instead of writing a broken classic file
    let mut f = open_write(
        dir.path().join("classic.tif").as_path(),
        Options::new().with("bigtiff", false),
    )
    .unwrap();
    let e = f
        .write_with_options(
            &NdArray::from_shape_vec(&[0], Vec::<u8>::new()).unwrap(),
            None,
            TiffWriteOptions::new().empty(&shape, DType::U8),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("bigtiff=true"), "{e}");
}
