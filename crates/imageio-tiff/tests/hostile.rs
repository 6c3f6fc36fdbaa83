//! Hostile input: truncations, bit flips, cyclic IFDs, offsets past the end, absurd sizes.
//! Every case must return (Ok or) an error: no panic, no hang, no large allocation.
mod common;

use common::*;
use imageio_core::{Index, Limits, Mode, OpenArgs, Options};

fn try_all(bytes: &[u8]) -> bool {
    let args = OpenArgs {
        plugin: Some("tiff".into()),
        // 64 MB is far more than any fixture decodes to; a hostile header asking for more is refused
        limits: Limits::default().with_max_bytes(Some(64 << 20)),
        ..Default::default()
    };
    let Ok(mut f) = imageio_core::open(bytes.into(), Mode::Read, &args) else {
        return false;
    };
    let ok = f.read(Index::Default).is_ok();
    let _ = f.properties(Index::Default);
    let _ = f.metadata(Index::Default, false);
    let _ = f.metadata(Index::At(0), false);
    let _ = f.read(Index::All);
    for (i, a) in f.iter().enumerate() {
        if i > 8 || a.is_err() {
            break;
        }
    }
    ok
}

fn le_tiff(entries: &[(u16, u16, u32, u32)], next: u32) -> Vec<u8> {
    let mut b = b"II*\0".to_vec();
    b.extend_from_slice(&8u32.to_le_bytes());
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for &(code, ty, count, value) in entries {
        b.extend_from_slice(&code.to_le_bytes());
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&count.to_le_bytes());
        b.extend_from_slice(&value.to_le_bytes());
    }
    b.extend_from_slice(&next.to_le_bytes());
    b
}

fn gray(w: u32, h: u32, offset: u32, count: u32) -> Vec<(u16, u16, u32, u32)> {
    vec![
        (256, 4, 1, w),
        (257, 4, 1, h),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, offset),
        (277, 3, 1, 1),
        (278, 4, 1, h),
        (279, 4, 1, count),
    ]
}

#[test]
fn crafted_files_are_errors() {
    // a valid 4×2 file first (so the crafting is right)
    let mut ok = le_tiff(&gray(4, 2, 0, 8), 0);
    let off = ok.len() as u32;
    ok = le_tiff(&gray(4, 2, off, 8), 0);
    ok.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let a = open_read(ok.as_slice(), Options::new())
        .unwrap()
        .read(Index::Default)
        .unwrap();
    assert_eq!(
        a.as_array::<u8>()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6, 7, 8]
    );

    // cyclic IFD chain: next points back at the first IFD
    let cyc = le_tiff(&gray(4, 2, 0, 8), 8);
    let e = open_read(cyc.as_slice(), Options::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("circular"), "{e}");
    // strip offset past the end
    let past = le_tiff(&gray(4, 2, 10_000, 8), 0);
    let e = open_read(past.as_slice(), Options::new())
        .unwrap()
        .read(Index::Default)
        .unwrap_err()
        .to_string();
    assert!(e.contains("past the end"), "{e}");
    // absurd sizes: refused before allocating
    for (w, h) in [(u32::MAX, u32::MAX), (1 << 20, 1 << 20), (100_000, 3)] {
        let big = le_tiff(&gray(w, h, 0, 8), 0);
        let e = open_read(big.as_slice(), Options::new())
            .unwrap()
            .read(Index::Default)
            .unwrap_err();
        assert!(
            matches!(
                e,
                imageio_core::Error::Limits { .. } | imageio_core::Error::Decoding { .. }
            ),
            "{e}"
        );
    }
    // absurd tile size on a small image
    let mut t = gray(4, 2, 0, 8);
    t.retain(|e| !matches!(e.0, 273 | 278 | 279));
    t.extend([
        (322, 4, 1, 1 << 30),
        (323, 4, 1, 1 << 30),
        (324, 4, 1, 8),
        (325, 4, 1, 8),
    ]);
    t.sort();
    let tiled = le_tiff(&t, 0);
    assert!(
        open_read(tiled.as_slice(), Options::new())
            .unwrap()
            .read(Index::Default)
            .is_err()
    );
    // IFD entry count past the end
    let mut many = b"II*\0\x08\0\0\0".to_vec();
    many.extend_from_slice(&0xffffu16.to_le_bytes());
    assert!(open_read(many.as_slice(), Options::new()).is_err());
    // first IFD offset past the end, BigTIFF header with bad offset size
    assert!(open_read(b"II*\0\xff\xff\xff\x7f".as_slice(), Options::new()).is_err());
    assert!(
        open_read(
            b"II+\0\x04\0\0\0\x10\0\0\0\0\0\0\0".as_slice(),
            Options::new()
        )
        .is_err()
    );
    // shaped description with an absurd shape
    let desc = br#"{"shape": [1000000000, 1000000000, 1000000000]}"#;
    let mut e = gray(4, 2, 0, 8);
    e.push((270, 2, desc.len() as u32 + 1, 0));
    e.sort();
    let n = e.len();
    let desc_at = 8 + 2 + 12 * n as u32 + 4;
    e.iter_mut().for_each(|x| {
        if x.0 == 270 {
            x.3 = desc_at
        }
    });
    let data_at = desc_at + desc.len() as u32 + 1;
    e.iter_mut().for_each(|x| {
        if x.0 == 273 {
            x.3 = data_at
        }
    });
    let mut f = le_tiff(&e, 0);
    f.extend_from_slice(desc);
    f.push(0);
    f.extend_from_slice(&[0; 8]);
    // tifffile falls back to a generic series when the shape does not fit the pages
    let mut r = open_read(f.as_slice(), Options::new()).unwrap();
    assert_eq!(r.read(Index::Default).unwrap().shape(), &[2, 4]);
    // …and a shape that fits the page count but not the data is refused by the limits
    let desc2 = br#"{"shape": [4000000000, 2, 4]}"#;
    let g = f.windows(desc.len()).position(|w| w == desc).unwrap();
    let mut f2 = f.clone();
    f2[g..g + desc2.len()].copy_from_slice(desc2);
    f2[g + desc2.len()..g + desc.len()].fill(b' ');
    let mut r = open_read(f2.as_slice(), Options::new()).unwrap();
    assert!(r.read(Index::Default).is_err());
}

