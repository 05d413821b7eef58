//! Test helpers shared by several test crates; each uses a part.
#![allow(dead_code)]

pub mod mock_api;
