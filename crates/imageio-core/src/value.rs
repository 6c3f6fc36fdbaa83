//! [`Value`] and [`Metadata`]: typed, ordered, JSON-serialisable metadata.

use indexmap::IndexMap;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::array::NdArray;

/// One metadata or option value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Str(String),
    /// Raw bytes (serialised to JSON as `{"bytes": <length>, "hex": "<first 64 bytes>"}`).
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Value>),
    /// A nested map.
    Map(Metadata),
    /// A small array (a palette, a colour map, a LUT).
    Array(NdArray),
}

/// An ordered map from names to [`Value`]s (what `immeta` returns).
pub type Metadata = IndexMap<String, Value>;

macro_rules! from_impl {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl From<$t> for Value { fn from($v: $t) -> Self { $e } }
    )*};
}
from_impl!(
    bool => |v| Value::Bool(v),
    i64 => |v| Value::Int(v),
    i32 => |v| Value::Int(v.into()),
    u32 => |v| Value::Int(v.into()),
    u16 => |v| Value::Int(v.into()),
    u8 => |v| Value::Int(v.into()),
    usize => |v| Value::Int(v as i64),
    u64 => |v| Value::Int(v as i64),
    f64 => |v| Value::Float(v),
    f32 => |v| Value::Float(v.into()),
    String => |v| Value::Str(v),
    &str => |v| Value::Str(v.to_owned()),
    Vec<u8> => |v| Value::Bytes(v),
    Metadata => |v| Value::Map(v),
    NdArray => |v| Value::Array(v),
);

impl<T: Into<Value>> From<Vec<T>> for Value
where
    T: NotU8,
{
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

/// Marker so that `Vec<u8>` becomes [`Value::Bytes`] and other vectors become lists.
pub trait NotU8 {}
macro_rules! not_u8 { ($($t:ty),*) => {$(impl NotU8 for $t {})*}; }
not_u8!(
    bool, i64, i32, u32, u16, usize, u64, f64, f32, String, &str, Value, Metadata
);

impl Value {
    /// The value as an integer (floats with no fraction count).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
            _ => None,
        }
    }
    /// The value as a float.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
    /// The value as a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The value as text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The value as bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
    /// The value as a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    /// The value as a map.
    pub fn as_map(&self) -> Option<&Metadata> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Converts to a `serde_json::Value`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(f) => s.serialize_str(&f.to_string()),
            Value::Str(t) => s.serialize_str(t),
            Value::Bytes(b) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("bytes", &b.len())?;
                let hex: String = b.iter().take(64).map(|x| format!("{x:02x}")).collect();
                m.serialize_entry("hex", &hex)?;
                m.end()
            }
            Value::List(l) => l.serialize(s),
            Value::Map(map) => map.serialize(s),
            Value::Array(a) => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("dtype", a.dtype().numpy_name())?;
                m.serialize_entry("shape", a.shape())?;
                let data: serde_json::Value = crate::dispatch!(NdArray, a, x => {
                    serde_json::to_value(x.iter().collect::<Vec<_>>()).unwrap_or_default()
                });
                m.serialize_entry("data", &data)?;
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_json_in_order() {
        let mut m = Metadata::new();
        m.insert("gamma".into(), 0.45455.into());
        m.insert("loop".into(), 0i64.into());
        m.insert("version".into(), "GIF89a".into());
        m.insert("exif".into(), vec![0x45u8, 0x78].into());
        m.insert("durations".into(), vec![50i64, 60].into());
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(
            j,
            r#"{"gamma":0.45455,"loop":0,"version":"GIF89a","exif":{"bytes":2,"hex":"4578"},"durations":[50,60]}"#
        );
    }
}