#[test]
fn truncated_and_bit_flipped_fixtures_never_panic() {
    let names = [
        "comp_lzw_uint16_p2.tif",
        "comp_zlib_float32_p3_tiled.tif",
        "jpeg_rgb.tif",
        "imagej_tzcyx.tif",
        "ome_two.ome.tif",
        "pyramid.tif",
        "bigtiff_be_tiled.tif",
        "packed12.tif",
        "comp_zstd_uint8_p2.tif",
        "comp_packbits_uint16_p1.tif",
        "three_series.tif",
        "truncated.tif",
    ];
    let mut decoded_truncations = 0;
    for name in names {
        let data = std::fs::read(fixture(name)).unwrap();
        assert!(try_all(&data), "{name} must decode intact");
        // truncations at many lengths
        let step = (data.len() / 80).max(1);
        for len in (0..data.len()).step_by(step) {
            decoded_truncations += usize::from(try_all(&data[..len]));
        }
        // bit flips (deterministic positions), in the header/IFD area and in the data
        let mut s = 0x2545F4914F6CDD1Du64 ^ data.len() as u64;
        for _ in 0..120 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mut d = data.clone();
            let pos = if s.is_multiple_of(2) {
                (s >> 8) as usize % d.len().min(512)
            } else {
                (s >> 8) as usize % d.len()
            };
            d[pos] ^= 1 << ((s >> 40) % 8);
            let _ = try_all(&d);
        }
    }
    // most truncations lose data: they must not all "succeed"
    assert!(
        decoded_truncations < names.len() * 60,
        "{decoded_truncations} truncated files decoded"
    );
}

/// OME-XML for one uint8 9×8 Image with the given `Size*` attributes and `TiffData` elements.
fn ome_xml(sizes: &str, tiff_data: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><OME xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\">\
         <Image ID=\"Image:0\"><Pixels ID=\"Pixels:0\" DimensionOrder=\"XYCZT\" Type=\"uint8\" \
         SizeX=\"9\" SizeY=\"8\" {sizes}><Channel ID=\"Channel:0:0\" SamplesPerPixel=\"1\"/>{tiff_data}\
         </Pixels></Image></OME>"
    )
}

