//! Metadata: tag names, page metadata, ImageJ, OME, FEI-SEM.

use imageio_core::{Metadata, NdArray, Value};

use crate::ifd::{Tag, TagVal};
use crate::page::{Page, tag};

/// tifffile's names for the tags we know; unknown tags are reported by their numeric code.
pub(crate) fn tag_name(code: u16) -> Option<&'static str> {
    Some(match code {
        254 => "NewSubfileType",
        255 => "SubfileType",
        256 => "ImageWidth",
        257 => "ImageLength",
        258 => "BitsPerSample",
        259 => "Compression",
        262 => "PhotometricInterpretation",
        263 => "Thresholding",
        266 => "FillOrder",
        269 => "DocumentName",
        270 => "ImageDescription",
        271 => "Make",
        272 => "Model",
        273 => "StripOffsets",
        274 => "Orientation",
        277 => "SamplesPerPixel",
        278 => "RowsPerStrip",
        279 => "StripByteCounts",
        280 => "MinSampleValue",
        281 => "MaxSampleValue",
        282 => "XResolution",
        283 => "YResolution",
        284 => "PlanarConfiguration",
        285 => "PageName",
        286 => "XPosition",
        287 => "YPosition",
        296 => "ResolutionUnit",
        297 => "PageNumber",
        301 => "TransferFunction",
        305 => "Software",
        306 => "DateTime",
        315 => "Artist",
        316 => "HostComputer",
        317 => "Predictor",
        318 => "WhitePoint",
        319 => "PrimaryChromaticities",
        320 => "ColorMap",
        321 => "HalftoneHints",
        322 => "TileWidth",
        323 => "TileLength",
        324 => "TileOffsets",
        325 => "TileByteCounts",
        330 => "SubIFDs",
        332 => "InkSet",
        338 => "ExtraSamples",
        339 => "SampleFormat",
        340 => "SMinSampleValue",
        341 => "SMaxSampleValue",
        347 => "JPEGTables",
        529 => "YCbCrCoefficients",
        530 => "YCbCrSubSampling",
        531 => "YCbCrPositioning",
        532 => "ReferenceBlackWhite",
        700 => "XMP",
        33421 => "CFARepeatPatternDim",
        33422 => "CFAPattern",
        33432 => "Copyright",
        33550 => "ModelPixelScaleTag",
        33723 => "IPTCNAA",
        33922 => "ModelTiepointTag",
        34264 => "ModelTransformationTag",
        34377 => "Photoshop",
        34665 => "ExifTag",
        34675 => "InterColorProfile",
        34680 => "FEI_SFEG",
        34682 => "FEI_HELIOS",
        34735 => "GeoKeyDirectoryTag",
        34736 => "GeoDoubleParamsTag",
        34737 => "GeoAsciiParamsTag",
        34853 => "GPSTag",
        32997 => "ImageDepth",
        32998 => "TileDepth",
        33628 => "UIC1tag",
        33629 => "UIC2tag",
        33630 => "UIC3tag",
        33631 => "UIC4tag",
        34361 => "MM_Header",
        34412 => "CZ_LSMINFO",
        42112 => "GDAL_METADATA",
        42113 => "GDAL_NODATA",
        50838 => "IJMetadataByteCounts",
        50839 => "IJMetadata",
        51023 => "FibicsXML",
        65000 => "OlympusSIS",
        _ => return None,
    })
}

pub(crate) fn tag_value(t: &Tag) -> Value {
    let one = |v: Vec<Value>| {
        if v.len() == 1 {
            v.into_iter().next().unwrap_or(Value::Int(0))
        } else {
            Value::List(v)
        }
    };
    match &t.val {
        TagVal::U(v) => one(v.iter().map(|&x| Value::Int(x as i64)).collect()),
        TagVal::I(v) => one(v.iter().map(|&x| Value::Int(x)).collect()),
        TagVal::F(v) => one(v.iter().map(|&x| Value::Float(x)).collect()),
        TagVal::Rat(v) => {
            let flat: Vec<Value> = v
                .iter()
                .flat_map(|&(a, b)| [Value::Int(a as i64), Value::Int(b as i64)])
                .collect();
            Value::List(flat)
        }
        TagVal::SRat(v) => {
            let flat: Vec<Value> = v
                .iter()
                .flat_map(|&(a, b)| [Value::Int(a as i64), Value::Int(b as i64)])
                .collect();
            Value::List(flat)
        }
        TagVal::Ascii(s) => Value::Str(s.clone()),
        TagVal::Bytes(b) => {
            if t.dtype == 1 && b.len() <= 4 {
                one(b.iter().map(|&x| Value::Int(x as i64)).collect())
            } else {
                Value::Bytes(b.clone())
            }
        }
    }
}

