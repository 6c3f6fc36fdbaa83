//! The heif backend of imageio-rs (work in progress: registers nothing yet).