/// Writes `page` as a one-page TIFF whose ImageDescription is exactly `description`.
fn write_with_description(path: &std::path::Path, page: &imageio_core::NdArray, description: &str) {
    let mut f = open_write(
        path,
        Options::new()
            .with("description", description)
            .with("metadata", "none")
            .with("ome", false),
    )
    .unwrap();
    f.write(page).unwrap();
    f.close().unwrap();
}

/// Plane `k` of a stacked uint8 array, in C order.
fn plane(a: &imageio_core::NdArray, k: usize) -> Vec<u8> {
    let v = a.as_array::<u8>().unwrap();
    v.index_axis(ndarray::Axis(0), k).iter().copied().collect()
}

/// OME-XML that declares absurd plane counts, names companion files outside the folder or
/// indexes planes out of range: no huge allocation, no file outside the folder, no panic.
#[test]
fn hostile_ome_xml() {
    let dir = tempfile::tempdir().unwrap();
    // a file outside the folder that a path-traversing FileName would reach
    std::fs::write(dir.path().join("secret.tif"), b"II*\0garbage").unwrap();
    let sub = dir.path().join("data");
    std::fs::create_dir(&sub).unwrap();
    let page = noise_u8(&[8, 9], 1);
    let cases = [
        // 10^9 planes declared
        (
            "huge.ome.tif",
            ome_xml(
                "SizeC=\"1\" SizeZ=\"1000\" SizeT=\"1000000\"",
                "<TiffData IFD=\"0\" PlaneCount=\"1\"/>",
            ),
        ),
        // plane 1 in a file reached through ../ : refused, the plane reads as zeros
        (
            "traverse.ome.tif",
            ome_xml(
                "SizeC=\"1\" SizeZ=\"1\" SizeT=\"2\"",
                "<TiffData IFD=\"0\" FirstT=\"0\" PlaneCount=\"1\"/>\
                 <TiffData IFD=\"0\" FirstT=\"1\" PlaneCount=\"1\">\
                 <UUID FileName=\"../secret.tif\">urn:uuid:x</UUID></TiffData>",
            ),
        ),
        // out-of-range First* and IFD, absurd PlaneCount
        (
            "ranges.ome.tif",
            ome_xml(
                "SizeC=\"1\" SizeZ=\"1\" SizeT=\"3\"",
                "<TiffData IFD=\"0\" FirstT=\"0\" PlaneCount=\"1\"/>\
                 <TiffData IFD=\"7\" FirstT=\"1\" PlaneCount=\"1\"/>\
                 <TiffData IFD=\"0\" FirstT=\"99\" PlaneCount=\"1\"/>\
                 <TiffData IFD=\"0\" FirstT=\"2\" PlaneCount=\"4000000000\"/>",
            ),
        ),
    ];
    for (name, xml) in cases {
        let path = sub.join(name);
        write_with_description(&path, &page, &xml);
        let mut r = open_read(path.as_path(), Options::new()).unwrap();
        let a = r.read(Index::Default).unwrap();
        match name {
            "huge.ome.tif" => assert_eq!(a, page, "{name}: falls back to the page"),
            "traverse.ome.tif" => {
                assert_eq!(a.shape(), &[2, 8, 9], "{name}");
                assert_eq!(plane(&a, 0), page.to_le_bytes(), "{name}");
                assert!(
                    plane(&a, 1).iter().all(|&x| x == 0),
                    "{name}: the refused companion's plane is zeros"
                );
            }
            _ => {
                assert_eq!(a.shape(), &[3, 8, 9], "{name}");
                for t in [0usize, 2] {
                    assert_eq!(plane(&a, t), page.to_le_bytes(), "{name} T={t}");
                }
                assert!(plane(&a, 1).iter().all(|&x| x == 0));
            }
        }
    }
}

