//! EXIF: named, typed fields through kamadak-exif, and the orientation transforms.

use exif::{Context, In, Tag};
use imageio_core::{Metadata, Value};

/// Parses EXIF data (with or without the `Exif\0\0` prefix of the APP1 segment).
fn parse(exif: &[u8]) -> Option<exif::Exif> {
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    match reader.read_raw(tiff.to_vec()) {
        Ok(e) => Some(e),
        Err(e) => e.distill_partial_result(|_| {}).ok(),
    }
}

/// The EXIF `Orientation` of the primary image (Pillow: `getexif().get(0x0112)`).
pub(crate) fn orientation(exif: &[u8]) -> Option<u32> {
    parse(exif)?
        .get_field(Tag::Orientation, In::PRIMARY)?
        .value
        .get_uint(0)
}

/// Pillow's `ExifTags.TAGS` name where it differs from the Exif-specification name that
/// kamadak-exif uses (every difference for the TIFF and Exif tags kamadak-exif knows), and
/// Pillow's names for common tags kamadak-exif does not know.
fn pillow_name(tag: Tag) -> Option<&'static str> {
    Some(match (tag.context(), tag.number()) {
        (Context::Tiff, 0x0201) => "JpegIFOffset",
        (Context::Tiff, 0x0202) => "JpegIFByteCount",
        (Context::Exif, 0x8827) => "ISOSpeedRatings",
        (Context::Exif, 0x9214) => "SubjectLocation",
        (Context::Exif, 0x9290) => "SubsecTime",
        (Context::Exif, 0x9291) => "SubsecTimeOriginal",
        (Context::Exif, 0x9292) => "SubsecTimeDigitized",
        (Context::Exif, 0x9400) => "AmbientTemperature",
        (Context::Exif, 0xA000) => "FlashPixVersion",
        (Context::Exif, 0xA002) => "ExifImageWidth",
        (Context::Exif, 0xA003) => "ExifImageHeight",
        (Context::Exif, 0xA461) => "CompositeImageCount",
        (Context::Exif, 0xA462) => "CompositeImageExposureTimes",
        (Context::Interop, 0x0001) => "InteropIndex",
        (Context::Tiff, 0x9C9B) => "XPTitle",
        (Context::Tiff, 0x9C9C) => "XPComment",
        (Context::Tiff, 0x9C9D) => "XPAuthor",
        (Context::Tiff, 0x9C9E) => "XPKeywords",
        (Context::Tiff, 0x9C9F) => "XPSubject",
        (Context::Tiff, 0x4746) => "Rating",
        (Context::Tiff, 0x4749) => "RatingPercent",
        (Context::Tiff, 0xC4A5) => "PrintImageMatching",
        (Context::Tiff, 0x00FE) => "NewSubfileType",
        (Context::Tiff, 0x83BB) => "IptcNAA",
        (Context::Tiff, 0x8649) => "ImageResources",
        (Context::Tiff, 0xEA1C) | (Context::Exif, 0xEA1C) => "Padding",
        (Context::Exif, 0xEA1D) => "OffsetSchema",
        _ => return None,
    })
}

fn is_pointer(tag: Tag) -> bool {
    tag == Tag::ExifIFDPointer || tag == Tag::GPSInfoIFDPointer || tag == Tag::InteropIFDPointer
}

/// A field's value as a metadata value: text for ASCII, bytes for UNDEFINED, a number for a
/// single number (rationals as floats, like Pillow's `IFDRational`), a list for several.
fn convert(v: &exif::Value) -> Value {
    fn one_or_list<T: Copy>(v: &[T], f: impl Fn(T) -> Value) -> Value {
        if v.len() == 1 {
            f(v[0])
        } else {
            Value::List(v.iter().map(|x| f(*x)).collect())
        }
    }
    match v {
        exif::Value::Ascii(parts) => {
            let texts: Vec<String> = parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            if texts.len() == 1 {
                Value::Str(texts.into_iter().next().unwrap_or_default())
            } else {
                Value::Str(texts.join("\0"))
            }
        }
        exif::Value::Byte(b) => one_or_list(b, |x| Value::Int(x.into())),
        exif::Value::SByte(b) => one_or_list(b, |x| Value::Int(x.into())),
        exif::Value::Short(s) => one_or_list(s, |x| Value::Int(x.into())),
        exif::Value::SShort(s) => one_or_list(s, |x| Value::Int(x.into())),
        exif::Value::Long(s) => one_or_list(s, |x| Value::Int(x.into())),
        exif::Value::SLong(s) => one_or_list(s, |x| Value::Int(x.into())),
        exif::Value::Rational(r) => one_or_list(r, |x| Value::Float(x.to_f64())),
        exif::Value::SRational(r) => one_or_list(r, |x| Value::Float(x.to_f64())),
        exif::Value::Float(f) => one_or_list(f, |x| Value::Float(x.into())),
        exif::Value::Double(f) => one_or_list(f, Value::Float),
        exif::Value::Undefined(b, _) => Value::Bytes(b.clone()),
        exif::Value::Unknown(..) => Value::List(Vec::new()),
    }
}

/// Adds the primary image's EXIF fields (IFD0, Exif IFD and Interoperability IFD) to `meta` by
/// their Pillow `ExifTags.TAGS` names; GPS fields go into a nested `"GPSInfo"` map. Thumbnail
/// (IFD1) fields, IFD pointers and tags without a known name are left out. The first occurrence
/// of a name wins; keys already in `meta` are not replaced.
pub(crate) fn add_fields(exif: &[u8], meta: &mut Metadata) {
    let Some(parsed) = parse(exif) else { return };
    let mut gps = Metadata::new();
    for f in parsed.fields() {
        if f.ifd_num != In::PRIMARY || is_pointer(f.tag) {
            continue;
        }
        let name: String = match pillow_name(f.tag) {
            Some(n) => n.to_owned(),
            None => {
                let shown = f.tag.to_string();
                if shown.starts_with("Tag(") {
                    continue; // unknown to both tables: dropped, as imageio drops "unknown"
                }
                shown
            }
        };
        if matches!(f.value, exif::Value::Unknown(..)) {
            continue;
        }
        let target = if f.tag.context() == Context::Gps {
            &mut gps
        } else {
            &mut *meta
        };
        if !target.contains_key(&name) {
            target.insert(name, convert(&f.value));
        }
    }
    if !gps.is_empty() && !meta.contains_key("GPSInfo") {
        meta.insert("GPSInfo".into(), Value::Map(gps));
    }
}