/// (x, y) pixels per unit, when both tags exist with non-zero denominators.
pub(crate) fn resolution(p: &Page) -> Option<(f64, f64)> {
    let r = |c| match &p.ifd.get(c)?.val {
        TagVal::Rat(v) => v
            .first()
            .filter(|r| r.1 != 0)
            .map(|r| r.0 as f64 / r.1 as f64),
        TagVal::F(v) => v.first().copied(),
        _ => None,
    };
    Some((r(tag::X_RESOLUTION)?, r(tag::Y_RESOLUTION)?))
}

/// "YYYY:MM:DD HH:MM:SS" → "YYYY-MM-DDTHH:MM:SS" (ISO 8601), else None.
pub(crate) fn parse_datetime(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19))
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let (mo, d, h, mi, se) = (
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}",
        &s[0..4],
        &s[5..7],
        &s[8..10],
        &s[11..13],
        &s[14..16],
        &s[17..19]
    ))
}

/// Page-level metadata: every tag by name (unknown by code) and imageio's derived keys.
pub(crate) fn page_metadata(p: &Page, m: &mut Metadata) {
    for t in &p.ifd.tags {
        let key = tag_name(t.code)
            .map(str::to_owned)
            .unwrap_or_else(|| t.code.to_string());
        if matches!(t.code, tag::COLORMAP) {
            continue;
        }
        m.insert(key, tag_value(t));
    }
    if let Some(cm) = colormap(p) {
        m.insert("ColorMap".into(), Value::Array(cm));
    }
    m.insert("compression".into(), Value::Int(p.compression as i64));
    m.insert("predictor".into(), Value::Int(p.predictor as i64));
    m.insert("planar_configuration".into(), Value::Int(p.planar as i64));
    m.insert("photometric".into(), Value::Int(p.photometric as i64));
    m.insert(
        "orientation".into(),
        p.ifd
            .uint(tag::ORIENTATION)
            .map_or(Value::Str("None".into()), |o| Value::Int(o as i64)),
    );
    m.insert("is_tiled".into(), Value::Bool(p.tile.is_some()));
    m.insert(
        "shape".into(),
        Value::List(p.shape.iter().map(|&x| Value::Int(x as i64)).collect()),
    );
    m.insert("dtype".into(), Value::Str(p.dtype.numpy_name().into()));
    m.insert("bitspersample".into(), Value::Int(p.bps as i64));
    let descs: Vec<String> = p
        .ifd
        .tags
        .iter()
        .filter(|t| t.code == tag::IMAGE_DESCRIPTION)
        .filter_map(Tag::text)
        .collect();
    if let Some(d) = descs.first() {
        m.insert("description".into(), Value::Str(d.clone()));
    }
    if let Some(d) = descs.get(1) {
        m.insert("description1".into(), Value::Str(d.clone()));
    }
    if let Some(s) = p.ifd.get(tag::SOFTWARE).and_then(Tag::text) {
        m.insert("software".into(), Value::Str(s));
    }
    if let Some(dt) = p.ifd.get(tag::DATETIME).and_then(Tag::text) {
        m.insert(
            "datetime".into(),
            parse_datetime(&dt).map_or(Value::Str("None".into()), Value::Str),
        );
    }
    if let Some(icc) = p.ifd.get(tag::ICC_PROFILE).and_then(Tag::bytes) {
        m.insert("icc_profile".into(), Value::Bytes(icc.to_vec()));
    }
    if let Some(u) = p.ifd.uint(tag::RESOLUTION_UNIT) {
        if let Some((x, y)) = resolution(p) {
            m.insert("resolution_unit".into(), Value::Int(u as i64));
            m.insert(
                "resolution".into(),
                Value::List(vec![Value::Float(x), Value::Float(y)]),
            );
        }
    }
    if let Some(ex) = p.ifd.get(tag::EXTRA_SAMPLES).and_then(Tag::uints) {
        m.insert(
            "extrasamples".into(),
            Value::List(ex.iter().map(|&x| Value::Int(x as i64)).collect()),
        );
    }
    if let Some(fei) = fei_metadata(p) {
        m.insert("fei_metadata".into(), Value::Map(fei));
    }
}

/// The ColorMap tag as a (3, 2**bps) uint16 array.
pub(crate) fn colormap(p: &Page) -> Option<NdArray> {
    let v = p.ifd.get(tag::COLORMAP)?.uints()?;
    if v.is_empty() || v.len() % 3 != 0 {
        return None;
    }
    let n = v.len() / 3;
    NdArray::from_shape_vec(&[3, n], v.into_iter().map(|x| x as u16).collect()).ok()
}

