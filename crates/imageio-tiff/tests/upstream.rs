//! imageio's tifffile_v3 assertions (behaviour spec §8 items 25–27) and the multi-write
//! features (several series, SubIFD pyramids, contiguous series, append, exclusive create).
mod common;

use common::*;
use imageio_core::{Error, Index, NdArray, Options, Value};

fn shapes(r: &serde_json::Value) -> Vec<Vec<u64>> {
    r["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn three_writes_make_three_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multi.tif");
    let a = noise_u8(&[4, 255, 255, 3], 1);
    let b = noise_u8(&[255, 255, 3], 2);
    let c = noise_u8(&[120, 73, 3], 3);
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    f.write(&a).unwrap();
    f.write(&b).unwrap();
    f.write(&c).unwrap();
    f.close().unwrap();

    let mut r = open_read(path.as_path(), Options::new()).unwrap();
    for (k, want) in [&a, &b, &c].into_iter().enumerate() {
        let got = r.read(Index::At(k)).unwrap();
        assert_eq!(&got, want, "series {k}");
        assert_eq!(
            r.properties(Index::At(k)).unwrap().shape,
            want.shape(),
            "properties report the series shape"
        );
    }
    assert_eq!(r.read(Index::Default).unwrap(), a);
    assert!(matches!(
        r.read(Index::At(3)),
        Err(Error::IndexOutOfRange {
            index: 3,
            len: Some(3),
            ..
        })
    ));
    // imiter yields the three series
    let all: Vec<NdArray> = r.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(all, vec![a.clone(), b.clone(), c.clone()]);
    // index=..., page=k: flat pages over the whole file
    for p in 0..6 {
        let mut r = open_read(path.as_path(), Options::new().with("page", p as i64)).unwrap();
        let page = r.read(Index::All).unwrap();
        let want = match p {
            0..=3 => NdArray::from(
                a.as_array::<u8>()
                    .unwrap()
                    .index_axis(ndarray::Axis(0), p)
                    .to_owned(),
            ),
            4 => b.clone(),
            _ => c.clone(),
        };
        assert_eq!(page, want, "flat page {p}");
        assert_eq!(r.properties(Index::All).unwrap().shape, want.shape());
    }
    let mut r = open_read(path.as_path(), Options::new().with("page", 6i64)).unwrap();
    assert!(matches!(
        r.read(Index::All),
        Err(Error::IndexOutOfRange { .. })
    ));
    // stacking series of different shapes is an error, not a panic
    let mut r = open_read(path.as_path(), Options::new()).unwrap();
    assert!(r.read(Index::All).is_err());
    assert!(r.properties(Index::All).is_err());
    // and tifffile agrees
    let rep = run_checker(std::slice::from_ref(&path));
    let rep = &rep[&path.display().to_string()];
    assert_eq!(
        shapes(rep),
        vec![vec![4, 255, 255, 3], vec![255, 255, 3], vec![120, 73, 3]]
    );
    assert_eq!(rep["series"][2]["sha256"].as_str().unwrap(), c.sha256_hex());
}

#[test]
fn properties_metadata_and_compression() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vol.tif");
    let vol = noise_u8(&[6, 255, 255, 3], 4);
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    f.write(&vol).unwrap();
    f.close().unwrap();
    let mut r = open_read(path.as_path(), Options::new()).unwrap();
    // upstream reports a page shape here; we report what read returns
    let p = r.properties(Index::Default).unwrap();
    assert_eq!(p.shape, vec![6, 255, 255, 3]);
    assert!(!p.is_batch);
    let p = r.properties(Index::All).unwrap();
    assert_eq!(
        (p.shape.clone(), p.n_images, p.is_batch),
        (vec![1, 6, 255, 255, 3], Some(1), true)
    );
    assert_eq!(r.read(Index::All).unwrap().shape(), &[1, 6, 255, 255, 3]);
    let m = r.metadata(Index::Default, true).unwrap();
    assert_eq!(m.get("is_shaped"), Some(&Value::Bool(true)));
    assert_eq!(m.get("compression"), Some(&Value::Int(1)));
    let mut r = open_read(path.as_path(), Options::new().with("page", 2i64)).unwrap();
    assert_eq!(
        r.properties(Index::Default).unwrap().shape,
        vec![255, 255, 3]
    );
    assert_eq!(r.read(Index::Default).unwrap().shape(), &[255, 255, 3]);

    for (comp, code) in [("zlib", 8i64), ("none", 1)] {
        let path = dir.path().join(format!("c_{comp}.tif"));
        let mut f = open_write(path.as_path(), Options::new().with("compression", comp)).unwrap();
        f.write(&vol).unwrap();
        f.close().unwrap();
        let mut r = open_read(path.as_path(), Options::new()).unwrap();
        assert_eq!(
            r.metadata(Index::At(0), true).unwrap().get("compression"),
            Some(&Value::Int(code))
        );
        assert_eq!(r.read(Index::Default).unwrap(), vol);
    }
}

