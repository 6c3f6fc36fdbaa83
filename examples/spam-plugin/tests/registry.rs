//! The registry works for crates we do not own: `imageio::imread` finds this plugin.
use spam_plugin as _;

use imageio::{Index, NdArray};

#[test]
fn imread_finds_the_third_party_plugin() {
    assert!(imageio::formats().iter().any(|d| d.name == "spam"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.spam");
    let img = NdArray::from_shape_vec(&[3, 5, 3], (0..45u8).collect()).unwrap();
    imageio::imwrite(&path, &img).unwrap();
    assert_eq!(imageio::imread(&path).unwrap(), img);
    // Found by sniffing too: bytes without an extension.
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(imageio::imread(bytes.as_slice()).unwrap(), img);
    let p = imageio::improps(&path).unwrap();
    assert_eq!(p.shape, vec![3, 5, 3]);
    assert_eq!(
        imageio::reader(&path)
            .index(Index::All)
            .read()
            .unwrap()
            .shape(),
        &[1, 3, 5, 3]
    );
}

#[test]
fn bilevel_round_trip_packs_bits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.spa");
    let img = NdArray::from_shape_vec(&[2, 11], (0..22).map(|i| i % 3 == 0).collect::<Vec<bool>>())
        .unwrap();
    imageio::imwrite(&path, &img).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 128 + 2 * 2);
    assert_eq!(imageio::imread(&path).unwrap(), img);
}

#[test]
fn truncated_data_is_an_error_not_a_panic() {
    let mut bytes = b"SPAM 100 100 24".to_vec();
    bytes.resize(128 + 10, b' ');
    let err = imageio::imread(bytes.as_slice()).unwrap_err();
    assert!(matches!(err, imageio::Error::Decoding { .. }), "{err}");
    assert!(err.to_string().contains("[spam] `<bytes>`"), "{err}");
}