/// A multi-file OME-TIFF opens its companion files with the limits the read was given: a
/// companion whose tag values exceed `max_bytes` is refused like an unreadable one (its plane
/// reads as zeros, as tifffile reads missing files), though the main file and the output fit.
#[test]
fn ome_companions_are_opened_with_the_reads_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (page0, page1) = (noise_u8(&[8, 9], 1), noise_u8(&[8, 9], 2));
    let xml = ome_xml(
        "SizeC=\"1\" SizeZ=\"1\" SizeT=\"2\"",
        "<TiffData IFD=\"0\" FirstT=\"0\" PlaneCount=\"1\"/>\
         <TiffData IFD=\"0\" FirstT=\"1\" PlaneCount=\"1\">\
         <UUID FileName=\"companion.tif\">urn:uuid:c</UUID></TiffData>",
    );
    let main = dir.path().join("main.ome.tif");
    write_with_description(&main, &page0, &xml);
    // the companion carries 64 KiB of description: 64 KiB of tag values
    write_with_description(
        &dir.path().join("companion.tif"),
        &page1,
        &"x".repeat(64 << 10),
    );
    let second_plane = |limits: Limits| {
        let args = OpenArgs {
            plugin: Some("tiff".into()),
            limits,
            ..Default::default()
        };
        let mut f = imageio_core::open(main.as_path().into(), Mode::Read, &args).unwrap();
        let a = f.read(Index::Default).unwrap();
        assert_eq!(a.shape(), &[2, 8, 9]);
        assert_eq!(plane(&a, 0), page0.to_le_bytes(), "the main file's plane");
        plane(&a, 1)
    };
    // default limits: the companion's plane
    assert_eq!(second_plane(Limits::default()), page1.to_le_bytes());
    // 16 KiB: the main file (about 1 KiB of tags) and the 144-byte output fit, the companion not
    assert!(
        second_plane(Limits::default().with_max_bytes(Some(16 << 10)))
            .iter()
            .all(|&x| x == 0),
        "a companion over the read's max_bytes is refused"
    );
}

/// IFD entries may share their value bytes: in hostile_overlapping_tags.tif (8 KiB, a 1×1 gray
/// image) 672 SBYTE tags each cover the whole file, 44 MB of decoded values; a 256 KiB file
/// built the same way asked for over 40 GiB at open (out of memory in the fuzz target). The
/// decoded tag values of a file count against `max_bytes`: a clear limits error at open.
#[test]
fn overlapping_tag_values_count_against_max_bytes() {
    let data = std::fs::read(fixture("hostile_overlapping_tags.tif")).unwrap();
    let args = |max_bytes: u64| OpenArgs {
        plugin: Some("tiff".into()),
        limits: Limits::default().with_max_bytes(Some(max_bytes)),
        ..Default::default()
    };
    let e = imageio_core::open(data.as_slice().into(), Mode::Read, &args(16 << 20))
        .expect_err("44 MB of tag values under a 16 MiB max_bytes");
    assert!(
        matches!(e, imageio_core::Error::Limits { .. }),
        "a limits error, not {e}"
    );
    assert!(e.to_string().contains("tag values"), "{e}");
    // within the budget the file is an ordinary 1×1 image
    let mut f = imageio_core::open(data.as_slice().into(), Mode::Read, &args(64 << 20)).unwrap();
    let a = f.read(Index::Default).unwrap();
    assert_eq!(a.shape(), &[1, 1]);
    assert_eq!(a.as_array::<u8>().unwrap()[[0, 0]], 200);
}

/// Found fuzzing (minimised: hostile_huge_height_no_bytecounts.tif, 270 bytes): an uncompressed
/// page without StripByteCounts, ImageLength 2³² − 7 and one row per strip. The byte count of
/// every one of its 4 294 967 289 strips was computed at open (a 32 GiB vector; out of memory)
/// though the page has one strip offset. Now one count per offset: the file opens (and has no
/// image). With ImageDepth as large, the strips overflowed the vector's capacity (a panic); now
/// reading that page is a limits error.
#[test]
fn huge_height_without_byte_counts_is_a_limits_error() {
    let data = std::fs::read(fixture("hostile_huge_height_no_bytecounts.tif")).unwrap();
    let mut f = open_read(data.as_slice(), Options::new()).unwrap();
    // its page is no series (0 images): an error, no allocation
    let e = f.read(Index::Default).unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");

    let mut entries: Vec<_> = gray(1, u32::MAX, 0, 0)
        .into_iter()
        .filter(|e| e.0 != 279)
        .map(|e| if e.0 == 278 { (278, 4, 1, 1) } else { e })
        .collect();
    entries.push((32997, 4, 1, u32::MAX));
    let deep = le_tiff(&entries, 0);
    let mut f = open_read(deep.as_slice(), Options::new()).unwrap();
    let e = f.read(Index::Default).unwrap_err();
    assert!(matches!(e, imageio_core::Error::Limits { .. }), "{e}");
}

