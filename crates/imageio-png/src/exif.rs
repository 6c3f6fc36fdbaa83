//! The EXIF `Orientation` tag (parsed by hand: one IFD0 entry) and Pillow's `exif_transpose`.

use imageio_core::ndarray::{ArrayD, Axis};
use imageio_core::{NdArray, Result};

/// The `Orientation` (tag 0x0112) of IFD0 in a TIFF-structured EXIF block (`II*\0`/`MM\0*`,
/// optionally behind an `Exif\0\0` prefix). `None` when absent or malformed.
pub(crate) fn orientation(exif: &[u8]) -> Option<u16> {
    let d = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let le = match d.get(0..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b: [u8; 2] = d.get(o..o.checked_add(2)?)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b: [u8; 4] = d.get(o..o.checked_add(4)?)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let n = u16_at(ifd)? as usize;
    for i in 0..n {
        let e = ifd.checked_add(2 + 12 * i)?;
        if u16_at(e)? != 0x0112 {
            continue;
        }
        return match u16_at(e + 2)? {
            3 => u16_at(e + 8),                                     // SHORT
            4 => u32_at(e + 8).and_then(|v| u16::try_from(v).ok()), // LONG (non-standard)
            _ => None,
        };
    }
    None
}

fn orient<T: Clone>(a: ArrayD<T>, o: u16) -> ArrayD<T> {
    let mut v = a.view();
    match o {
        2 => v.invert_axis(Axis(1)),
        3 => {
            v.invert_axis(Axis(0));
            v.invert_axis(Axis(1));
        }
        4 => v.invert_axis(Axis(0)),
        5 => v.swap_axes(0, 1),
        6 => {
            v.swap_axes(0, 1);
            v.invert_axis(Axis(1));
        }
        7 => {
            v.swap_axes(0, 1);
            v.invert_axis(Axis(0));
            v.invert_axis(Axis(1));
        }
        8 => {
            v.swap_axes(0, 1);
            v.invert_axis(Axis(0));
        }
        _ => return a,
    }
    v.as_standard_layout().into_owned()
}

/// Applies orientation `o` to one image (axes 0 and 1) like Pillow's `ImageOps.exif_transpose`:
/// 2 mirror left-right, 3 rotate 180°, 4 mirror top-bottom, 5 transpose, 6 rotate 90° clockwise,
/// 7 transverse, 8 rotate 90° counter-clockwise; any other value leaves the image unchanged.
pub(crate) fn apply(img: NdArray, o: u16) -> Result<NdArray> {
    if !(2..=8).contains(&o) {
        return Ok(img);
    }
    Ok(match img {
        NdArray::Bool(a) => NdArray::from(orient(a, o)),
        NdArray::U8(a) => NdArray::from(orient(a, o)),
        NdArray::U16(a) => NdArray::from(orient(a, o)),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_byte_orders() {
        let le = [
            b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0,
            0, 0, 0,
        ];
        assert_eq!(orientation(&le), Some(6));
        let be = [
            b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0,
            0,
        ];
        assert_eq!(orientation(&be), Some(8));
        let mut prefixed = b"Exif\0\0".to_vec();
        prefixed.extend_from_slice(&le);
        assert_eq!(orientation(&prefixed), Some(6));
        assert_eq!(orientation(&le[..12]), None);
        assert_eq!(orientation(b"garbage"), None);
    }

    #[test]
    fn rotations_match_numpy() {
        // [[1, 2, 3], [4, 5, 6]]
        let a = NdArray::from_shape_vec(&[2, 3], vec![1u8, 2, 3, 4, 5, 6]).unwrap();
        let get = |o| apply(a.clone(), o).unwrap().into_array::<u8>().unwrap();
        // np.rot90(a, k=3) (90° clockwise)
        assert_eq!(get(6).as_slice().unwrap(), &[4, 1, 5, 2, 6, 3]);
        assert_eq!(get(6).shape(), &[3, 2]);
        // np.rot90(a, k=1)
        assert_eq!(get(8).as_slice().unwrap(), &[3, 6, 2, 5, 1, 4]);
        assert_eq!(get(3).as_slice().unwrap(), &[6, 5, 4, 3, 2, 1]);
        assert_eq!(get(2).as_slice().unwrap(), &[3, 2, 1, 6, 5, 4]);
        assert_eq!(get(4).as_slice().unwrap(), &[4, 5, 6, 1, 2, 3]);
        assert_eq!(get(5).as_slice().unwrap(), &[1, 4, 2, 5, 3, 6]);
        assert_eq!(get(7).as_slice().unwrap(), &[6, 3, 5, 2, 4, 1]);
        assert_eq!(get(0).as_slice().unwrap(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(get(9).as_slice().unwrap(), &[1, 2, 3, 4, 5, 6]);
    }
}