#[test]
fn invalid_option_combinations_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.tif");
    let img = noise_u8(&[16, 16], 5);
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    f.write(&img).unwrap();
    f.close().unwrap();
    // read side: key + page, series + index
    let mut r = open_read(path.as_path(), Options::new().with("series", 0i64)).unwrap();
    assert!(r.read(Index::Default).is_ok());
    let e = r.read(Index::At(0)).unwrap_err().to_string();
    assert!(e.contains("`series` and `index`"), "{e}");
    let e = open_read(
        path.as_path(),
        Options::new().with("page", 0i64).with("key", 0i64),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`page` and `key`"), "{e}");
    let e = open_read(path.as_path(), Options::new().with("pag", 0i64))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown option"), "{e}");
    let e = open_read(path.as_path(), Options::new().with("level", 3i64))
        .unwrap()
        .read(Index::Default)
        .unwrap_err()
        .to_string();
    assert!(e.contains("level 3"), "{e}");

    let refused: Vec<(Options, &str, NdArray)> = vec![
        (
            Options::new().with("imagej", true).with("ome", true),
            "cannot be used together",
            img.clone(),
        ),
        (
            Options::new().with("imagej", true).with("bigtiff", true),
            "BigTIFF",
            img.clone(),
        ),
        (
            Options::new().with("imagej", true),
            "uint8, uint16 or float32",
            NdArray::zeros(imageio_core::DType::I32, &[4, 4]),
        ),
        (
            Options::new().with("imagej", true).with("description", "x"),
            "description",
            img.clone(),
        ),
        (
            Options::new().with("tile", Value::List(vec![10i64.into(), 16i64.into()])),
            "multiples of 16",
            img.clone(),
        ),
        (
            Options::new()
                .with("contiguous", true)
                .with("compression", "zlib"),
            "contiguous",
            img.clone(),
        ),
        (
            Options::new().with("predictor", true),
            "predictor needs compression",
            img.clone(),
        ),
        (
            Options::new()
                .with("predictor", 3i64)
                .with("compression", "zlib"),
            "floating point predictor",
            img.clone(),
        ),
        (
            // JPEG is written for uint8 only (tifffile: 12-bit uint16 too; not supported here)
            Options::new().with("compression", "jpeg"),
            "JPEG compression needs uint8",
            NdArray::from_shape_vec(&[16, 16], vec![0.5f32; 256]).unwrap(),
        ),
        (
            Options::new().with("compression", "lzma"),
            "unknown or unsupported compression",
            img.clone(),
        ),
        (
            Options::new()
                .with("bitspersample", 4i64)
                .with("compression", "lzw"),
            "bitspersample",
            img.clone(),
        ),
        (
            Options::new().with("bitspersample", 12i64),
            "not valid for uint8",
            img.clone(),
        ),
        (
            Options::new()
                .with("truncate", true)
                .with("compression", "zlib"),
            "truncate",
            img.clone(),
        ),
        (
            Options::new().with("photometric", "rgb"),
            "3 or more samples",
            img.clone(),
        ),
        (
            Options::new().with("photometric", "palette"),
            "colormap",
            img.clone(),
        ),
        (
            Options::new().with("byteorder", "big"),
            "byteorder",
            img.clone(),
        ),
        (Options::new().with("mode", "q"), "mode", img.clone()),
        (
            Options::new().with("datetime", "yesterday"),
            "datetime",
            img.clone(),
        ),
        (
            Options::new().with("extrasamples", Value::List(vec!["unassalpha".into()])),
            "no extra samples",
            img.clone(),
        ),
        (
            Options::new().with("volumetric", true).with("ome", true),
            "volumetric",
            img.clone(),
        ),
    ];
    for (opts, msg, data) in refused {
        let label = format!("{opts:?}");
        let res = open_write(dir.path().join("r.tif").as_path(), opts).and_then(|mut f| {
            f.write(&data)?;
            f.close().map(|_| ())
        });
        let e = res.expect_err(&label).to_string();
        assert!(e.contains(msg), "{label}: {e}");
    }
    // exclusive creation
    let e = open_write(path.as_path(), Options::new().with("mode", "x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("already exists"), "{e}");
    let fresh = dir.path().join("fresh.tif");
    let mut f = open_write(fresh.as_path(), Options::new().with("mode", "x")).unwrap();
    f.write(&img).unwrap();
    f.close().unwrap();
}

#[test]
fn bytes_bool_and_garbage() {
    let data = NdArray::from_shape_vec(&[1, 1], vec![0u8]).unwrap();
    let mut f = open_write(imageio_core::Resource::ReturnBytes, Options::new()).unwrap();
    f.write(&data).unwrap();
    let bytes = f.close().unwrap().expect("bytes");
    assert!(bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*"));
    assert_eq!(
        open_read(bytes.as_slice(), Options::new())
            .unwrap()
            .read(Index::Default)
            .unwrap(),
        data
    );

    let b = NdArray::from_shape_vec(&[5, 13], (0..65).map(|i| i % 3 == 0).collect::<Vec<bool>>())
        .unwrap();
    let mut f = open_write(imageio_core::Resource::ReturnBytes, Options::new()).unwrap();
    f.write(&b).unwrap();
    let bytes = f.close().unwrap().unwrap();
    assert_eq!(
        open_read(bytes.as_slice(), Options::new())
            .unwrap()
            .read(Index::Default)
            .unwrap(),
        b
    );

    let garbage = b"this is not an image at all, just text".to_vec();
    assert!(open_read(garbage.as_slice(), Options::new()).is_err());
    let mut fake = b"II*\0".to_vec();
    fake.extend_from_slice(&[0xff; 20]);
    assert!(open_read(fake.as_slice(), Options::new()).is_err());
}

#[test]
fn subifd_pyramid_contiguous_append_and_ome_series() {
    let dir = tempfile::tempdir().unwrap();
    // SubIFD pyramid: 1 series + 2 levels
    let pyr = dir.path().join("pyr.tif");
    let base = noise_u8(&[64, 48], 6);
    let half = noise_u8(&[32, 24], 7);
    let quarter = noise_u8(&[16, 12], 8);
    let mut f = open_write(
        pyr.as_path(),
        Options::new()
            .with("subifds", 2i64)
            .with("tile", Value::List(vec![16i64.into(), 16i64.into()])),
    )
    .unwrap();
    f.write(&base).unwrap();
    f.write(&half).unwrap();
    f.write(&quarter).unwrap();
    f.close().unwrap();
    for (lv, want) in [&base, &half, &quarter].into_iter().enumerate() {
        let mut r = open_read(pyr.as_path(), Options::new().with("level", lv as i64)).unwrap();
        assert_eq!(&r.read(Index::Default).unwrap(), want, "level {lv}");
    }
    // contiguous: three writes, one series
    let cont = dir.path().join("cont.tif");
    let pages: Vec<NdArray> = (0..3).map(|i| noise_u8(&[16, 12], 10 + i)).collect();
    let mut f = open_write(cont.as_path(), Options::new().with("contiguous", true)).unwrap();
    for p in &pages {
        f.write(p).unwrap();
    }
    f.close().unwrap();
    let stacked = NdArray::stack(pages.clone()).unwrap();
    let mut r = open_read(cont.as_path(), Options::new()).unwrap();
    assert_eq!(r.read(Index::Default).unwrap(), stacked);
    // append (mode r+) to an existing file: a second series
    let app = dir.path().join("app.tif");
    let mut f = open_write(app.as_path(), Options::new()).unwrap();
    f.write(&base).unwrap();
    f.close().unwrap();
    let mut f = open_write(app.as_path(), Options::new().with("mode", "r+")).unwrap();
    f.write(&half).unwrap();
    f.close().unwrap();
    let mut r = open_read(app.as_path(), Options::new()).unwrap();
    assert_eq!(r.read(Index::At(0)).unwrap(), base);
    assert_eq!(r.read(Index::At(1)).unwrap(), half);
    // OME: two writes, two images
    let ome = dir.path().join("two.ome.tif");
    let s0 = noise_u8(&[2, 10, 12], 20);
    let s1 = noise_u8(&[3, 8, 6, 3], 21);
    let mut f = open_write(
        ome.as_path(),
        Options::new().with(
            "metadata",
            Value::Map(
                [("PhysicalSizeX".to_owned(), Value::Float(0.5))]
                    .into_iter()
                    .collect(),
            ),
        ),
    )
    .unwrap();
    f.write(&s0).unwrap();
    f.write(&s1).unwrap();
    f.close().unwrap();
    let mut r = open_read(ome.as_path(), Options::new()).unwrap();
    assert_eq!(r.read(Index::At(0)).unwrap(), s0);
    assert_eq!(r.read(Index::At(1)).unwrap(), s1);
    let p = r.properties(Index::At(0)).unwrap();
    assert_eq!(p.spacing, Some(vec![1.0, 1.0, 0.5]));

    let files = vec![pyr.clone(), cont.clone(), app.clone(), ome.clone()];
    let rep = run_checker(&files);
    let get = |p: &std::path::PathBuf| rep[&p.display().to_string()].clone();
    let r = get(&pyr);
    assert_eq!(shapes(&r), vec![vec![64, 48]], "{r}");
    let lv: Vec<u64> = r["series"][0]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| {
            l["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
        })
        .collect();
    assert_eq!(lv, vec![32, 24, 16, 12]);
    assert_eq!(
        r["series"][0]["levels"][1]["sha256"].as_str().unwrap(),
        quarter.sha256_hex()
    );
    let r = get(&cont);
    assert_eq!(shapes(&r), vec![vec![3, 16, 12]], "{r}");
    assert_eq!(
        r["series"][0]["sha256"].as_str().unwrap(),
        stacked.sha256_hex()
    );
    let r = get(&app);
    assert_eq!(shapes(&r), vec![vec![64, 48], vec![32, 24]], "{r}");
    let r = get(&ome);
    assert_eq!(r["is_ome"], serde_json::Value::Bool(true), "{r}");
    assert_eq!(shapes(&r), vec![vec![2, 10, 12], vec![3, 8, 6, 3]], "{r}");
    assert_eq!(r["series"][1]["sha256"].as_str().unwrap(), s1.sha256_hex());
    assert_eq!(r["ome"][0]["PhysicalSizeX"].as_str().unwrap(), "0.5");
}