/// OME-XML whose Images each declare 1024 × 1024 planes (the most one Image may declare) for one
/// 1×1 page: the bound on the plane tables applied to each Image alone, so every Image became a
/// series holding an 8 MB table of missing planes, read as zeros plane by plane; a 256 KiB
/// description of 1700 such Images asked for 13 GiB and minutes of work (a 3 KiB file of 20 took
/// 35 s in the fuzz target). The bound now covers all Images together: past it the XML is not
/// used, and the file reads as its page, like an Image declaring too many planes.
#[test]
fn ome_plane_tables_are_bounded_across_images() {
    let data = std::fs::read(fixture("hostile_ome_many_images.ome.tif")).unwrap();
    let mut f = open_read(data.as_slice(), Options::new()).unwrap();
    let a = f.read(Index::Default).unwrap();
    assert_eq!(a.shape(), &[1, 1], "falls back to the page");
    assert_eq!(a.as_array::<u8>().unwrap()[[0, 0]], 7);
}

/// Found fuzzing (hostile_tall_tiles.tif, 7.6 KiB: a 36×40 LZW page in 16×524 304 tiles): every
/// tile was decoded whole into a tile-sized buffer although 40 of its rows lie in the page, 75 MB
/// of decoding per read of a 4 KiB image (35 s in the fuzz target); a tile over 256 MiB was
/// refused as absurd. Only the rows inside the page are decoded now (byte-stream codecs stop
/// there; JPEG and CCITT tiles are still decoded whole).
#[test]
fn tiles_taller_than_the_page_decode_only_its_rows() {
    let data = std::fs::read(fixture("hostile_tall_tiles.tif")).unwrap();
    let mut f = open_read(data.as_slice(), Options::new()).unwrap();
    assert_eq!(f.properties(Index::Default).unwrap().shape, vec![3, 40, 36]);
    let _ = f.read(Index::Default);

    // 8×2 pixels in one PackBits tile of 512 × 2²⁰ (512 MiB whole): the two rows of the page
    let mut tile = Vec::new();
    for base in [1u8, 11] {
        tile.push(7); // 8 literal bytes
        tile.extend(base..base + 8);
        tile.extend([0x81, 0, 0x81, 0, 0x81, 0, 0x89, 0]); // 3 × 128 + 120 zeros
    }
    let file = one_tile_packbits_gray((8, 2), (512, 1 << 20), &tile);
    let a = open_read(file.as_slice(), Options::new())
        .unwrap()
        .read(Index::Default)
        .unwrap();
    let got: Vec<u8> = a.as_array::<u8>().unwrap().iter().copied().collect();
    let want: Vec<u8> = (1..9).chain(11..19).collect();
    assert_eq!(a.shape(), &[2, 8]);
    assert_eq!(got, want);
}

/// A gray 8-bit `width × height` page stored as one PackBits tile of `tile_w × tile_l` pixels.
fn one_tile_packbits_gray(
    (width, height): (u32, u32),
    (tile_w, tile_l): (u32, u32),
    tile: &[u8],
) -> Vec<u8> {
    let entries = |offset: u32| {
        vec![
            (256, 4, 1, width),
            (257, 4, 1, height),
            (258, 3, 1, 8),
            (259, 3, 1, 32773),
            (262, 3, 1, 1),
            (277, 3, 1, 1),
            (322, 4, 1, tile_w),
            (323, 4, 1, tile_l),
            (324, 4, 1, offset),
            (325, 4, 1, tile.len() as u32),
        ]
    };
    let offset = le_tiff(&entries(0), 0).len() as u32;
    let mut file = le_tiff(&entries(offset), 0);
    file.extend_from_slice(tile);
    file
}

/// A 1×32 page in one tile 2²⁰ pixels wide: every tile row is decoded whole, 32 MiB for 32 bytes
/// of page (a taller page in such tiles: a gigabyte per read). Tiles decoding more than 64 times
/// the page (and 16 MiB) are refused.
#[test]
fn tiles_far_wider_than_the_page_are_refused() {
    let tile = [0x81u8, 9].repeat(8); // PackBits: 8 × 128 bytes of 9
    let file = one_tile_packbits_gray((1, 32), (1 << 20, 32), &tile);
    let e = open_read(file.as_slice(), Options::new())
        .unwrap()
        .read(Index::Default)
        .unwrap_err();
    assert!(e.to_string().contains("would decode"), "{e}");
}
