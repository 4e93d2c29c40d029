//! Integration tests: the library's scan engine and the `shadow-ai` binary end to end.

mod capture;
mod capture_corpus;
mod cli;
mod endpoint;
mod engine;
mod governance;
mod html;
mod live;
mod packaging;
mod robustness;
mod schema;
mod soc;
mod state;
mod util;
