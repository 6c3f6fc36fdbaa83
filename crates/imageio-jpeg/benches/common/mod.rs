//! The plugin round trips timed by the bench (`benches/jpeg.rs`) and the example
//! (`examples/jpeg_time.rs`, which includes this file by path).

use imageio_core::{Index, Mode, NdArray, OpenArgs, Options, Resource};

/// Writes `img` as JPEG bytes through the plugin, with `options`.
pub fn encode(img: &NdArray, options: Options) -> Vec<u8> {
    let args = OpenArgs {
        extension: Some(".jpg".into()),
        options,
        ..Default::default()
    };
    let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
    w.write(img).unwrap();
    w.close().unwrap().unwrap()
}

/// Reads JPEG bytes through the plugin.
pub fn decode(data: &[u8]) -> NdArray {
    let mut f = imageio_core::open(Resource::from(data), Mode::Read, &OpenArgs::default()).unwrap();
    f.read(Index::Default).unwrap()
}