/// `key=value` lines of an ImageJ description, in order.
pub(crate) fn imagej_description(d: &str) -> Vec<(String, String)> {
    d.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn ij_value(v: &str) -> Value {
    if let Ok(i) = v.parse::<i64>() {
        return Value::Int(i);
    }
    if let Ok(f) = v.parse::<f64>() {
        return Value::Float(f);
    }
    match v {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::Str(v.to_owned()),
    }
}

/// tifffile's `imagej_metadata`: the description's items plus the IJMetadata tag
/// (Info, Labels, Ranges, LUTs, Properties).
pub(crate) fn imagej_metadata(desc: &str, p: &Page, big_endian: bool) -> Metadata {
    let mut m = Metadata::new();
    for (k, v) in imagej_description(desc) {
        m.insert(k, ij_value(&v));
    }
    let (Some(data), Some(counts)) = (
        p.ifd.get(tag::IJ_METADATA).and_then(Tag::bytes),
        p.ifd.get(tag::IJ_BYTE_COUNTS).and_then(Tag::uints),
    ) else {
        return m;
    };
    if data.len() < 4 || counts.is_empty() {
        return m;
    }
    let be = match &data[..4] {
        b"IJIJ" => true,
        b"JIJI" => false,
        _ => big_endian,
    };
    let u32_at = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if be {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let header = counts[0] as usize;
    if header > data.len() || header < 4 {
        return m;
    }
    let mut types = Vec::new();
    for c in data[4..header].chunks_exact(8) {
        let ty = if be {
            c[..4].to_vec()
        } else {
            c[..4].iter().rev().copied().collect()
        };
        types.push((ty, u32_at(&c[4..]) as usize));
    }
    let utf16 = |b: &[u8]| -> String {
        let u: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&u)
    };
    let mut pos = header;
    let mut ci = 1;
    let mut labels = Vec::new();
    let mut luts = Vec::new();
    let mut props = Vec::new();
    for (ty, n) in types {
        for _ in 0..n {
            let Some(&len) = counts.get(ci) else { return m };
            ci += 1;
            let len = len as usize;
            if pos + len > data.len() {
                return m;
            }
            let b = &data[pos..pos + len];
            pos += len;
            match &ty[..] {
                b"info" => {
                    m.insert("Info".into(), Value::Str(utf16(b)));
                }
                b"labl" => labels.push(Value::Str(utf16(b))),
                b"rang" => {
                    let v: Vec<Value> = b
                        .chunks_exact(8)
                        .map(|c| {
                            let a: [u8; 8] = c.try_into().unwrap_or([0; 8]);
                            Value::Float(if be {
                                f64::from_be_bytes(a)
                            } else {
                                f64::from_le_bytes(a)
                            })
                        })
                        .collect();
                    m.insert("Ranges".into(), Value::List(v));
                }
                b"luts" if b.len() % 3 == 0 && !b.is_empty() => {
                    if let Ok(a) = NdArray::from_shape_vec(&[3, b.len() / 3], b.to_vec()) {
                        luts.push(Value::Array(a));
                    }
                }
                b"prop" => props.push(Value::Str(utf16(b))),
                b"plot" => {
                    m.insert("Plot".into(), Value::Bytes(b.to_vec()));
                }
                b"roi " => {
                    m.insert("ROI".into(), Value::Bytes(b.to_vec()));
                }
                b"over" => {
                    m.entry("Overlays".into())
                        .or_insert_with(|| Value::List(Vec::new()));
                    if let Some(Value::List(l)) = m.get_mut("Overlays") {
                        l.push(Value::Bytes(b.to_vec()));
                    }
                }
                _ => {}
            }
        }
    }
    if !labels.is_empty() {
        m.insert("Labels".into(), Value::List(labels));
    }
    if !luts.is_empty() {
        m.insert("LUTs".into(), Value::List(luts));
    }
    if !props.is_empty() {
        let mut pm = Metadata::new();
        for pair in props.chunks(2) {
            if let [Value::Str(k), Value::Str(v)] = pair {
                pm.insert(k.clone(), Value::Str(v.clone()));
            }
        }
        m.insert("Properties".into(), Value::Map(pm));
    }
    m
}

/// FEI-SEM INI metadata (tags 34680/34682) as `{section: {key: value}}`.
pub(crate) fn fei_metadata(p: &Page) -> Option<Metadata> {
    let text = p
        .ifd
        .get(tag::FEI_SFEG)
        .or_else(|| p.ifd.get(tag::FEI_HELIOS))
        .and_then(Tag::text)?;
    let mut out = Metadata::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            section = line[1..line.len() - 1].to_owned();
            out.insert(section.clone(), Value::Map(Metadata::new()));
        } else if let Some((k, v)) = line.split_once('=') {
            if let Some(Value::Map(s)) = out.get_mut(&section) {
                s.insert(k.trim().to_owned(), ij_value(v.trim()));
            }
        }
    }
    Some(out)
}
